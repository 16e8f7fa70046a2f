"""Two app processes on one database: a change one of them commits shows in the other's queue on its next request."""

from __future__ import annotations

from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.queues import queries
from app.queues import services as queue_services
from tests import factories
from tests.concurrency.test_concurrency import _fresh_app


def _unassigned(app, ern_id):
    with app.app_context():
        total = queries.queue(ern_id, queries.Filters(unassigned=True), utcnow()).total
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
