"""Panel use cases: each is one transaction, checked against the access policy."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

import engine
from app import security
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.ernsettings.models import ErnSettings
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.formdesign import queries as form_queries
from app.i18n import N_
from app.organisations.models import ThematicArea
from app.panels import queries
from app.panels import steps
from app.panels import timeline
from app.panels.models import ASSESSING
from app.panels.models import ClosingReason
from app.panels.models import Contribution
from app.panels.models import ContributionComment
from app.panels.models import DataRequest
from app.panels.models import ExpertGroup
from app.panels.models import InvitationStatus
from app.panels.models import Outcome
from app.panels.models import OutcomeAddendum
from app.panels.models import Panel
from app.panels.models import PanelMember
from app.panels.report import outcome_pdf
from app.patients import privacy
from app.patients.models import Patient
from app.tasks import completion
from app.tasks.form_definitions import FormDefinition
from app.workflows import store
from app.workflows.models import ProcessInstance

MAX_TEXT = 16000


def _visible_panel(actor: User, panel_id: int, *, lock: bool = False) -> Panel:
    query = select(Panel).where(Panel.id == panel_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    panel = db.session.scalar(query)
    if panel is None or not security.can_see_panel(actor, panel):
        raise NotFound(_("No such panel."))
    return panel


def _open_for_changes(panel: Panel) -> None:
    if panel.closed:
        raise Conflict(_("Panel %(title)s is closed: it can no longer change.", title=panel.title))


def _text(value: str, what: str, panel: Panel, limit: int = MAX_TEXT) -> str:
    """A text written on the panel: not empty, not too long, no control characters, nothing that identifies the patient."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput(_("%(what)s cannot be empty.", what=what))
    if len(text) > limit:
        raise InvalidInput(_("%(what)s is too long (at most %(n)s characters).", what=what, n=limit))
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise InvalidInput(_("%(what)s contains control characters; remove them and try again.", what=what))
    _pseudonymised(text, panel)
    return text


def _pseudonymised(text: Any, panel: Panel) -> None:
    if problem := privacy.problem_with(text, panel.patient):
        raise InvalidInput(problem)


def settings_for(ern_id: int) -> ErnSettings:
    return db.session.get(ErnSettings, ern_id) or ErnSettings(ern_id=ern_id)


def open_panel(actor: User, patient_id: int, thematic_area_id: int, origin: RequestInfo) -> tuple[int, str]:
    """Open a panel on an enrolled patient of the actor's centre; returns the panel and its consultation form task."""
    with transaction():
        patient = db.session.get(Patient, patient_id)
        if patient is None or not security.can_see_identifying_data(actor, patient):
            raise NotFound(_("No such patient."))
        if not security.can_open_panel(actor, patient):
            raise NotAllowed(_("Only health professionals of the patient's centre can open a panel."))
        if patient.frozen:
            raise Conflict(_("This patient is frozen: no new panels can be opened."))
        if not patient.consent_care:
            raise Conflict(_("A panel needs the patient's consent for care."))
        if patient.cpms_id is None:
            raise Conflict(_("This patient has no CPMS ID yet; the enrolment did not finish."))
        area = db.session.get(ThematicArea, thematic_area_id)
        if area is None or area.ern_id != patient.ern_id:
            raise InvalidInput(_("Choose a thematic area of the patient's ERN."))
        panel, task_id = create_panel(actor, patient, area.id, previous=None)
        audit.record(actor, "panel.opened", "panel", panel.id, origin, patient=patient.cpms_id)
    return panel.id, task_id


def create_panel(actor: User, patient: Patient, thematic_area_id: int, previous: Panel | None) -> tuple[Panel, str]:
    """Step (flushes only): the panel row, its lead as first member, and its process, waiting for the consultation form."""
    guest = patient.centre.is_guest
    panel = Panel(
        patient_id=patient.id,
        ern_id=patient.ern_id,
        centre_id=patient.centre_id,
        thematic_area_id=thematic_area_id,
        lead_id=None if guest else actor.id,
        created_by_id=actor.id,
        previous_panel_id=previous.id if previous else None,
        nickname=previous.nickname if previous else "",
    )
    pinned = form_queries.newest_version(patient.ern_id, "consultation")
    panel.consultation_version_id = pinned.id if pinned else None
    db.session.add(panel)
    db.session.flush()
    if not guest:
        db.session.add(PanelMember(panel_id=panel.id, user_id=actor.id, status=InvitationStatus.ACCEPTED, answered_at=utcnow()))
    timeline.add(panel, "created", N_("Panel opened by %(name)s."), actor, name=actor.full_name)
    if guest:
        told = N_("a guest expert opened this panel; assign a member expert as its lead.")
        timeline.tell(queries.coordinators_of(panel.ern_id), panel, told)
    instance, advance = start_for_panel(
        "panel", panel, {"panel_id": panel.id, "review_window": settings_for(panel.ern_id).review_window}, actor
    )
    panel.instance_id = instance.id
    return panel, advance.open_tasks[0].task_id


