"""One access policy: every route declares what it requires, and every object-level decision is made here.

Routes are denied unless they declare an access rule (``@public`` or ``@requires(...)``); a test
walks the URL map to prove every route has one. Object rules (which patients, which tasks) are
expressed both as checks on one object and as SQL filters for lists, so lists never load what the
user may not see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import TypeAlias
from typing import TypeVar

from flask import Flask
from flask import abort
from flask import current_app
from flask import g
from flask import redirect
from flask import request
from flask import url_for
from flask_login import current_user
from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import false
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy import union
from sqlalchemy.orm.util import AliasedClass
from werkzeug.wrappers import Response

from app.accounts.models import CLINICAL_ROLES
from app.accounts.models import Membership
from app.accounts.models import Role
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.database import db
from app.meetings.models import Meeting
from app.panels.models import InvitationStatus
from app.panels.models import Panel
from app.panels.models import PanelMember
from app.patients.models import Patient
from app.tasks.models import OpenTask
from app.workflows.models import ProcessInstance

ACCESS_ATTRIBUTE = "consilium_access"
PUBLIC = "public"
LOGIN = "login"
ADMIN = "admin"
TOKEN = "token"  # noqa: S105 - an access rule's name. The REST API: a personal access token in the Authorization header (app/api/auth.py)
RULES = (PUBLIC, LOGIN, ADMIN, TOKEN)

View = TypeVar("View", bound=Callable[..., Any])

M = TypeVar("M")
# What an SQL filter builds its condition on: the model class itself, or an ``aliased(...)`` of it.
ModelOrAlias: TypeAlias = type[M] | AliasedClass[M]


def requires(rule: str) -> Callable[[View], View]:
    """Declare what a route needs: PUBLIC, LOGIN, ADMIN or TOKEN. Object checks happen in services."""
    if rule not in RULES:
        raise ValueError(f"unknown access rule {rule!r}")

    def declare(view: View) -> View:
        setattr(view, ACCESS_ATTRIBUTE, rule)
        return view

    return declare


public = requires(PUBLIC)


def access_rule(app: Flask, endpoint: str) -> str | None:
    if endpoint == "static":
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTRIBUTE, None)


def by_token() -> bool:
    """Whether this request is signed in with a personal access token (not a browser session)."""
    return g.get("api_token_id") is not None


def enforce_declared_access() -> Response | None:
    """before_request: default-deny any route without a declaration; require login or admin as declared."""
    if request.endpoint is None:
        return None  # 404 / 405 follow
    rule = access_rule(current_app, request.endpoint)
    if rule is None:
        abort(403)
    if rule == PUBLIC:
        return None
    if rule == TOKEN:  # the API's own authentication ran first and answered any request without a valid token
        if not by_token():
            abort(401)
        return None
    if by_token():
        abort(401)  # a token opens the API only, never the web pages
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path if request.method == "GET" else None))
    if rule == ADMIN and not current_user.is_admin:
        abort(403)
    return None


# Object-level rules -------------------------------------------------------------------------------


def clinical_ern_centres(user: User) -> set[tuple[int, int]]:
    """(ERN, centre) pairs in which the user acts as a health professional of the centre."""
    return {(m.ern_id, m.centre_id) for m in user.memberships if m.role in CLINICAL_ROLES and m.centre_id is not None}


def _centres(user: User, *, guest: bool) -> set[int]:
    return {
        m.centre_id
        for m in user.memberships
        if m.role in CLINICAL_ROLES and m.centre_id is not None and m.centre is not None and m.centre.is_guest == guest
    }


def can_see_identifying_data(user: User, patient: Patient) -> bool:
    """Identifying data is for authorised users of the patient's own centre (SPEC §3). A guest
    virtual centre gathers professionals of unrelated hospitals: there, only the enrolling guest."""
    if patient.centre_id in _centres(user, guest=False):
        return True
    return bool(patient.centre_id in _centres(user, guest=True) and patient.enrolled_by_id == user.id)


def identifying_data_filter(user: User, patient_model: ModelOrAlias[Patient]) -> ColumnElement[bool]:
    """SQL condition selecting exactly the patients ``can_see_identifying_data`` allows."""
    conditions: list[ColumnElement[bool]] = []
    if regular := _centres(user, guest=False):
        conditions.append(patient_model.centre_id.in_(regular))
    if guest := _centres(user, guest=True):
        conditions.append(and_(patient_model.centre_id.in_(guest), patient_model.enrolled_by_id == user.id))
    return or_(*conditions) if conditions else false()


def can_enrol(user: User, centre_id: int, ern_id: int) -> bool:
    """Health professionals enrol patients at their own centre, in an ERN they belong to there."""
    return (ern_id, centre_id) in clinical_ern_centres(user)


def can_complete(user: User, task: OpenTask) -> bool:
    """Whether the user may complete an open task: its assignee, or someone holding its lane's role in scope.

    In panel processes 'Panel lead' means the panel's lead at this moment (so a handed-over lead's
    tasks follow at once), the lead may answer an invitation on an invitee's behalf, and the
    'Clinician' lane (providing additional data) is the patient's centre and the lead.
    """
    lead = _panel_lead_id(task)
    if task.role == "invitee" and lead == user.id:
        return True
    if task.assignee_id is not None:
        return bool(task.assignee_id == user.id)
    return _holds_lane(user, task, lead)


def could_take(user: User, task: OpenTask) -> bool:
    """Whether the user could complete the task by their own role, whoever it is assigned to now (the people a
    coordinator may reassign it to)."""
    lead = _panel_lead_id(task)
    return (task.role == "invitee" and lead == user.id) or _holds_lane(user, task, lead)


def _holds_lane(user: User, task: OpenTask, lead: int | None) -> bool:
    """The task's lane role, held in the task's scope."""
    if task.role == "clinician":
        return (task.ern_id, task.centre_id) in clinical_ern_centres(user) or (lead is not None and lead == user.id)
    if task.role == "panel_lead":
        return lead is not None and lead == user.id
    if task.role == Role.COORDINATOR.value:
        return user.has_role(Role.COORDINATOR, ern_id=task.ern_id) or (
            task.name == "suggest_experts" and user.has_role(Role.DISPATCHER, ern_id=task.ern_id)
        )
    return False


def _panel_lead_id(task: OpenTask) -> int | None:
    """Who acts as the lead for this task: the panel's lead; while a guest's panel has no lead yet,
    its creator fills the consultation form."""
    if task.subject_type != "panel" or task.subject_id is None:
        return None

    panel = db.session.get(Panel, task.subject_id)
    if panel is None:
        return None
    if panel.lead_id is None and task.name == "fill_consultation":
        return panel.created_by_id
    return panel.lead_id


def prepares_only(user: User, task: OpenTask) -> bool:
    """An assistant acts for the clinicians of their centre: they prepare a form (save drafts), a
    clinician submits it (SPEC §2)."""
    roles = {m.role for m in user.memberships if m.ern_id == task.ern_id and m.centre_id == task.centre_id}
    return task.role == "clinician" and Role.ASSISTANT in roles and not roles & (CLINICAL_ROLES - {Role.ASSISTANT})


def can_follow(user: User, instance: ProcessInstance) -> bool:
    """Whether the user may know how a case moves on: its centre's health professionals, the person
    who started it, and the ERN's coordinators."""
    return (
        (instance.ern_id, instance.centre_id) in clinical_ern_centres(user)
        or instance.started_by_id == user.id
        or user.has_role(Role.COORDINATOR, ern_id=instance.ern_id)
    )


