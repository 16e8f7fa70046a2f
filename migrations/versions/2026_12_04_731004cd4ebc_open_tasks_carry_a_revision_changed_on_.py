"""open tasks carry a random revision, new on every write (and when their centre's code or area's name changes); an index by age; the due-date index carries the queue's filters

The queue caches an ERN's grouped counts under the ERN's tasks' count and revision sums: the database
sets the revision, so no writer (the ORM, a Core statement, a foreign-key action, a hand-made UPDATE)
can change a task without changing the sums, unless the triggers are switched off (PostgreSQL's
session_replication_role = replica, pg_restore --disable-triggers): restart the app processes after
such a write.
A later migration that has SQLite copy one of these tables (batch mode) must create its triggers again
(tests/app/test_queue_groups.py fails if it does not).

Revision ID: 731004cd4ebc
Revises: bf87bf4505c9
Create Date: 2026-12-04 01:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '731004cd4ebc'
down_revision = 'bf87bf4505c9'
branch_labels = None
depends_on = None

SQLITE_RANDOM = "(random() & 4611686018427387903)"  # 62 bits, never negative
# Two draws of 31 bits: one random() has only 52 bits to give.
POSTGRESQL_RANDOM = "(floor(random() * 2147483648)::bigint * 2147483648 + floor(random() * 2147483648)::bigint)"

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER open_tasks_revision_on_insert AFTER INSERT ON open_tasks
        BEGIN UPDATE open_tasks SET revision = {SQLITE_RANDOM} WHERE id = NEW.id; END""",
    # Also when the UPDATE set a revision itself (an ORM merge of an old copy would put an old one back). The
    # trigger's own UPDATE does not fire it again: SQLite's recursive_triggers is off (the app never turns it on).
    f"""CREATE TRIGGER open_tasks_revision_on_update AFTER UPDATE ON open_tasks
        BEGIN UPDATE open_tasks SET revision = {SQLITE_RANDOM} WHERE id = NEW.id; END""",
    f"""CREATE TRIGGER centres_code_revises_open_tasks AFTER UPDATE OF code ON centres WHEN NEW.code IS NOT OLD.code
        BEGIN UPDATE open_tasks SET revision = {SQLITE_RANDOM} WHERE centre_id = NEW.id; END""",
    f"""CREATE TRIGGER thematic_areas_name_revises_open_tasks AFTER UPDATE OF name ON thematic_areas WHEN NEW.name IS NOT OLD.name
        BEGIN UPDATE open_tasks SET revision = {SQLITE_RANDOM} WHERE thematic_area_id = NEW.id; END""",
]
SQLITE_TRIGGER_NAMES = [
    "open_tasks_revision_on_insert",
    "open_tasks_revision_on_update",
    "centres_code_revises_open_tasks",
    "thematic_areas_name_revises_open_tasks",
]

POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION open_tasks_new_revision() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.revision := {POSTGRESQL_RANDOM}; RETURN NEW; END $$""",
    """CREATE TRIGGER open_tasks_revision BEFORE INSERT OR UPDATE ON open_tasks
        FOR EACH ROW EXECUTE FUNCTION open_tasks_new_revision()""",
    """CREATE FUNCTION open_tasks_relabelled() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_TABLE_NAME = 'centres' THEN
                UPDATE open_tasks SET revision = 0 WHERE centre_id = NEW.id;
            ELSE
                UPDATE open_tasks SET revision = 0 WHERE thematic_area_id = NEW.id;
            END IF;
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER centres_code_revises_open_tasks AFTER UPDATE OF code ON centres
        FOR EACH ROW WHEN (OLD.code IS DISTINCT FROM NEW.code) EXECUTE FUNCTION open_tasks_relabelled()""",
    """CREATE TRIGGER thematic_areas_name_revises_open_tasks AFTER UPDATE OF name ON thematic_areas
        FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION open_tasks_relabelled()""",
]
POSTGRESQL_DROPS = [
    "DROP TRIGGER thematic_areas_name_revises_open_tasks ON thematic_areas",
    "DROP TRIGGER centres_code_revises_open_tasks ON centres",
    "DROP FUNCTION open_tasks_relabelled()",
    "DROP TRIGGER open_tasks_revision ON open_tasks",
    "DROP FUNCTION open_tasks_new_revision()",
]


# ix_open_tasks_due gains the columns the queue filters on, after those of its order (an expression index,
# written by hand as in c42658b52b2f).
QUEUE_FILTERS = ['centre_id', 'thematic_area_id', 'process_id', 'name', 'assignee_id']


def _due_index(filters):
    op.drop_index('ix_open_tasks_due', table_name='open_tasks')
    op.create_index(
        'ix_open_tasks_due',
        'open_tasks',
        ['ern_id', sa.text('(coalesce(due_at, sla_due_at) IS NULL)'), sa.text('coalesce(due_at, sla_due_at)'), 'id', *filters],
        unique=False,
    )


def upgrade():
    with op.batch_alter_table('open_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.create_index('ix_open_tasks_revision', ['ern_id', 'revision'], unique=False)
        batch_op.create_index('ix_open_tasks_age', ['ern_id', 'created_at', 'id', 'due_at', 'sla_due_at'], unique=False)
    _due_index(QUEUE_FILTERS)
    postgresql = op.get_bind().dialect.name == 'postgresql'
    op.execute(f"UPDATE open_tasks SET revision = {POSTGRESQL_RANDOM if postgresql else SQLITE_RANDOM}")
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for statement in POSTGRESQL_DROPS:
            op.execute(statement)
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {name}")
    _due_index([])
    op.drop_index('ix_open_tasks_age', table_name='open_tasks')
    op.drop_index('ix_open_tasks_revision', table_name='open_tasks')
    # Not in batch mode: SQLite drops the column in place (a copied table would lose ix_open_tasks_due, an
    # expression index batch mode cannot reflect).
    op.drop_column('open_tasks', 'revision')