def invite_experts(actor: User, panel_id: int, user_ids: Iterable[int], origin: RequestInfo) -> list[str]:
    """Invite experts to the panel, one invitation process each; returns the names of those invited."""
    with transaction():
        panel = _visible_panel(actor, panel_id, lock=True)
        invited = invite(actor, panel, list(user_ids))
        audit.record(actor, "panel.invited", "panel", panel.id, origin, count=len(invited))
    return invited


def invite_group(actor: User, panel_id: int, group_id: int, origin: RequestInfo) -> list[str]:
    """Invite every expert of an ERN's expert group in one go."""
    with transaction():
        panel = _visible_panel(actor, panel_id, lock=True)
        group = db.session.get(ExpertGroup, group_id)
        if group is None or group.ern_id != panel.ern_id:
            raise NotFound(_("No such expert group in this ERN."))
        already = {m.user_id for m in panel.members if m.status in (InvitationStatus.INVITED, InvitationStatus.ACCEPTED)}
        invited = invite(actor, panel, [u.id for u in group.members if u.id not in already])
        audit.record(actor, "panel.invited_group", "panel", panel.id, origin, group=group.id, count=len(invited))
    return invited


def start_for_panel(
    process_id: str, panel: Panel, data: dict[str, Any], actor: User | None, assignee: User | None = None
) -> tuple[ProcessInstance, engine.Advance]:
    """Step (flushes only): start one of the panel's processes; its tasks are about the panel."""
    return store.start(
        process_id,
        subject_type="panel",
        subject_id=panel.id,
        ern_id=panel.ern_id,
        centre_id=panel.centre_id,
        data=data,
        actor=actor,
        assignee=assignee,
    )


def invite(actor: User, panel: Panel, user_ids: list[int]) -> list[str]:
    """Step (flushes only): one invitation process per expert, after the policy and eligibility checks; returns the
    names of those invited."""
    _open_for_changes(panel)
    if not (security.can_invite(actor, panel) or security.assists_panel(actor, panel)):
        raise NotAllowed(_("Only the panel lead, a panel manager or a coordinator asked for assistance can invite experts."))
    if not user_ids:
        raise InvalidInput(_("Choose at least one expert to invite."))
    eligible = {u.id: u for u in queries.invitable_experts(panel, user_ids=user_ids)}
    settings = settings_for(panel.ern_id)
    reminder, expiry = (
        (settings.urgent_reminder_after, settings.urgent_expire_after) if panel.urgent else (settings.reminder_after, settings.expire_after)
    )
    invited: list[str] = []
    for user_id in dict.fromkeys(user_ids):
        user = eligible.get(user_id)
        if user is None:
            raise InvalidInput(
                _(
                    "One of the chosen people cannot be invited to this panel "
                    "(not an expert of the ERN with thematic areas set, or already on it)."
                )
            )
        member = next((m for m in panel.members if m.user_id == user_id), None)
        if member is None:
            member = PanelMember(panel_id=panel.id, user_id=user_id)
            db.session.add(member)
            panel.members.append(member)
        member.status, member.invited_at, member.invited_by_id = InvitationStatus.INVITED, utcnow(), actor.id
        member.answered_at, member.answered_by_id, member.reason, member.reminded_at = None, None, "", None
        db.session.flush()
        instance, _advance = start_for_panel(
            "invitation",
            panel,
            {"panel_id": panel.id, "membership_id": member.id, "reminder_after": reminder, "expire_after": expiry},
            actor,
            assignee=user,
        )
        member.instance_id = instance.id
        timeline.add(panel, "invitation", N_("%(name)s was invited."), actor, name=user.full_name)
        invited.append(user.full_name)
    steps.tell_process(panel, "experts_invited", actor)
    return invited


def request_assistance(actor: User, panel_id: int, origin: RequestInfo) -> None:
    """Ask the ERN's coordinators to suggest experts (a task in their queue)."""
    with transaction():
        panel = _visible_panel(actor, panel_id, lock=True)
        _open_for_changes(panel)
        if not security.can_invite(actor, panel):
            raise NotAllowed(_("Only the panel lead or a panel manager can ask for co-ordinator assistance."))
        start_for_panel("coordinator_assistance", panel, {"panel_id": panel.id}, actor)
        timeline.add(panel, "assistance", N_("%(name)s asked the coordinator to suggest experts."), actor, name=actor.full_name)
        timeline.tell(queries.coordinators_of(panel.ern_id), panel, N_("the lead asks you to suggest experts (task in your queue)."))
        audit.record(actor, "panel.assistance_requested", "panel", panel.id, origin)


