"""Domain steps of the panel processes: what service tasks (effects) and submitted panel forms do, closing a panel
with its open processes, and telling the panel's process what happened outside its tasks.

Effect handlers run in the transaction of the service that advanced the instance and only flush.
Submission handlers turn a form's answers into rows and hand ids and routing flags to the process.
The panel as the workflow layer's subject (its thematic area, pinned form version, loader, check on written answers)
is answered from here too.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import Membership
from app.accounts.models import Role
from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.errors import InvalidInput
from app.formdesign.queries import form_for_version
from app.i18n import N_
from app.panels import follow_up
from app.panels import timeline
from app.panels.material import review_of
from app.panels.models import ClosingReason
from app.panels.models import Contribution
from app.panels.models import DataRequest
from app.panels.models import InvitationStatus
from app.panels.models import Outcome
from app.panels.models import Panel
from app.panels.models import PanelMember
from app.panels.models import Phase
from app.patients import privacy
from app.tasks.form_definitions import FormDefinition
from app.tasks.models import OpenTask
from app.workflows import store
from app.workflows.models import InstanceStatus
from app.workflows.models import ProcessInstance
from app.workflows.registry import register


def panel_of(instance: ProcessInstance) -> Panel:
    panel = db.session.get(Panel, instance.subject_id) if instance.subject_type == "panel" else None
    if panel is None:
        raise LookupError(f"process instance {instance.id} is not about a panel")
    return panel


def _get(model: Any, params: dict[str, Any], key: str) -> Any:
    row = db.session.get(model, int(params[key]))
    if row is None:
        raise LookupError(f"no {model.__tablename__} row {params[key]}")
    return row


# Effects (service tasks) --------------------------------------------------------------------------


def form_version_of(panel_id: int, form_key: str, base: FormDefinition) -> FormDefinition:
    """A panel keeps the version of its ERN's consultation form it was filled with; other forms are the shipped ones."""
    if form_key != "consultation":
        return base
    panel = db.session.get(Panel, panel_id)
    return form_for_version(panel.consultation_version_id if panel else None, base)


def load_panel(panel_id: int) -> Panel | None:
    """The panel a task is about, shown above its form."""
    return db.session.get(Panel, panel_id)


def thematic_area_of(panel_id: int) -> int | None:
    """The panel's thematic area (its tasks are counted and filtered by it in the coordinators' queue)."""
    panel = db.session.get(Panel, panel_id)
    return panel.thematic_area_id if panel is not None else None


def refuse_identifying_answers(panel_id: int, written: dict[str, Any]) -> None:
    """What people write on a panel's tasks must not identify its patient: panel members outside the centre read it."""
    panel = db.session.get(Panel, panel_id)
    if panel is not None:
        privacy.refuse_identifying(panel.patient, written)


# Phases the step that brings them already announces on the timeline (panel opened, consultation form submitted,
# outcome drafted, outcome signed off): their status gets no line of its own, so that each event shows once.
_ANNOUNCED = frozenset({Phase.CREATION, Phase.SELECTION, Phase.REVIEW, Phase.SIGNED})


