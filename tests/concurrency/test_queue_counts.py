"""Two app processes on one database, and writers outside the app: what one of them commits shows in every queue on
its next request."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.queues import queries
from app.queues import services as queue_services
from app.tasks.models import OpenTask
from tests import factories
from tests.concurrency.test_concurrency import _fresh_app


def _unassigned(app, ern_id):
    with app.app_context():
        total = queries.queue(ern_id, queries.Filters(unassigned=True), utcnow()).total
        db.session.remove()
    return total


def _total(app, ern_id):
    with app.app_context():
        total = queries.queue(ern_id, queries.Filters(), utcnow()).total
        db.session.remove()
    return total


def test_a_task_claimed_through_one_process_is_no_longer_unassigned_in_the_others_queue(committed):
    app, url, ids = committed
    other = _fresh_app(url)
    with app.app_context():
        clinician = db.session.get(User, ids["clinician"])
        task_id = factories.start_enrolment(clinician, db.session.get(Centre, ids["leuven"]), db.session.get(Ern, ids["ern"]))
        db.session.remove()
    before = _unassigned(app, ids["ern"])
    assert _unassigned(other, ids["ern"]) == before  # each process has now grouped the ERN's tasks once
    with other.app_context():
        queue_services.claim(db.session.get(User, ids["colleague"]), task_id, factories.ORIGIN)
        db.session.remove()
    assert _unassigned(app, ids["ern"]) == before - 1
    assert _unassigned(other, ids["ern"]) == before - 1
    with other.app_context():
        db.engine.dispose()


def test_tasks_loaded_with_plain_sql_from_outside_the_app_show_in_every_process_queue_at_once(committed):
    """A restore or a bulk import writes the table directly: no app process is told, none needs a restart."""
    app, url, ids = committed
    other = _fresh_app(url)
    with app.app_context():
        clinician = db.session.get(User, ids["clinician"])
        factories.start_enrolment(clinician, db.session.get(Centre, ids["leuven"]), db.session.get(Ern, ids["ern"]))
        db.session.remove()
    before = _total(app, ids["ern"])
    assert before and _total(other, ids["ern"]) == before
    columns = "instance_id, process_id, name, label, form_key, role, ern_id, centre_id, subject_type, subject_id, created_at"
    outside = create_engine(url)
    with outside.begin() as connection:
        connection.execute(
            text(f"INSERT INTO open_tasks ({columns}, engine_task_id) SELECT {columns}, 'load-' || id FROM open_tasks WHERE ern_id = :ern"),
            {"ern": ids["ern"]},
        )
    assert _total(app, ids["ern"]) == _total(other, ids["ern"]) == 2 * before
    with outside.begin() as connection:
        connection.execute(text("DELETE FROM open_tasks WHERE engine_task_id LIKE 'load-%'"))
    assert _total(app, ids["ern"]) == _total(other, ids["ern"]) == before
    outside.dispose()
    with other.app_context():
        db.engine.dispose()


def test_a_page_by_age_shows_every_task_even_when_one_falls_due_while_it_is_read(committed):
    """On PostgreSQL each statement sees the commits made before it: the page's rows come from one statement."""
    app, url, ids = committed
    with app.app_context():
        clinician = db.session.get(User, ids["clinician"])
        factories.start_enrolment(clinician, db.session.get(Centre, ids["leuven"]), db.session.get(Ern, ids["ern"]))
        tasks = OpenTask.__table__
        latest = db.session.scalar(select(func.max(tasks.c.id)).where(tasks.c.ern_id == ids["ern"]))
        db.session.remove()
    now = utcnow()
    other = create_engine(url)
    committed_meanwhile = []

    def commit_first(connection, cursor, statement, *_):
        if "UNION ALL" in statement and not committed_meanwhile:  # the page's rows are about to be read
            committed_meanwhile.append(statement)
            with other.begin() as writer:
                writer.execute(update(tasks).where(tasks.c.id == latest).values(sla_due_at=now - timedelta(days=1)))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", commit_first)
        try:
            result = queries.queue(ids["ern"], queries.Filters(), now, sort="age", per_page=100)
        finally:
            event.remove(db.engine, "before_cursor_execute", commit_first)
        db.session.remove()
    other.dispose()
    assert committed_meanwhile and len(result.rows) == result.total