def manages_ern(user: User, ern_id: int) -> bool:
    """An ERN's managers (and the system administrators) adapt its processes, forms, settings and de-identification."""
    return user.is_admin or user.has_role(Role.ERN_MANAGER, ern_id=ern_id)


def steers_queue(user: User, ern_id: int) -> bool:
    """Who sees an ERN's task queue and reassigns its tasks: its coordinators and managers, administrators."""
    return manages_ern(user, ern_id) or user.has_role(Role.COORDINATOR, ern_id=ern_id)


def can_read_audit(viewer: User) -> bool:
    """Administrators read the whole audit log; coordinators that of their ERNs' members."""
    return manages_accounts(viewer)


def can_read_entry(viewer: User, entry: AuditEntry) -> bool:
    """An audit entry: administrators read every one; coordinators those of what their ERNs' members did."""
    return viewer.is_admin or (entry.actor is not None and can_manage_account(viewer, entry.actor))


def audit_filter(viewer: User, entry_model: ModelOrAlias[AuditEntry]) -> ColumnElement[bool]:
    """SQL condition selecting exactly the audit entries ``can_read_entry`` allows."""
    if viewer.is_admin:
        return true()
    coordinated = [m.ern_id for m in viewer.memberships if m.role == Role.COORDINATOR]
    if not coordinated:
        return false()
    return entry_model.actor_id.in_(select(Membership.user_id).where(Membership.ern_id.in_(coordinated)))


