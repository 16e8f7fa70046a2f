"""open tasks lose their revision, its index and the triggers that set it: the queue groups an ERN's tasks on every request

The queue no longer keeps counts between requests, so nothing needs to know that a task changed: counts are
right after any write, a restore or a load made with the triggers off, and app processes need no restart.

Revision ID: 4d951e1fce47
Revises: 5d1c7e0a9b21
Create Date: 2026-12-06 13:30:00.000000

"""
from alembic import context
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4d951e1fce47'
down_revision = '5d1c7e0a9b21'
branch_labels = None
depends_on = None

# IF EXISTS: a database restored without its triggers (pg_restore of data into a fresh schema) upgrades too.
POSTGRESQL_DROPS = [
    "DROP TRIGGER IF EXISTS thematic_areas_name_revises_open_tasks ON thematic_areas",
    "DROP TRIGGER IF EXISTS centres_code_revises_open_tasks ON centres",
    "DROP FUNCTION IF EXISTS open_tasks_relabelled()",
    "DROP TRIGGER IF EXISTS open_tasks_revision ON open_tasks",
    "DROP FUNCTION IF EXISTS open_tasks_new_revision()",
]
SQLITE_DROPS = [
    "DROP TRIGGER IF EXISTS open_tasks_revision_on_insert",
    "DROP TRIGGER IF EXISTS open_tasks_revision_on_update",
    "DROP TRIGGER IF EXISTS centres_code_revises_open_tasks",
    "DROP TRIGGER IF EXISTS thematic_areas_name_revises_open_tasks",
]


def upgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for statement in POSTGRESQL_DROPS if postgresql else SQLITE_DROPS:
        op.execute(statement)
    op.drop_index('ix_open_tasks_revision', table_name='open_tasks')
    # Not in batch mode: SQLite drops the column in place (a copied table would lose ix_open_tasks_due, an
    # expression index batch mode cannot reflect).
    op.drop_column('open_tasks', 'revision')


def downgrade():
    # The revision's column, index and triggers exactly as 731004cd4ebc made them (its statements, not a copy).
    made = context.script.get_revision('731004cd4ebc').module
    postgresql = op.get_bind().dialect.name == 'postgresql'
    op.add_column('open_tasks', sa.Column('revision', sa.BigInteger(), server_default='0', nullable=False))
    op.create_index('ix_open_tasks_revision', 'open_tasks', ['ern_id', 'revision'], unique=False)
    op.execute(f"UPDATE open_tasks SET revision = {made.POSTGRESQL_RANDOM if postgresql else made.SQLITE_RANDOM}")
    for statement in made.POSTGRESQL_TRIGGERS if postgresql else made.SQLITE_TRIGGERS:
        op.execute(statement)
