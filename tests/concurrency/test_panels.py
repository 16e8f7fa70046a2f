"""Panels with really committed data: two people answering one invitation at once, and an invitation
that expired while the app was down."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.errors import Conflict
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.panels import services as panel_services
from app.panels.models import InvitationStatus
from app.panels.models import PanelMember
from app.workflows.models import InstanceEvent
from tests import factories
from tests.concurrency.test_concurrency import _fresh_app
from tests.concurrency.test_concurrency import run_together


def _invited_panel(app, ids):
    """A committed panel of the clinician with the colleague invited; returns (panel id, answer task id)."""
    with app.app_context():
        clinician, colleague = db.session.get(User, ids["clinician"]), db.session.get(User, ids["colleague"])
        ern, leuven = db.session.get(Ern, ids["ern"]), db.session.get(Centre, ids["leuven"])
        factories.give_areas(colleague, ern)
        patient = factories.enrol(clinician, leuven, ern)
        panel_id = factories.open_panel(clinician, patient)
        panel_services.invite_experts(clinician, panel_id, [colleague.id], factories.ORIGIN)
        task_id = factories.task_of(colleague, "answer_invitation")
        db.session.remove()
    return panel_id, task_id


def test_the_invitee_and_the_lead_answering_at_once_one_wins_the_other_is_told(committed):
    app, _url, ids = committed
    panel_id, task_id = _invited_panel(app, ids)
    answers = [("colleague", "accept"), ("clinician", "decline")]

    def answer(index):
        who, reply = answers[index]
        return factories.complete(db.session.get(User, ids[who]), task_id, {"answer": reply})

    results = run_together(app, 2, answer)
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], Conflict), results
    assert "already completed by" in failures[0].message or "changed while you were working" in failures[0].message
    with app.app_context():
        member = db.session.scalar(select(PanelMember).where(PanelMember.panel_id == panel_id, PanelMember.user_id == ids["colleague"]))
        winner = answers[results.index(next(r for r in results if not isinstance(r, Exception)))][1]
        assert member.status == (InvitationStatus.ACCEPTED if winner == "accept" else InvitationStatus.DECLINED)
        db.session.remove()


def test_an_invitation_that_expired_while_the_app_was_down_expires_once_after_restart(committed):
    app, url, ids = committed
    panel_id, _task_id = _invited_panel(app, ids)
    restarted = _fresh_app(url)
    from app.workflows.services import fire_due_timers

    with restarted.app_context():
        later = utcnow() + timedelta(days=15)
        assert fire_due_timers(later) >= 1
        assert fire_due_timers(later + timedelta(hours=1)) == 0
        member = db.session.scalar(select(PanelMember).where(PanelMember.panel_id == panel_id, PanelMember.user_id == ids["colleague"]))
        assert member.status == InvitationStatus.EXPIRED
        expiries = db.session.scalars(
            select(InstanceEvent).where(
                InstanceEvent.instance_id == member.instance_id, InstanceEvent.task_name == "expire_invitation_task"
            )
        ).all()
        assert len(expiries) == 1
        db.session.remove()
        db.engine.dispose()