def can_manage_account(actor: User, user: User) -> bool:
    """Administrators manage every account; coordinators those of their ERNs' members."""
    if actor.is_admin:
        return True
    coordinated = {m.ern_id for m in actor.memberships if m.role == Role.COORDINATOR}
    return any(m.ern_id in coordinated for m in user.memberships)


def manages_accounts(actor: User) -> bool:
    return actor.is_admin or any(m.role == Role.COORDINATOR for m in actor.memberships)


def managed_accounts_filter(actor: User, user_model: ModelOrAlias[User]) -> ColumnElement[bool]:
    """SQL condition selecting exactly the accounts ``can_manage_account`` allows."""

    if actor.is_admin:
        return true()
    coordinated = [m.ern_id for m in actor.memberships if m.role == Role.COORDINATOR]
    if not coordinated:
        return false()
    return user_model.id.in_(select(Membership.user_id).where(Membership.ern_id.in_(coordinated)))


def open_task_filter(user: User, task_model: ModelOrAlias[OpenTask]) -> ColumnElement[bool]:
    """SQL condition selecting the open tasks that wait on the user: those ``can_complete`` allows,
    except invitations the user could only answer on the invitee's behalf as lead."""

    conditions: list[ColumnElement[bool]] = [task_model.assignee_id == user.id]
    unassigned = task_model.assignee_id.is_(None)
    for ern_id, centre_id in clinical_ern_centres(user):
        conditions.append(and_(unassigned, task_model.role == "clinician", task_model.ern_id == ern_id, task_model.centre_id == centre_id))
    led_panels = select(Panel.id).where(Panel.lead_id == user.id).scalar_subquery()
    conditions.append(
        and_(
            unassigned,
            task_model.role.in_(("panel_lead", "clinician")),
            task_model.subject_type == "panel",
            task_model.subject_id.in_(led_panels),
        )
    )
    created_leadless = select(Panel.id).where(Panel.created_by_id == user.id, Panel.lead_id.is_(None)).scalar_subquery()
    conditions.append(
        and_(
            unassigned,
            task_model.name == "fill_consultation",
            task_model.subject_type == "panel",
            task_model.subject_id.in_(created_leadless),
        )
    )
    coordinator_erns = [m.ern_id for m in user.memberships if m.role == Role.COORDINATOR]
    if coordinator_erns:
        conditions.append(and_(unassigned, task_model.role == Role.COORDINATOR.value, task_model.ern_id.in_(coordinator_erns)))
    dispatcher_erns = [m.ern_id for m in user.memberships if m.role == Role.DISPATCHER]
    if dispatcher_erns:
        conditions.append(
            and_(
                unassigned,
                task_model.role == Role.COORDINATOR.value,
                task_model.name == "suggest_experts",
                task_model.ern_id.in_(dispatcher_erns),
            )
        )
    return or_(*conditions)


