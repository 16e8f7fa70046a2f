"""The queue's grouped counts are kept per ERN between requests: whatever changes a task, or the clock passing a
due date, shows on the next request, and a rolled-back change leaves nothing behind."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update

from app.accounts.models import Membership
from app.accounts.models import Role
from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.organisations.models import Centre
from app.organisations.models import ThematicArea
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


def _revision(task):
    return db.session.scalar(select(OpenTask.revision).where(OpenTask.id == task.id))


def test_the_database_gives_a_task_a_new_revision_on_every_write_whoever_writes(world, tasks):
    task = tasks["select_experts"]
    first = _revision(task)
    assert first != 0  # set on insert
    db.session.execute(update(OpenTask).where(OpenTask.id == task.id).values(escalated_at=utcnow()))
    second = _revision(task)
    task.label = "Choose the experts"
    db.session.flush()
    third = _revision(task)
    db.session.execute(update(Centre).where(Centre.id == world.leuven.id).values(code="BE11"))
    fourth = _revision(task)
    db.session.execute(update(ThematicArea).where(ThematicArea.id == task.thematic_area_id).values(name="Renamed"))
    fifth = _revision(task)
    db.session.execute(update(OpenTask).where(OpenTask.id == task.id).values(assignee_id=world.colleague.id, revision=first))
    assert len({first, second, third, fourth, fifth, _revision(task)}) == 6  # an old revision written back is renewed too
    db.session.refresh(task)
    assert task.revision == _revision(task)  # the ORM reads the revision the database set


def test_each_change_to_the_erns_tasks_shows_on_the_next_request(world, tasks):
    total, counts = _counts(world)
    assert total == 2 and counts["overdue"] == {"overdue": 0}
    task = tasks["select_experts"]
    db.session.execute(update(OpenTask).where(OpenTask.id == task.id).values(sla_due_at=utcnow() - timedelta(days=1)))
    assert _counts(world)[1]["overdue"] == {"overdue": 1}
    assert _counts(world, unassigned=True)[0] == 2
    db.session.execute(update(OpenTask).where(OpenTask.id == task.id).values(assignee_id=world.colleague.id))
    assert _counts(world, unassigned=True)[0] == 1
    db.session.execute(update(Centre).where(Centre.id == world.leuven.id).values(code="BE11"))
    assert _counts(world)[1]["centre"] == {"BE11": 2}
    db.session.execute(delete(OpenTask).where(OpenTask.id == tasks["enrol_patient"].id))
    total, counts = _counts(world)
    assert total == 1 and counts["process"] == {"panel": 1}


def test_an_assignee_removed_by_the_database_itself_shows_as_unassigned(world, tasks):
    stand_in = factories.make_user("stand-in@ern.example", [(world.ern, world.leuven, Role.MEMBER_EXPERT)])
    task = tasks["enrol_patient"]
    db.session.execute(update(OpenTask).where(OpenTask.id == task.id).values(assignee_id=stand_in.id))
    assert _counts(world, unassigned=True)[0] == 1
    db.session.execute(delete(Membership).where(Membership.user_id == stand_in.id))
    db.session.execute(delete(User).where(User.id == stand_in.id))  # open_tasks.assignee_id: ON DELETE SET NULL
    assert _counts(world, unassigned=True)[0] == 2


def test_tasks_fall_due_as_the_clock_passes_their_due_date_and_not_before(world, tasks):
    now = utcnow()
    task = tasks["select_experts"]
    db.session.execute(update(OpenTask).where(OpenTask.id == task.id).values(sla_due_at=now + timedelta(hours=1)))
    assert _counts(world, now)[1]["overdue"] == {"overdue": 0}
    assert _counts(world, now + timedelta(minutes=59))[1]["overdue"] == {"overdue": 0}
    assert _counts(world, now + timedelta(hours=2))[1]["overdue"] == {"overdue": 1}
    assert _counts(world, now + timedelta(hours=3))[1]["overdue"] == {"overdue": 1}
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
