"""The queue's counts are right on the request after any write, whoever makes it: the ORM, a Core statement, plain
SQL, a foreign-key action, a rolled-back transaction, or the clock passing a due date; in the same number of queries."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from app.accounts.models import Role
from app.database import db
from app.database import utcnow
from app.queues import queries
from app.tasks.models import OpenTask
from tests import factories


@pytest.fixture
def tasks(world):
    """An enrolment waiting at Leuven and a panel whose lead must select experts."""
    factories.start_enrolment(world.clinician, world.leuven, world.ern)
    factories.open_panel(world.clinician, factories.enrol(world.clinician, world.leuven, world.ern))
    return {task.name: task for task in db.session.scalars(select(OpenTask))}


def _counts(world, now=None, **filters):
    result = queries.queue(world.ern.id, queries.Filters(**filters), now or utcnow())
    counts = {column: {label: n for _value, label, n in result.counts[column]} for column in result.counts}
    return result.total, counts


def test_a_write_made_with_plain_sql_shows_on_the_next_request(world, tasks):
    task = tasks["select_experts"]
    assert _counts(world)[0] == 2
    sql = db.session.execute
    sql(text("UPDATE open_tasks SET sla_due_at = :due WHERE id = :id"), {"due": utcnow() - timedelta(days=1), "id": task.id})
    assert _counts(world)[1]["overdue"] == {"overdue": 1}
    sql(text("UPDATE open_tasks SET assignee_id = :user WHERE id = :id"), {"user": world.colleague.id, "id": task.id})
    assert _counts(world, unassigned=True)[0] == 1
    sql(text("UPDATE centres SET code = 'BE11' WHERE id = :id"), {"id": world.leuven.id})
    assert _counts(world)[1]["centre"] == {"BE11": 2}
    sql(text("UPDATE thematic_areas SET name = 'Renamed' WHERE id = :id"), {"id": task.thematic_area_id})
    assert _counts(world)[1]["area"] == {"Renamed": 1}
    # A bulk load: every task of the ERN once more, as a restore or an import outside the app would write them.
    columns = (
        "instance_id, process_id, name, label, form_key, role, ern_id, centre_id, subject_type, subject_id, thematic_area_id, created_at"
    )
    sql(
        text(f"INSERT INTO open_tasks ({columns}, engine_task_id) SELECT {columns}, 'bulk-' || id FROM open_tasks WHERE ern_id = :ern"),
        {"ern": world.ern.id},
    )
    total, counts = _counts(world)
    assert total == 4 and counts["process"] == {"panel": 2, "enrolment": 2} and counts["overdue"] == {"overdue": 1}
    sql(text("DELETE FROM open_tasks WHERE engine_task_id LIKE 'bulk-%' OR id = :id"), {"id": tasks["enrol_patient"].id})
    total, counts = _counts(world)
    assert total == 1 and counts["process"] == {"panel": 1}


def test_a_write_through_the_orm_or_a_core_statement_shows_on_the_next_request(world, tasks):
    task = tasks["select_experts"]
    task.label = "Choose the experts"
    db.session.flush()
    assert _counts(world)[1]["task"] == {"Choose the experts": 1, "Enrol patient": 1}
    db.session.execute(update(OpenTask).where(OpenTask.id == task.id).values(assignee_id=world.colleague.id))
    assert _counts(world, unassigned=True)[0] == 1


def test_an_assignee_removed_by_the_database_itself_shows_as_unassigned(world, tasks):
    stand_in = factories.make_user("stand-in@ern.example", [(world.ern, world.leuven, Role.MEMBER_EXPERT)])
    task = tasks["enrol_patient"]
    db.session.execute(update(OpenTask).where(OpenTask.id == task.id).values(assignee_id=stand_in.id))
    assert _counts(world, unassigned=True)[0] == 1
    db.session.execute(text("DELETE FROM memberships WHERE user_id = :id"), {"id": stand_in.id})
    db.session.execute(text("DELETE FROM users WHERE id = :id"), {"id": stand_in.id})  # open_tasks.assignee_id: ON DELETE SET NULL
    assert _counts(world, unassigned=True)[0] == 2


def test_tasks_fall_due_as_the_clock_passes_their_due_date_and_not_before(world, tasks):
    now = utcnow()
    task = tasks["select_experts"]
    db.session.execute(update(OpenTask).where(OpenTask.id == task.id).values(sla_due_at=now + timedelta(hours=1)))
    assert _counts(world, now)[1]["overdue"] == {"overdue": 0}
    assert _counts(world, now + timedelta(minutes=59))[1]["overdue"] == {"overdue": 0}
    assert _counts(world, now + timedelta(hours=2))[1]["overdue"] == {"overdue": 1}
    assert _counts(world, now)[1]["overdue"] == {"overdue": 0}  # an earlier time asked for (a report, a test)


def test_what_a_rolled_back_transaction_counted_is_not_shown_after_it(world, tasks):
    before = _counts(world)
    savepoint = db.session.begin_nested()
    extra = {c.key: getattr(tasks["enrol_patient"], c.key) for c in OpenTask.__table__.columns if c.key not in ("id", "engine_task_id")}
    db.session.add(OpenTask(**extra, engine_task_id=str(uuid.uuid4())))
    db.session.flush()
    assert _counts(world)[0] == 3
    savepoint.rollback()
    assert _counts(world) == before


def test_the_queue_takes_as_many_queries_for_many_tasks_as_for_few(world, tasks):
    ern_id = world.ern.id

    def statements(**filters):
        executed = []
        db.session.flush()  # the queue's statements only, not the flush of what the test changed before
        connection = db.session.connection()
        listener = lambda *arguments: executed.append(arguments[2])  # noqa: E731
        event.listen(connection, "before_cursor_execute", listener)
        try:
            queries.queue(ern_id, queries.Filters(**filters), utcnow())
        finally:
            event.remove(connection, "before_cursor_execute", listener)
        return len(executed)

    few = [statements(), statements(unassigned=True, overdue=True), statements(process="panel")]
    template = tasks["enrol_patient"]
    columns = {c.key: getattr(template, c.key) for c in OpenTask.__table__.columns if c.key not in ("id", "engine_task_id")}
    for number in range(30):
        centre = world.brno.id if number % 2 else world.leuven.id
        db.session.add(OpenTask(**columns | {"centre_id": centre, "name": f"task_{number % 5}"}, engine_task_id=str(uuid.uuid4())))
    db.session.flush()
    assert [statements(), statements(unassigned=True, overdue=True), statements(process="panel")] == few