# Panels -------------------------------------------------------------------------------------------


def _panel_manager_scope(user: User) -> tuple[set[int], set[tuple[int, int]]]:
    """ERNs a user manages panels for as a whole, and (ERN, centre) pairs managed per centre."""
    whole = {m.ern_id for m in user.memberships if m.role == Role.PANEL_MANAGER and m.centre_id is None}
    per_centre = {(m.ern_id, m.centre_id) for m in user.memberships if m.role == Role.PANEL_MANAGER and m.centre_id is not None}
    return whole, per_centre


def manages_panel_in_scope(user: User, panel: Panel) -> bool:
    whole, per_centre = _panel_manager_scope(user)
    return panel.ern_id in whole or (panel.ern_id, panel.centre_id) in per_centre


def is_panel_lead(user: User, panel: Panel) -> bool:
    """The panel's lead at this moment: requests contributions, releases for research, adds addenda."""
    return panel.lead_id == user.id


def may_lead(user: User, panel: Panel) -> bool:
    """Who may become a panel's lead: the member experts of its ERN (guest experts never lead)."""
    return user.has_role(Role.MEMBER_EXPERT, ern_id=panel.ern_id)


def is_panel_member(user: User, panel: Panel) -> bool:
    """The lead and the experts who accepted: they consult the case and contribute."""
    return panel.lead_id == user.id or any(m.user_id == user.id and m.status == InvitationStatus.ACCEPTED for m in panel.members)


def is_invited(user: User, panel: Panel) -> bool:

    return any(m.user_id == user.id and m.status == InvitationStatus.INVITED for m in panel.members)


def can_see_panel(user: User, panel: Panel) -> bool:
    """Panel content (pseudonymised) is for its members and invitees, its centre, the ERN's
    coordinators and the panel managers in scope; once released, for the ERN's researchers (SPEC §3)."""
    if is_panel_member(user, panel) or is_invited(user, panel) or panel.created_by_id == user.id:
        return True
    if panel.centre_id in _centres(user, guest=False):
        return True
    if panel.released_at is not None and user.has_role(Role.RESEARCHER, ern_id=panel.ern_id):
        return True  # released for research: pseudonymised panel data for the ERN's researchers (SPEC §3)
    return user.has_role(Role.COORDINATOR, ern_id=panel.ern_id) or manages_panel_in_scope(user, panel)


def panel_filter(user: User, panel_model: ModelOrAlias[Panel]) -> ColumnElement[bool]:
    """SQL condition selecting exactly the panels ``can_see_panel`` allows.

    Written as one ``id IN (… UNION …)`` of selects that each use an index: an OR over different
    columns would make the database check every panel of an ERN row by row.
    """

    sources = [
        select(PanelMember.panel_id).where(
            PanelMember.user_id == user.id, PanelMember.status.in_((InvitationStatus.ACCEPTED, InvitationStatus.INVITED))
        ),
        select(Panel.id).where(Panel.lead_id == user.id),
        select(Panel.id).where(Panel.created_by_id == user.id),
    ]
    regular = _centres(user, guest=False)
    # The same rows either way; the shape is the one each database plans well. PostgreSQL answers
    # "centre IN (…) OR id IN (hashed subplan)" in one pass; SQLite cannot combine an OR of index
    # lookups with the other filters (ERN, archived) and does best with the centre inside the UNION.
    centre_in_union = db.session.get_bind().dialect.name == "sqlite"
    if regular and centre_in_union:
        sources.append(select(Panel.id).where(Panel.centre_id.in_(regular)))
    coordinator_erns = {m.ern_id for m in user.memberships if m.role == Role.COORDINATOR}
    whole, per_centre = _panel_manager_scope(user)
    conditions: list[ColumnElement[bool]] = [panel_model.id.in_(union(*sources))]
    if regular and not centre_in_union:
        conditions.append(panel_model.centre_id.in_(regular))
    if coordinator_erns | whole:
        conditions.append(panel_model.ern_id.in_(coordinator_erns | whole))
    for ern_id, centre_id in per_centre:
        conditions.append(and_(panel_model.ern_id == ern_id, panel_model.centre_id == centre_id))
    if researcher_erns := {m.ern_id for m in user.memberships if m.role == Role.RESEARCHER}:
        conditions.append(and_(panel_model.ern_id.in_(researcher_erns), panel_model.released_at.is_not(None)))
    return or_(*conditions)


