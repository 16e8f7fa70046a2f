"""Reads of panels, always filtered in SQL by what the reader may see. Never a patient's name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select
from sqlalchemy import bindparam
from sqlalchemy import exists
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlalchemy.orm import joinedload
from sqlalchemy.orm import selectinload

from app import security
from app.accounts.models import Membership
from app.accounts.models import Role
from app.accounts.models import User
from app.accounts.models import user_thematic_areas
from app.database import as_id
from app.database import db
from app.database import utcnow
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.organisations.models import ThematicArea
from app.pagination import Page
from app.panels.models import ASSESSING
from app.panels.models import Contribution
from app.panels.models import ContributionComment
from app.panels.models import DataRequest
from app.panels.models import ExpertGroup
from app.panels.models import InvitationStatus
from app.panels.models import Outcome
from app.panels.models import Panel
from app.panels.models import PanelMember
from app.panels.models import Phase
from app.panels.models import TimelineEntry
from app.panels.models import title_of
from app.tasks.models import OpenTask

EXPERT_ROLES = (Role.MEMBER_EXPERT, Role.GUEST_EXPERT)
SORTABLE = {
    "created": Panel.created_at,
    "updated": Panel.updated_at,
    "id": Panel.id,
    "nickname": func.lower(Panel.nickname),
    "status": Panel.phase,
}


def _experts(panel: Panel) -> Select[tuple[User]]:
    """Active experts of the panel's ERN who set thematic areas and are not on the panel already."""
    on_panel = select(PanelMember.user_id).where(
        PanelMember.panel_id == panel.id, PanelMember.status.in_((InvitationStatus.INVITED, InvitationStatus.ACCEPTED))
    )
    in_ern = select(Membership.user_id).where(Membership.ern_id == panel.ern_id, Membership.role.in_(EXPERT_ROLES))
    has_areas = exists().where(user_thematic_areas.c.user_id == User.id)
    return select(User).where(User.active, User.id.in_(in_ern), has_areas, User.id.not_in(on_panel))


def invitable_experts(panel: Panel, *, user_ids: list[int]) -> list[User]:
    return list(db.session.scalars(_experts(panel).where(User.id.in_(user_ids))))


@dataclass(frozen=True)
class Expert:
    """An expert who could be invited: their hospital and country in the panel's ERN, and whether their thematic
    areas include the panel's."""

    user: User
    hospital: str
    country: str
    matches_area: bool


def ern_experts(panel: Panel) -> list[Expert]:
    """Every expert of the panel's ERN who could be invited, those whose thematic areas match the panel's first."""
    matches = exists().where(user_thematic_areas.c.user_id == User.id, user_thematic_areas.c.thematic_area_id == panel.thematic_area_id)
    centre = (
        select(
            Membership.user_id.label("user_id"),
            func.min(Centre.code + " - " + Centre.name).label("hospital"),
            func.min(Centre.country).label("country"),
        )
        .join(Centre, Membership.centre_id == Centre.id)
        .where(Membership.ern_id == panel.ern_id)
        .group_by(Membership.user_id)
        .subquery()
    )
    query = (
        _experts(panel)
        .outerjoin(centre, centre.c.user_id == User.id)
        .add_columns(centre.c.hospital, centre.c.country, matches.label("matches"))
        .order_by(matches.desc(), User.last_name, User.first_name)
    )
    rows = db.session.execute(query)
    return [Expert(user, str(hospital or ""), str(country or ""), bool(match)) for user, hospital, country, match in rows]


def contribution_task(panel_id: int, user_id: int) -> OpenTask | None:
    """The member's own open "Record contribution" task on the panel, if any."""
    query = select(OpenTask).where(
        OpenTask.subject_type == "panel",
        OpenTask.subject_id == panel_id,
        OpenTask.form_key == "contribution",
        OpenTask.assignee_id == user_id,
    )
    return db.session.scalar(query.limit(1))


def invitation_tasks(panel_id: int) -> dict[int, str]:
    """Invitee → their open "Answer invitation" task on the panel (the lead may answer it on their behalf)."""
    rows = db.session.execute(
        select(PanelMember.user_id, OpenTask.engine_task_id)
        .join(OpenTask, OpenTask.instance_id == PanelMember.instance_id)
        .where(PanelMember.panel_id == panel_id, PanelMember.status == InvitationStatus.INVITED, OpenTask.form_key == "invitation_reply")
    )
    return {user_id: task_id for user_id, task_id in rows}


def ern_with_areas(code: str) -> Ern | None:
    """The ERN and its thematic areas (the list's filter) in one query."""
    return db.session.scalars(select(Ern).options(joinedload(Ern.thematic_areas)).where(Ern.code == code)).unique().first()


def expert_groups(ern_id: int) -> list[ExpertGroup]:
    return list(db.session.scalars(select(ExpertGroup).where(ExpertGroup.ern_id == ern_id).order_by(ExpertGroup.name)))


