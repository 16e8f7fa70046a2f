"""the queue's default order read from an index (due date, none last)

Revision ID: c42658b52b2f
Revises: 664a96856d4a
Create Date: 2026-12-03 14:35:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c42658b52b2f'
down_revision = '664a96856d4a'
branch_labels = None
depends_on = None


def upgrade():
    # An expression index: autogenerate cannot reflect these on SQLite, so this one is written by hand.
    op.create_index(
        'ix_open_tasks_due',
        'open_tasks',
        ['ern_id', sa.text('(coalesce(due_at, sla_due_at) IS NULL)'), sa.text('coalesce(due_at, sla_due_at)'), 'id'],
        unique=False,
    )


def downgrade():
    op.drop_index('ix_open_tasks_due', table_name='open_tasks')