def can_manage_panel(user: User, panel: Panel) -> bool:
    """Close, restart, archive, hand over the lead: the lead, the ERN's coordinators, panel managers in scope."""
    return panel.lead_id == user.id or user.has_role(Role.COORDINATOR, ern_id=panel.ern_id) or manages_panel_in_scope(user, panel)


def can_comment(user: User, panel: Panel) -> bool:
    """Write on the panel's timeline: its members and those who manage it."""
    return is_panel_member(user, panel) or can_manage_panel(user, panel)


def can_attach(user: User, panel: Panel) -> bool:
    """Attach files to a panel: its members, its creator, and the people of the patient's centre."""
    return is_panel_member(user, panel) or panel.created_by_id == user.id or panel.centre_id in {m.centre_id for m in user.memberships}


def can_invite(user: User, panel: Panel) -> bool:
    """Select and invite experts: the lead and panel managers in scope (coordinators assist; guests never lead)."""
    return panel.lead_id == user.id or manages_panel_in_scope(user, panel)


def assists_panel(user: User, panel: Panel) -> bool:
    """A coordinator of the panel's ERN while the lead's request for their assistance is open: they invite from it."""
    if not user.has_role(Role.COORDINATOR, ern_id=panel.ern_id):
        return False
    asked = select(OpenTask.id).where(
        OpenTask.subject_type == "panel", OpenTask.subject_id == panel.id, OpenTask.process_id == "coordinator_assistance"
    )
    return db.session.scalar(asked.limit(1)) is not None


# Meetings -----------------------------------------------------------------------------------------


def can_see_meetings(user: User, panel: Panel) -> bool:
    """A panel's meetings are for its members (the lead included) and the panel managers in scope."""
    return is_panel_member(user, panel) or manages_panel_in_scope(user, panel)


def can_see_meeting(user: User, meeting: Meeting) -> bool:
    """A meeting: the panel's members and managers in scope, and whoever it invites (a guest expert, say)."""
    return can_see_meetings(user, meeting.panel) or meeting.invitee(user.id) is not None


def can_schedule_meeting(user: User, panel: Panel, *, guests_may: bool) -> bool:
    """Any participating member of an open panel, and its managers in scope; a guest expert only where the ERN allows."""
    if panel.closed or not can_see_meetings(user, panel):
        return False
    guest_only = user.has_role(Role.GUEST_EXPERT, ern_id=panel.ern_id) and not user.has_role(Role.MEMBER_EXPERT, ern_id=panel.ern_id)
    return guests_may or not guest_only or manages_panel_in_scope(user, panel)


def can_change_meeting(user: User, meeting: Meeting) -> bool:
    """Reschedule, cancel, name who takes the minutes: who scheduled it, the panel's lead and its managers in scope."""
    return meeting.scheduled_by_id == user.id or is_panel_lead(user, meeting.panel) or manages_panel_in_scope(user, meeting.panel)


def can_change_record(user: User, patient: Patient) -> bool:
    """Edit, freeze, transfer, export or erase a patient's record: the health professionals of the patient's centre who
    see it (an assistant prepares forms for them, and does none of this)."""
    experts = {(m.ern_id, m.centre_id) for m in user.memberships if m.role in CLINICAL_ROLES - {Role.ASSISTANT}}
    return can_see_identifying_data(user, patient) and (patient.ern_id, patient.centre_id) in experts


def can_open_panel(user: User, patient: Patient) -> bool:
    """Health professionals (guests included) open panels for patients of their own centre they may see."""
    return can_change_record(user, patient)