def add_comment(actor: User, panel_id: int, text: str, origin: RequestInfo) -> None:
    """A member writes on the panel's timeline; the others are told."""
    with transaction():
        panel = _visible_panel(actor, panel_id, lock=True)
        _open_for_changes(panel)
        if not security.can_comment(actor, panel):
            raise NotAllowed(_("Only the panel's members can comment."))
        timeline.add_text(panel, "comment", _text(text, _("A comment"), panel, 4000), actor)
        timeline.tell(timeline.members_except(panel, actor), panel, N_("%(name)s commented."), name=actor.full_name)
        audit.record(actor, "panel.commented", "panel", panel.id, origin)


def record_contribution(actor: User, panel_id: int, form: FormDefinition, answers: dict[str, Any], origin: RequestInfo) -> None:
    """A member (the lead included) contributes from the panel page: this completes their "Record contribution" task
    where they have one (one way to contribute), else it is a further contribution."""
    with transaction():
        panel = _visible_panel(actor, panel_id, lock=True)
        _open_for_changes(panel)
        if not security.is_panel_member(actor, panel):
            raise NotAllowed(_("Only the panel's members can contribute."))
        if panel.phase not in ASSESSING:
            raise Conflict(_("Contributions are recorded while the panel assesses the case."))
        _pseudonymised({name: value for name, value in answers.items() if isinstance(value, str)}, panel)
        task = queries.contribution_task(panel.id, actor.id)
        if task is not None:
            completion.advance(actor, task, form, answers)
        else:
            steps.record_contribution(panel, actor, answers)
        audit.record(actor, "panel.contributed", "panel", panel.id, origin)


def comment_on_contribution(actor: User, panel_id: int, contribution_id: int, text: str, origin: RequestInfo) -> None:
    """A member's remark on one contribution; its author is told."""
    with transaction():
        panel = _visible_panel(actor, panel_id, lock=True)
        _open_for_changes(panel)
        if not security.can_comment(actor, panel):
            raise NotAllowed(_("Only the panel's members comment."))
        contribution = db.session.get(Contribution, contribution_id)
        if contribution is None or contribution.panel_id != panel.id:
            raise NotFound(_("No such contribution on this panel."))
        written = _text(text, _("A comment"), panel, limit=4000)
        db.session.add(ContributionComment(contribution_id=contribution.id, author_id=actor.id, text=written))
        if contribution.author is not None:
            line = N_("%(name)s on the contribution of %(author)s: %(comment)s")
            timeline.add(panel, "comment", line, actor, name=actor.full_name, author=contribution.author.full_name, comment=written)
        else:
            line = N_("%(name)s on the contribution of a former member: %(comment)s")
            timeline.add(panel, "comment", line, actor, name=actor.full_name, comment=written)
        if contribution.author is not None and contribution.author_id != actor.id:
            timeline.tell([contribution.author], panel, N_("%(name)s commented on your contribution."), name=actor.full_name)
        audit.record(actor, "panel.contribution_commented", "panel", panel.id, origin, contribution=contribution.id)


def request_contributions(actor: User, panel_id: int, origin: RequestInfo) -> int:
    """The lead reminds the members who have not contributed yet; returns how many were reminded."""
    with transaction():
        panel = _visible_panel(actor, panel_id, lock=True)
        _open_for_changes(panel)
        if not security.is_panel_lead(actor, panel):
            raise NotAllowed(_("Only the panel lead can request contributions."))
        if panel.phase not in ASSESSING:
            raise Conflict(_("Contributions are requested while the panel assesses the case; they can no longer come."))
        waiting = queries.members_without_contribution(panel)
        timeline.tell(waiting, panel, N_("the lead asks for your contribution."))
        line = N_("%(name)s requested contributions from %(count)s member(s).")
        timeline.add(panel, "reminder", line, actor, name=actor.full_name, count=len(waiting))
        steps.tell_process(panel, "contributions_requested", actor)
        audit.record(actor, "panel.contributions_requested", "panel", panel.id, origin, count=len(waiting))
    return len(waiting)