def coordinators_of(ern_id: int) -> list[User]:
    query = select(User).join(Membership).where(Membership.ern_id == ern_id, Membership.role == Role.COORDINATOR, User.active)
    return list(db.session.scalars(query))


def possible_leads(panel: Panel) -> list[User]:
    """Member experts of the panel's ERN (guests never lead), for a panel that has no lead yet."""
    in_ern = select(Membership.user_id).where(Membership.ern_id == panel.ern_id, Membership.role == Role.MEMBER_EXPERT)
    return list(db.session.scalars(select(User).where(User.active, User.id.in_(in_ern)).order_by(User.last_name, User.first_name)))


def members_without_contribution(panel: Panel) -> list[User]:
    contributed = select(Contribution.author_id).where(Contribution.panel_id == panel.id)
    query = (
        select(User)
        .join(PanelMember, PanelMember.user_id == User.id)
        .where(PanelMember.panel_id == panel.id, PanelMember.status == InvitationStatus.ACCEPTED, User.id.not_in(contributed))
    )
    return [u for u in db.session.scalars(query) if u.id != panel.lead_id]


def contributions(panel_id: int) -> list[Contribution]:
    return list(db.session.scalars(_CONTRIBUTIONS, {"panel_id": panel_id}))


@dataclass(frozen=True)
class PanelPage:
    panel: Panel
    members: list[PanelMember]
    contributions: list[Contribution]
    data_requests: list[DataRequest]
    outcome: Outcome | None
    timeline: list[TimelineEntry]
    actions: list[OpenTask]
    may_invite: bool
    may_manage: bool
    is_member: bool
    is_lead: bool
    contributor_count: int
    contributions_open: bool  # members may still contribute (the panel assesses the case)
    of_patients_centre: bool  # sees the patient's identifying data, and documents held for review
    reviews_documents: bool  # the patient's centre reviews images held for burned-in text


def panel_with_header(panel_id: int) -> Panel | None:
    """The panel with what its header shows and its members (two queries)."""
    return db.session.scalar(_HEADER, {"panel_id": panel_id})


def panel_page(viewer: User, panel: Panel) -> PanelPage:
    """A fixed number of queries, whatever the number of panels (the panel comes with its members)."""
    members = sorted(panel.members, key=lambda m: (m.invited_at, m.id))
    on_panel = {"panel_id": panel.id}
    requests = list(db.session.scalars(_DATA_REQUESTS, on_panel))
    outcome = db.session.scalar(_OUTCOME, on_panel)
    entries = list(db.session.scalars(_TIMELINE, on_panel))
    actions = list(
        db.session.scalars(
            select(OpenTask)
            .where(OpenTask.subject_type == "panel", OpenTask.subject_id == panel.id, security.open_task_filter(viewer, OpenTask))
            .order_by(OpenTask.created_at, OpenTask.id)
        )
    )
    listed = contributions(panel.id)
    of_patients_centre = security.can_see_identifying_data(viewer, panel.patient)
    return PanelPage(
        panel=panel,
        members=members,
        contributions=listed,
        data_requests=requests,
        outcome=outcome,
        timeline=entries,
        actions=actions,
        may_invite=not panel.closed and security.can_invite(viewer, panel),
        may_manage=security.can_manage_panel(viewer, panel),
        is_member=security.is_panel_member(viewer, panel),
        is_lead=security.is_panel_lead(viewer, panel),
        contributor_count=len({c.author_id for c in listed}),
        contributions_open=panel.phase in ASSESSING and not panel.closed,
        of_patients_centre=of_patients_centre,
        reviews_documents=of_patients_centre and not panel.closed,
    )


# The panel page's statements that depend on the panel only, built once: building them on every request cost about
# as much as running them (benchmarks/panel_bench.py --profile panel_page).
_PANEL_ID = bindparam("panel_id")
_HEADER = (
    select(Panel)
    .options(
        joinedload(Panel.patient),
        joinedload(Panel.thematic_area),
        joinedload(Panel.lead),
        joinedload(Panel.centre),
        joinedload(Panel.ern),
        selectinload(Panel.members).joinedload(PanelMember.user),
        selectinload(Panel.members).joinedload(PanelMember.answered_by),
    )
    .where(Panel.id == _PANEL_ID)
)
_DATA_REQUESTS = (
    select(DataRequest)
    .options(joinedload(DataRequest.requested_by), joinedload(DataRequest.provided_by))
    .where(DataRequest.panel_id == _PANEL_ID)
    .order_by(DataRequest.requested_at.desc(), DataRequest.id.desc())
)
_OUTCOME = select(Outcome).options(selectinload(Outcome.addenda), joinedload(Outcome.signed_by)).where(Outcome.panel_id == _PANEL_ID)
TIMELINE_SHOWN = 100
_TIMELINE = (
    select(TimelineEntry)
    .options(joinedload(TimelineEntry.actor))
    .where(TimelineEntry.panel_id == _PANEL_ID)
    .order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc())
    .limit(TIMELINE_SHOWN)
)
_CONTRIBUTIONS = (
    select(Contribution)
    .options(joinedload(Contribution.author), selectinload(Contribution.comments).joinedload(ContributionComment.author))
    .where(Contribution.panel_id == _PANEL_ID)
    .order_by(Contribution.created_at, Contribution.id)
)


