import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column
from sqlalchemy import inspect

from app.database import db

# SQLite cannot reflect indexes on expressions: the comparison skips them (and says so); the test below checks them by name.
EXPRESSION_INDEXES = {"open_tasks": {"ix_open_tasks_due"}}


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_migrations_create_the_models_expression_indexes(app):
    with app.app_context():
        for table, names in EXPRESSION_INDEXES.items():
            indexes = db.metadata.tables[table].indexes
            declared = {index.name for index in indexes if not all(isinstance(e, Column) for e in index.expressions)}
            assert declared == names
            if db.engine.dialect.name == "sqlite":
                with db.engine.connect() as connection:
                    found = {row[0] for row in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")}
            else:
                found = {index["name"] for index in inspect(db.engine).get_indexes(table)}
            assert names <= found


def test_the_migrations_leave_no_triggers(app):
    """Every write is what its statement says: a restore, or a load with triggers off, leaves the same data."""
    with app.app_context(), db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite":
            triggers = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").all()
        else:
            triggers = connection.exec_driver_sql("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal").all()
    assert triggers == []