def request_additional_data(actor: User, panel_id: int, question: str, origin: RequestInfo) -> None:
    """A member asks for more data; the lead or the patient's centre gets a task to provide it."""
    with transaction():
        panel = _visible_panel(actor, panel_id, lock=True)
        _open_for_changes(panel)
        if not security.is_panel_member(actor, panel):
            raise NotAllowed(_("Only the panel's members can ask for additional data."))
        if panel.phase not in ASSESSING:
            raise Conflict(_("Additional data can be requested while the panel assesses the case."))
        start_data_request(actor, panel, _text(question, _("The request"), panel))
        audit.record(actor, "panel.data_requested", "panel", panel.id, origin)


def start_data_request(actor: User, panel: Panel, question: str) -> DataRequest:
    """Step (flushes only): the request row and its process, which puts a task before the centre and the lead."""
    request = DataRequest(panel_id=panel.id, requested_by_id=actor.id, question=question)
    db.session.add(request)
    db.session.flush()
    instance, _advance = start_for_panel("data_request", panel, {"panel_id": panel.id, "data_request_id": request.id}, actor)
    request.instance_id = instance.id
    timeline.add(panel, "data_request", N_("%(name)s asked for additional data."), actor, name=actor.full_name)
    return request


def hand_over_lead(actor: User, panel_id: int, new_lead_id: int, origin: RequestInfo) -> None:
    """Give the lead to another accepted member; the lead's open tasks follow at once."""
    with transaction():
        panel = _visible_panel(actor, panel_id, lock=True)
        _open_for_changes(panel)
        if not security.can_manage_panel(actor, panel):
            raise NotAllowed(_("Only the lead, a coordinator or a panel manager can hand over the lead."))
        member = next((m for m in panel.members if m.user_id == new_lead_id and m.status == InvitationStatus.ACCEPTED), None)
        if member is None and panel.lead_id is None:
            # A guest's panel has no lead yet (SPEC §5): the coordinator assigns a member expert of the ERN.
            member = _assign_first_lead(panel, new_lead_id)
        if member is None or new_lead_id == panel.lead_id:
            raise InvalidInput(_("Choose another member who accepted the invitation."))
        if not security.may_lead(member.user, panel):
            raise InvalidInput(_("%(name)s cannot lead panels of this ERN (guest experts never lead).", name=member.user.full_name))
        previous = panel.lead
        panel.lead_id = new_lead_id
        db.session.flush()
        timeline.add(panel, "lead", N_("%(name)s is now the panel lead."), actor, name=member.user.full_name)
        timeline.tell([member.user, previous], panel, N_("%(name)s is now the panel lead."), name=member.user.full_name)
        steps.tell_process(panel, "lead_handed_over", actor)
        audit.record(actor, "panel.lead_handed_over", "panel", panel.id, origin, new_lead=new_lead_id)


def _assign_first_lead(panel: Panel, user_id: int) -> PanelMember | None:
    user = db.session.get(User, user_id)
    if user is None:
        return None
    if not security.may_lead(user, panel):
        raise InvalidInput(_("%(name)s cannot lead panels of this ERN (guest experts never lead).", name=user.full_name))
    member = next((m for m in panel.members if m.user_id == user_id), None)
    if member is None:
        member = PanelMember(panel_id=panel.id, user=user)
        db.session.add(member)
        panel.members.append(member)
    member.status, member.answered_at = InvitationStatus.ACCEPTED, utcnow()
    return member


def close_now(actor: User, panel_id: int, reason: str, note: str, origin: RequestInfo) -> None:
    """Close a panel before its outcome (withdrawn, duplicate, ...): every process of it stops."""
    with transaction():
        panel = _visible_panel(actor, panel_id, lock=True)
        _open_for_changes(panel)
        if not security.can_manage_panel(actor, panel):
            raise NotAllowed(_("Only the lead, a coordinator or a panel manager can close the panel."))
        try:
            panel.closing_reason = ClosingReason(reason)
        except ValueError:
            raise InvalidInput(_("Choose a closing reason.")) from None
        panel.closing_note = note.strip()[:2000]
        _pseudonymised(panel.closing_note, panel)
        if panel.closing_reason == ClosingReason.OTHER and not panel.closing_note:
            raise InvalidInput(_("Say why the panel closes."))
        if not steps.tell_process(panel, "close_requested", actor):  # a version of the process that does not model it
            steps.close(panel, actor)
        audit.record(actor, "panel.closed", "panel", panel.id, origin, reason=panel.closing_reason.value)


