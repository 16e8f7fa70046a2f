"""Who may appoint whom, and whose page they see (SPEC §2): the system administrator appoints ERN managers; an ERN's
managers appoint its coordinators, panel managers and dispatchers; its coordinators appoint assistants at a centre.
Each rule is a predicate on one object, with its SQL twin for lists."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy import false
from sqlalchemy import select
from sqlalchemy import true

from app import security
from app.accounts.models import Membership
from app.accounts.models import Role
from app.accounts.models import User
from app.organisations.models import Centre
from app.security import ModelOrAlias

# Roles given in the app by someone entitled; the others (member, guest, researcher) come from an approved request.
APPOINTED_ROLES = (Role.ERN_MANAGER, Role.COORDINATOR, Role.PANEL_MANAGER, Role.DISPATCHER, Role.ASSISTANT)
# Held for the whole ERN, for one centre, or either.
WHOLE_ERN = frozenset({Role.ERN_MANAGER, Role.COORDINATOR, Role.DISPATCHER})
AT_A_CENTRE = frozenset({Role.ASSISTANT})


def may_appoint(actor: User, role: Role, ern_id: int) -> bool:
    """Whether the actor may appoint (and revoke) ``role`` in the ERN."""
    if role == Role.ERN_MANAGER:
        return actor.is_admin
    if role in (Role.COORDINATOR, Role.PANEL_MANAGER, Role.DISPATCHER):
        return security.manages_ern(actor, ern_id)
    if role == Role.ASSISTANT:
        return actor.is_admin or actor.has_role(Role.COORDINATOR, ern_id=ern_id)
    return False


def revocable(actor: User, user: User) -> set[int]:
    """The ids of the user's memberships the actor may revoke."""
    return {m.id for m in user.memberships if m.role in APPOINTED_ROLES and may_appoint(actor, m.role, m.ern_id)}


def fits_scope(role: Role, ern_id: int, centre: Centre | None) -> bool:
    """A whole-ERN role has no centre; an assistant works at one; a panel manager either. A centre is one of the ERN's
    own hospitals (not its guest centre)."""
    if centre is None:
        return role not in AT_A_CENTRE
    return role not in WHOLE_ERN and not centre.is_guest and any(ern.id == ern_id for ern in centre.erns)


def _steered_erns(actor: User) -> set[int]:
    return {m.ern_id for m in actor.memberships if m.role in (Role.COORDINATOR, Role.ERN_MANAGER)}


def sees_people(actor: User) -> bool:
    """Who has the members' page: administrators, and the coordinators and managers of an ERN."""
    return actor.is_admin or bool(_steered_erns(actor))


def sees_person(actor: User, user: User) -> bool:
    """Administrators see every account; an ERN's coordinators and managers its members."""
    return actor.is_admin or bool(_steered_erns(actor) & {m.ern_id for m in user.memberships})


def people_filter(actor: User, user_model: ModelOrAlias[User]) -> ColumnElement[bool]:
    """SQL condition selecting exactly the accounts ``sees_person`` allows."""
    if actor.is_admin:
        return true()
    erns = _steered_erns(actor)
    if not erns:
        return false()
    return user_model.id.in_(select(Membership.user_id).where(Membership.ern_id.in_(erns)))
