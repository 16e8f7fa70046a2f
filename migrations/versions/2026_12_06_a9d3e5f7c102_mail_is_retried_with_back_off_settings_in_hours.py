"""mail is retried with back-off and kept as undeliverable at last; ERN intervals in hours

Revision ID: a9d3e5f7c102
Revises: f7b1d5c94a60
Create Date: 2026-12-06 22:15:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a9d3e5f7c102"
down_revision = "f7b1d5c94a60"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("outgoing_mail", sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outgoing_mail", sa.Column("given_up_at", sa.DateTime(timezone=True), nullable=True))
    # Queued mail is due at once, as before; mail that failed the old limit of 10 attempts is undeliverable.
    op.execute("UPDATE outgoing_mail SET next_attempt_at = created_at")
    op.execute("UPDATE outgoing_mail SET given_up_at = created_at WHERE sent_at IS NULL AND attempts >= 10")
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.alter_column("next_attempt_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index(batch_op.f("ix_outgoing_mail_next_attempt_at"), ["next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outgoing_mail_given_up_at"), ["given_up_at"], unique=False)
    # Service levels in hours: a rule of 3 days is one of 72 hours.
    with op.batch_alter_table("sla_rules", schema=None) as batch_op:
        batch_op.alter_column("days", new_column_name="hours", existing_type=sa.Integer(), existing_nullable=False)
    op.execute("UPDATE sla_rules SET hours = hours * 24")


def downgrade():
    # Days again, rounded up: a service level never becomes shorter.
    op.execute("UPDATE sla_rules SET hours = (hours + 23) / 24")
    with op.batch_alter_table("sla_rules", schema=None) as batch_op:
        batch_op.alter_column("hours", new_column_name="days", existing_type=sa.Integer(), existing_nullable=False)
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outgoing_mail_given_up_at"))
        batch_op.drop_index(batch_op.f("ix_outgoing_mail_next_attempt_at"))
        batch_op.drop_column("given_up_at")
        batch_op.drop_column("next_attempt_at")
