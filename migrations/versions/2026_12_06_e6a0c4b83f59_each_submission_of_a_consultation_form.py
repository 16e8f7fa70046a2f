"""each submission of a consultation form is kept as a version

Revision ID: e6a0c4b83f59
Revises: d5f9b3a72e48
Create Date: 2026-12-06 21:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e6a0c4b83f59'
down_revision = 'd5f9b3a72e48'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'consultation_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('panel_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['panel_id'], ['panels.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('panel_id', 'number'),
    )
    # A panel submitted before versions were kept: its consultation form is its version 1, submitted by whoever the
    # timeline says submitted it (else the panel's creator).
    op.execute(
        "INSERT INTO consultation_versions (panel_id, number, answers, submitted_by_id, submitted_at) "
        "SELECT panels.id, 1, panels.consultation, COALESCE(("
        "SELECT timeline_entries.actor_id FROM timeline_entries "
        "WHERE timeline_entries.panel_id = panels.id AND timeline_entries.kind = 'consultation' "
        "ORDER BY timeline_entries.id LIMIT 1), panels.created_by_id), panels.consultation_submitted_at "
        "FROM panels WHERE panels.consultation_submitted_at IS NOT NULL"
    )


def downgrade():
    op.drop_table('consultation_versions')