def _listed(viewer: User) -> Select[tuple[Panel]]:
    return (
        select(Panel)
        .options(joinedload(Panel.thematic_area), joinedload(Panel.centre), joinedload(Panel.lead))
        .where(security.panel_filter(viewer, Panel))
    )


def panels(
    viewer: User,
    *,
    ern_id: int | None = None,
    centre_id: int | None = None,
    phase: str = "",
    thematic_area_id: int | None = None,
    archived: bool = False,
    search: str = "",
    sort: str = "updated",
    descending: bool = True,
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """A page of the panels the viewer may see, in an ERN or a centre, filtered by status and area.

    Items are plain rows (the columns the list shows), not ORM objects: a list page builds no
    identity map of panels, areas, centres and leads it only prints.
    """
    search = "".join(c for c in search if c.isprintable()).strip()
    conditions = [security.panel_filter(viewer, Panel)]
    if not search:  # archived panels leave working lists but are still found by a search
        conditions.append(Panel.archived.is_(archived))
    if ern_id is not None:
        conditions.append(Panel.ern_id == ern_id)
    if centre_id is not None:
        conditions.append(Panel.centre_id == centre_id)
    if phase in Phase.__members__.values():
        conditions.append(Panel.phase == Phase(phase))
    if thematic_area_id is not None:
        conditions.append(Panel.thematic_area_id == thematic_area_id)
    if search:
        if search.lstrip("#").isdigit():
            number = as_id(search.lstrip("#"))
            conditions.append(Panel.id == number if number is not None else false())  # beyond any id: no panel
        else:
            conditions.append(func.lower(Panel.nickname).contains(search.lower(), autoescape=True))
    # Counted on the panels table alone (index scans); the page then joins only its own rows.
    total = db.session.scalar(select(func.count(Panel.id)).where(*conditions)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    column = SORTABLE.get(sort, SORTABLE["updated"])
    lead = aliased(User)
    query = (
        select(
            Panel.id,
            Panel.nickname,
            Panel.urgent,
            Panel.phase,
            Panel.archived,
            Panel.created_at,
            Panel.updated_at,
            ThematicArea.name.label("area"),
            Centre.code.label("centre"),
            lead.first_name.label("lead_first_name"),
            lead.last_name.label("lead_last_name"),
        )
        .join(ThematicArea, ThematicArea.id == Panel.thematic_area_id)
        .join(Centre, Centre.id == Panel.centre_id)
        .outerjoin(lead, lead.id == Panel.lead_id)
        .where(*conditions)
        .order_by(column.desc() if descending else column.asc(), Panel.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page(list(db.session.execute(query)), page, pages, total, per_page)


def panels_of_patient(viewer: User, patient_id: int) -> list[Panel]:
    return list(db.session.scalars(_listed(viewer).where(Panel.patient_id == patient_id).order_by(Panel.created_at.desc())))


@dataclass(frozen=True)
class Dashboard:
    invitations: list[PanelMember]
    activity: list[TimelineEntry]


def dashboard(viewer: User, days: int = 14, limit: int = 20) -> Dashboard:
    """Panel invites and recent activity on the viewer's panels (fixed query count)."""
    invitations = list(
        db.session.scalars(
            select(PanelMember)
            .options(joinedload(PanelMember.panel).joinedload(Panel.thematic_area))
            .where(PanelMember.user_id == viewer.id, PanelMember.status == InvitationStatus.INVITED)
            .order_by(PanelMember.invited_at.desc())
            .limit(limit)
        )
    )
    # Only timeline.add moves updated_at, so the newest entries can only come from the most
    # recently updated panels: no need to look at the others.
    visible = (
        select(Panel.id)
        .where(security.panel_filter(viewer, Panel), Panel.updated_at >= utcnow() - timedelta(days=days))
        .order_by(Panel.updated_at.desc())
        .limit(limit)
    )
    activity = list(
        db.session.scalars(
            select(TimelineEntry)
            .options(joinedload(TimelineEntry.actor))
            .where(TimelineEntry.panel_id.in_(visible), TimelineEntry.at >= utcnow() - timedelta(days=days))
            .order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc())
            .limit(limit)
        )
    )
    return Dashboard(invitations, activity)


def panel_titles(panel_ids: set[int]) -> dict[int, str]:
    if not panel_ids:
        return {}
    return {pid: title_of(pid, nick) for pid, nick in db.session.execute(select(Panel.id, Panel.nickname).where(Panel.id.in_(panel_ids)))}