def archive(actor: User, panel_id: int, origin: RequestInfo) -> None:
    """Hide a closed panel from working lists (it stays searchable and readable)."""
    with transaction():
        panel = _visible_panel(actor, panel_id, lock=True)
        if not security.can_manage_panel(actor, panel):
            raise NotAllowed(_("Only the lead, a coordinator or a panel manager can archive the panel."))
        if not panel.closed or panel.archived:
            raise Conflict(_("Only a closed panel that is not archived yet can be archived."))
        panel.archived = True
        timeline.add(panel, "archived", N_("Panel archived."), actor)
        audit.record(actor, "panel.archived", "panel", panel.id, origin)


def restart(actor: User, panel_id: int, origin: RequestInfo) -> tuple[int, str]:
    """Open a new panel for a new episode, linked to this closed one (which stays read-only)."""
    with transaction():
        old = _visible_panel(actor, panel_id, lock=True)
        if not security.can_manage_panel(actor, old):
            raise NotAllowed(_("Only the lead, a coordinator or a panel manager can restart the panel."))
        if not old.closed:
            raise Conflict(_("Only a closed panel can be restarted."))
        patient = old.patient
        if patient.frozen or not patient.consent_care:
            raise Conflict(_("The patient is frozen or has no consent for care: no new panel can be opened."))
        panel, task_id = create_panel(actor, patient, old.thematic_area_id, previous=old)
        timeline.add(old, "restarted", N_("Restarted as panel #%(number)s."), actor, number=panel.id)
        audit.record(actor, "panel.restarted", "panel", old.id, origin, new_panel=panel.id)
    return panel.id, task_id


def release_for_research(actor: User, panel_id: int, origin: RequestInfo) -> None:
    """Release a closed, signed-off panel to the ERN's researchers (needs the patient's registry consent)."""
    with transaction():
        panel = _visible_panel(actor, panel_id, lock=True)
        release(actor, panel)
        audit.record(actor, "panel.released", "panel", panel.id, origin)


def release(actor: User, panel: Panel) -> None:
    """Step (flushes only): the release rules of SPEC §3, then the release itself."""
    if not security.is_panel_lead(actor, panel):
        raise NotAllowed(_("Only the panel lead can release the panel for research."))
    outcome = db.session.scalar(select(Outcome).where(Outcome.panel_id == panel.id))
    if not panel.closed or outcome is None or outcome.signed_at is None:
        raise Conflict(_("Only a closed panel with a signed-off outcome can be released."))
    if not panel.patient.consent_registry:
        raise Conflict(_("The patient did not consent to ERN registries: this panel cannot be released for research."))
    if panel.released_at is not None:
        raise Conflict(_("This panel is already released."))
    panel.released_at = utcnow()
    timeline.add(panel, "released", N_("Released for research (pseudonymised)."), actor)


def add_addendum(actor: User, panel_id: int, text: str, origin: RequestInfo) -> None:
    """Correct a signed outcome by an addendum: the signed text itself never changes."""
    with transaction():
        panel = _visible_panel(actor, panel_id, lock=True)
        outcome = db.session.scalar(select(Outcome).where(Outcome.panel_id == panel.id))
        if outcome is None or outcome.signed_at is None:
            raise Conflict(_("Only a signed-off outcome takes addenda."))
        if not security.is_panel_lead(actor, panel):
            raise NotAllowed(_("Only the panel lead can add an addendum."))
        db.session.add(OutcomeAddendum(outcome_id=outcome.id, author_id=actor.id, text=_text(text, _("The addendum"), panel)))
        timeline.add(panel, "outcome", N_("Addendum added to the signed outcome."), actor)
        timeline.tell(timeline.members_except(panel, actor), panel, N_("an addendum was added to the outcome."))
        audit.record(actor, "panel.addendum", "panel", panel.id, origin)


def view_panel(actor: User, panel_id: int) -> queries.PanelPage:
    """Everything the panel page shows, for someone allowed to see it.

    A read without a transaction and without an audit entry: panel pages hold pseudonymised data
    only (the audit log records reads of identifying data, and every change).
    """
    panel = queries.panel_with_header(panel_id)
    if panel is None or not security.can_see_panel(actor, panel):
        raise NotFound(_("No such panel."))
    return queries.panel_page(actor, panel)


def outcome_report(actor: User, panel_id: int, origin: RequestInfo) -> tuple[Panel, bytes]:
    """The signed outcome as a PDF report."""

    with transaction():
        panel = _visible_panel(actor, panel_id)
        outcome = db.session.scalar(select(Outcome).where(Outcome.panel_id == panel.id))
        if outcome is None or outcome.signed_at is None:
            raise NotFound(_("This panel has no signed-off outcome yet."))
        audit.record(actor, "panel.report_downloaded", "panel", panel.id, origin)
        return panel, outcome_pdf(panel, outcome, queries.contributions(panel.id))
