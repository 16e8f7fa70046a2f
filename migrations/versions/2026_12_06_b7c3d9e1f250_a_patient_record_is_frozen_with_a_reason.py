"""a patient record is frozen (and unfrozen) with a reason, by someone, at a time

Revision ID: b7c3d9e1f250
Revises: 8e2f4c1a7b30
Create Date: 2026-12-06 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c3d9e1f250'
down_revision = '8e2f4c1a7b30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('frozen_reason', sa.String(length=1000), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('frozen_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('frozen_changed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_patients_frozen_changed_by_id_users', 'users', ['frozen_changed_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_constraint('fk_patients_frozen_changed_by_id_users', type_='foreignkey')
        batch_op.drop_column('frozen_changed_by_id')
        batch_op.drop_column('frozen_changed_at')
        batch_op.drop_column('frozen_reason')