def set_panel_phase(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    """The panel moved to a new phase; its status follows."""
    panel = _get(Panel, params, "panel_id")
    panel.phase = Phase(params["phase"])
    if panel.phase not in _ANNOUNCED:
        timeline.add(panel, "phase", _STATUS_LINES[panel.status_label], None)


# The timeline line of each status, by its label (PHASE_LABELS, "Archived"): whole sentences for the translators.
_STATUS_LINES = {
    "Panel in creation": N_("Status: Panel in creation"),
    "Panel selection": N_("Status: Panel selection"),
    "Panel in progress": N_("Status: Panel in progress"),
    "Outcome in review": N_("Status: Outcome in review"),
    "Outcome signed off": N_("Status: Outcome signed off"),
    "Closed": N_("Status: Closed"),
    "Archived": N_("Status: Archived"),
}

_PANEL_EVENTS = {
    "outcome_review": N_("the draft outcome is ready for your review and comments."),
    "review_window_over": N_("the review window of the outcome is over; it can be signed off."),
    "experts_suggested": N_("the coordinator suggested experts to invite."),
}


def notify_panel(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    """Tell the people a panel event concerns (members for a review, the lead otherwise)."""
    panel = _get(Panel, params, "panel_id")
    event = str(params["event"])
    if event not in _PANEL_EVENTS:
        raise LookupError(f"notify_panel: unknown event {event!r}")
    people = timeline.members_except(panel, panel.lead) if event == "outcome_review" else [panel.lead]
    timeline.tell(people, panel, _PANEL_EVENTS[event])


def sign_outcome(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    """The lead signed the outcome off: from now on it never changes (corrections are addenda)."""
    panel = _get(Panel, params, "panel_id")
    outcome = db.session.scalar(select(Outcome).where(Outcome.panel_id == panel.id))
    if outcome is None:
        raise LookupError(f"panel {panel.id} has no outcome to sign off")
    outcome.signed_at, outcome.signed_by_id = utcnow(), panel.lead_id
    timeline.add(panel, "outcome", N_("Outcome signed off."), actor)
    timeline.tell(timeline.members_except(panel, actor), panel, N_("the outcome was signed off."))
    follow_up.start_for(outcome, panel, actor)  # the patient's centre is asked, months later, how the advice served


def finish_panel(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    """The panel is closed: read-only, its open invitations and requests end."""

    panel = _get(Panel, params, "panel_id")
    close(panel, actor, keep_instance_id=instance.id)


def notify_invitation(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    member = _get(PanelMember, params, "membership_id")
    if member.panel.urgent:
        timeline.tell([member.user], member.panel, N_("URGENT: you are invited to join the panel. Please accept or decline."))
    else:
        timeline.tell([member.user], member.panel, N_("you are invited to join the panel. Please accept or decline."))


def remind_invitee(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    member = _get(PanelMember, params, "membership_id")
    if member.status != InvitationStatus.INVITED:
        return
    member.reminded_at = utcnow()
    timeline.tell([member.user], member.panel, N_("reminder: your invitation waits for an answer."))
    timeline.add(member.panel, "invitation", N_("%(name)s was reminded of the invitation."), None, name=member.user.full_name)


def expire_invitation(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    member = _get(PanelMember, params, "membership_id")
    if member.status != InvitationStatus.INVITED:
        return
    member.status, member.answered_at = InvitationStatus.EXPIRED, utcnow()
    timeline.add(member.panel, "invitation", N_("The invitation of %(name)s expired."), None, name=member.user.full_name)
    timeline.tell([member.panel.lead], member.panel, N_("the invitation of %(name)s expired unanswered."), name=member.user.full_name)


def notify_data_request(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    request = _get(DataRequest, params, "data_request_id")
    panel = db.session.get(Panel, request.panel_id)
    assert panel is not None
    centre_people = db.session.scalars(
        select(User)
        .join(Membership)
        .where(
            Membership.centre_id == panel.centre_id,
            Membership.ern_id == panel.ern_id,
            Membership.role.in_((Role.MEMBER_EXPERT, Role.PANEL_MANAGER)),
        )
    ).all()
    timeline.tell([panel.lead, *centre_people], panel, N_("a member asked for additional data."))


def notify_data_provided(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    request = _get(DataRequest, params, "data_request_id")
    panel = db.session.get(Panel, request.panel_id)
    assert panel is not None
    timeline.tell([request.requested_by], panel, N_("the additional data you asked for was provided."))


# Submitted forms ----------------------------------------------------------------------------------


def submit_consultation(actor: User, instance: ProcessInstance, answers: dict[str, Any]) -> dict[str, Any]:
    """The consultation form becomes the panel's case description, its version 1; nickname and urgency show in lists."""
    panel = panel_of(instance)
    db.session.add(panel.take_consultation(answers, actor, number=1))
    timeline.add(panel, "consultation", N_("Consultation form submitted."), actor)
    return {}


def submit_invitation_reply(actor: User, instance: ProcessInstance, answers: dict[str, Any]) -> dict[str, Any]:
    """The invitee (or the lead on their behalf) accepts or declines."""
    panel = panel_of(instance)
    member = db.session.scalar(select(PanelMember).where(PanelMember.instance_id == instance.id))
    if member is None:
        raise LookupError(f"no invitation for process instance {instance.id}")
    accepted = answers["answer"] == "accept"
    member.status = InvitationStatus.ACCEPTED if accepted else InvitationStatus.DECLINED
    member.reason = "" if accepted else str(answers.get("reason") or "")
    member.answered_at, member.answered_by_id = utcnow(), actor.id
    name, by = member.user.full_name, actor.full_name
    if actor.id == member.user_id:
        line = N_("%(name)s accepted the invitation.") if accepted else N_("%(name)s declined the invitation.")
    elif accepted:
        line = N_("%(name)s accepted the invitation (answered by %(by)s).")
    else:
        line = N_("%(name)s declined the invitation (answered by %(by)s).")
    timeline.add(panel, "invitation", line, actor, name=name, by=by)
    if actor.id != panel.lead_id:
        told = N_("%(name)s accepted the invitation.") if accepted else N_("%(name)s declined the invitation.")
        timeline.tell([panel.lead], panel, told, name=name)
    return {"answer": answers["answer"]}


def submit_contribution(actor: User, instance: ProcessInstance, answers: dict[str, Any]) -> dict[str, Any]:
    """A member's advice, with the time it took."""
    panel = panel_of(instance)
    record_contribution(panel, actor, answers)
    return {}


def record_contribution(panel: Panel, actor: User, answers: dict[str, Any]) -> Contribution:
    minutes = int(answers.get("hours") or 0) * 60 + int(answers.get("minutes") or 0)
    contribution = Contribution(panel_id=panel.id, author_id=actor.id, text=str(answers["text"]), minutes_spent=minutes)
    db.session.add(contribution)
    timeline.add(panel, "contribution", N_("%(name)s recorded a contribution."), actor, name=actor.full_name)
    timeline.tell(timeline.members_except(panel, actor), panel, N_("%(name)s recorded a contribution."), name=actor.full_name)
    tell_process(panel, "contribution_recorded", actor)
    return contribution


def submit_additional_data(actor: User, instance: ProcessInstance, answers: dict[str, Any]) -> dict[str, Any]:
    request = db.session.scalar(select(DataRequest).where(DataRequest.instance_id == instance.id))
    if request is None:
        raise LookupError(f"no data request for process instance {instance.id}")
    request.answer, request.provided_by_id, request.completed_at = str(answers["answer"]), actor.id, utcnow()
    timeline.add(panel_of(instance), "data_request", N_("%(name)s provided additional data."), actor, name=actor.full_name)
    return {}


def submit_outcome(actor: User, instance: ProcessInstance, answers: dict[str, Any]) -> dict[str, Any]:
    """The lead's draft outcome (replaced by each new draft until it is signed off)."""
    panel = panel_of(instance)
    outcome = db.session.scalar(select(Outcome).where(Outcome.panel_id == panel.id))
    if outcome is not None and outcome.signed_at is not None:
        raise LookupError(f"panel {panel.id}: the outcome is signed off and cannot change")
    if outcome is None:
        outcome = Outcome(panel_id=panel.id)
        db.session.add(outcome)
    for name in ("case_question", "recommendations", "diagnosis_codes", "follow_up"):
        setattr(outcome, name, str(answers.get(name) or ""))
    outcome.drafted_by_id, outcome.drafted_at = actor.id, utcnow()
    timeline.add(panel, "outcome", N_("Outcome drafted and sent to the members for review."), actor)
    return {}


def check_sign_off(actor: User, instance: ProcessInstance, answers: dict[str, Any]) -> None:
    """Signing off while the review window is open and a member has not reviewed needs the "sign off early" tick."""
    if answers["decision"] != "sign_off" or "yes" in (answers.get("sign_off_early") or []):
        return
    panel = panel_of(instance)
    window_ends = db.session.scalar(
        select(OpenTask.due_at).where(OpenTask.instance_id == instance.id, OpenTask.form_key == "outcome_sign_off")
    )
    outcome = db.session.scalar(select(Outcome).where(Outcome.panel_id == panel.id))
    review = review_of(panel, outcome, window_ends)
    if not review.may_sign_without_confirming:
        names = ", ".join(u.full_name for u in review.waiting_for)
        message = _(
            "The review window is open until %(when)s and %(names)s did not review yet: tick “Sign off early” to sign off now.",
            when=format_datetime(window_ends, "short"),
            names=names,
        )
        raise InvalidInput(message, {"sign_off_early": [message]})


def submit_panel_closing(actor: User, instance: ProcessInstance, answers: dict[str, Any]) -> dict[str, Any]:
    panel = panel_of(instance)
    panel.closing_reason = ClosingReason(answers["reason"])
    panel.closing_note = str(answers.get("note") or "")
    return {}


def submit_expert_suggestion(actor: User, instance: ProcessInstance, answers: dict[str, Any]) -> dict[str, Any]:
    panel = panel_of(instance)
    timeline.add(panel, "assistance", N_("Suggested experts: %(suggestion)s"), actor, suggestion=str(answers["suggestion"]))
    return {}


def tell_process(panel: Panel, signal: str, actor: User) -> bool:
    """Throw a BPMN signal (``lead_handed_over``, ``contribution_recorded``) at the panel's running process, so that
    its diagram, its instance log and the panel's timeline tell the same story; a version that does not model the
    event ignores it (False)."""
    instance = db.session.scalar(
        select(ProcessInstance)
        .where(
            ProcessInstance.process_id == "panel",
            ProcessInstance.subject_type == "panel",
            ProcessInstance.subject_id == panel.id,
            ProcessInstance.status == InstanceStatus.RUNNING,
        )
        .order_by(ProcessInstance.id.desc())
        .limit(1)
        .with_for_update()
    )
    return instance is not None and store.signal(instance, signal, actor) is not None


# What packages built on panels do when a panel closes (the meetings package cancels its meetings); by name,
# registered when the app is created (app/wiring.py).
CLOSING_STEPS: dict[str, Callable[[Panel, User | None], None]] = {}


def register_closing_steps(steps: Mapping[str, Callable[[Panel, User | None], None]]) -> None:
    register(CLOSING_STEPS, steps, "step on closing a panel")


def close(panel: Panel, actor: User | None, *, keep_instance_id: int | None = None) -> None:
    """Mark the panel closed and cancel its other running processes (open invitations, requests)."""
    panel.phase, panel.closed_at = Phase.CLOSED, utcnow()
    for step in CLOSING_STEPS.values():
        step(panel, actor)
    running = db.session.scalars(
        select(ProcessInstance)
        .where(
            ProcessInstance.subject_type == "panel",
            ProcessInstance.subject_id == panel.id,
            ProcessInstance.status == InstanceStatus.RUNNING,
        )
        .order_by(ProcessInstance.id)
        .with_for_update()
    ).all()
    for instance in running:
        if instance.id == keep_instance_id:
            continue
        store.cancel(instance, actor)
    for member in db.session.scalars(select(PanelMember).where(PanelMember.panel_id == panel.id)):
        if member.status == InvitationStatus.INVITED:
            member.status, member.answered_at = InvitationStatus.WITHDRAWN, utcnow()
    timeline.add(panel, "closed", _CLOSED_LINES[panel.closing_reason], actor)
    timeline.tell(timeline.members_except(panel, actor), panel, N_("the panel was closed."))


_CLOSED_LINES = {
    ClosingReason.ADVICE_GIVEN: N_("Panel closed (advice given)."),
    ClosingReason.INSUFFICIENT_DATA: N_("Panel closed (insufficient data)."),
    ClosingReason.WITHDRAWN: N_("Panel closed (withdrawn)."),
    ClosingReason.DUPLICATE: N_("Panel closed (duplicate)."),
    ClosingReason.OTHER: N_("Panel closed (other)."),
    None: N_("Panel closed (no reason)."),
}
