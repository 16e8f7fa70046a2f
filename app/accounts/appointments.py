"""People and roles: appointing and revoking roles, deactivating and reactivating accounts. Each is one audited
transaction; what a change takes away ends at once (sessions, tasks the person can no longer do)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app import security
from app.accounts import roles
from app.accounts.models import Membership
from app.accounts.models import Role
from app.accounts.models import SignIn
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.tasks.models import OpenTask

# Tasks that belong to one person by nature (their invitation, their contribution): no role takes them over, so they
# stay with the person; the panel's lead answers an invitation on the invitee's behalf.
PERSONAL_LANES = ("invitee", "panel_member")


@dataclass(frozen=True)
class Revoked:
    role: Role
    ern: str
    centre: str
    tasks_handed_back: int


def appoint_role(actor: User, user_id: int, role: str, ern_id: int | None, centre_id: int | None, origin: RequestInfo) -> Membership:
    """Give a member a role in an ERN (for the whole ERN or at one of its centres), as the actor's own role allows."""
    with transaction():
        user = _visible_person(actor, user_id)
        if role not in {r.value for r in roles.APPOINTED_ROLES}:
            raise InvalidInput(_("Choose a role from the list."), {"role": [_("Choose a role from the list.")]})
        appointed = Role(role)
        ern = db.session.get(Ern, ern_id) if ern_id else None
        centre = db.session.get(Centre, centre_id) if centre_id else None
        if ern is None or (centre_id and centre is None) or not roles.fits_scope(appointed, ern.id, centre):
            where = _("The whole network for an ERN manager, coordinator or dispatcher; one of its centres for an assistant.")
            raise InvalidInput(_("Choose where the role applies."), {"scope": [where]})
        if not roles.may_appoint(actor, appointed, ern.id):
            raise NotAllowed(_not_yours(appointed))
        if user.id == actor.id:  # rights are given by someone else, as the audit expects
            raise NotAllowed(_("You cannot appoint yourself: ask another of the network's managers or an administrator."))
        at = centre.id if centre else None
        if any(m.role == appointed and m.ern_id == ern.id and m.centre_id == at for m in user.memberships):
            raise Conflict(_("%(name)s holds this role already.", name=user.full_name))
        if not user.active:
            raise Conflict(_("This account is deactivated: reactivate it before appointing a role."))
        membership = Membership(ern=ern, centre=centre, role=appointed)
        user.memberships.append(membership)
        db.session.flush()
        audit.record(
            actor, "role.appointed", "user", user.id, origin, role=appointed.value, ern=ern.code, centre=centre.code if centre else ""
        )
        return membership


def revoke_role(actor: User, user_id: int, membership_id: int, origin: RequestInfo) -> Revoked:
    """Take a role back: what it allowed ends at once, and the person's tasks it was needed for go back to the queue."""
    with transaction():
        user = _visible_person(actor, user_id)
        membership = next((m for m in user.memberships if m.id == membership_id), None)
        if membership is None:
            raise NotFound(_("This role is not held any more: it may have been revoked already."))
        if membership.role not in roles.APPOINTED_ROLES:
            raise NotAllowed(_("Member, guest and researcher memberships come from account requests: deactivate the account instead."))
        if not roles.may_appoint(actor, membership.role, membership.ern_id):
            raise NotAllowed(_not_yours(membership.role))
        revoked = Revoked(membership.role, membership.ern.code, membership.centre.code if membership.centre else "", 0)
        user.memberships.remove(membership)
        db.session.flush()
        handed_back = _hand_back_tasks(actor, user, origin, reason="role revoked", everything=False)
        what = {"role": revoked.role.value, "ern": revoked.ern, "centre": revoked.centre}
        audit.record(actor, "role.revoked", "user", user.id, origin, **what, tasks=handed_back)
        return Revoked(revoked.role, revoked.ern, revoked.centre, handed_back)


def deactivate_account(actor: User, user_id: int, origin: RequestInfo) -> int:
    """Close an account: its sessions end now, its tasks go back to the queue, its history stays. Returns how many
    tasks were handed back."""
    with transaction():
        user = _managed_account(actor, user_id)
        if user.id == actor.id:
            raise NotAllowed(_("You cannot deactivate your own account."))
        if user.is_admin and not actor.is_admin:
            raise NotAllowed(_("Only a system administrator deactivates an administrator's account."))
        if not user.active:
            raise Conflict(_("This account is deactivated already."))
        user.active = False
        sessions = db.session.scalars(select(SignIn).where(SignIn.user_id == user.id, SignIn.ended_at.is_(None))).all()
        for sign_in in sessions:
            sign_in.ended_at = utcnow()
        handed_back = _hand_back_tasks(actor, user, origin, reason="account deactivated", everything=True)
        audit.record(actor, "account.deactivated", "user", user.id, origin, sessions_ended=len(sessions), tasks=handed_back)
        return handed_back


def reactivate_account(actor: User, user_id: int, origin: RequestInfo) -> None:
    """Open a deactivated account again, with the roles it kept."""
    with transaction():
        user = _managed_account(actor, user_id)
        if user.active:
            raise Conflict(_("This account is active already."))
        user.active = True
        audit.record(actor, "account.reactivated", "user", user.id, origin)


def _visible_person(actor: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not roles.sees_person(actor, user):
        raise NotFound(_("No such account."))
    return user


def _managed_account(actor: User, user_id: int) -> User:
    """An account the actor may open and close: administrators, and coordinators for their ERNs' members."""
    user = db.session.get(User, user_id)
    if user is None or not (security.can_manage_account(actor, user) or roles.sees_person(actor, user)):
        raise NotFound(_("No such account."))
    if not security.can_manage_account(actor, user) or not _within_coordination(actor, user):
        raise NotAllowed(
            _(
                "Only administrators and the coordinators of all the member's networks deactivate or reactivate accounts; "
                "ERN managers and administrators only an administrator."
            )
        )
    return user


def _within_coordination(actor: User, user: User) -> bool:
    """A coordinator closes only accounts that are wholly theirs to look after: every role of the person in a network
    they coordinate, and none that ranks above them (an ERN manager appoints coordinators)."""
    if actor.is_admin:
        return True
    if user.is_admin or user.has_role(Role.ERN_MANAGER):
        return False
    coordinated = {m.ern_id for m in actor.memberships if m.role == Role.COORDINATOR}
    return all(m.ern_id in coordinated for m in user.memberships)


def _not_yours(role: Role) -> str:
    if role == Role.ERN_MANAGER:
        return _("Only a system administrator appoints or revokes ERN managers.")
    if role == Role.ASSISTANT:
        return _("Only the network's coordinators appoint or revoke assistants.")
    return _("Only the network's ERN managers appoint or revoke coordinators, panel managers and dispatchers.")


def _hand_back_tasks(actor: User, user: User, origin: RequestInfo, *, reason: str, everything: bool) -> int:
    """Put the person's tasks back in the queue: all of them, or those their remaining roles no longer allow."""
    tasks = db.session.scalars(
        select(OpenTask).where(OpenTask.assignee_id == user.id, OpenTask.role.not_in(PERSONAL_LANES)).with_for_update()
    ).all()
    handed_back = 0
    for task in tasks:
        if everything or not security.could_take(user, task):
            task.assignee_id = None
            audit.record(actor, "task.handed_back", "task", task.engine_task_id, origin, user_id=user.id, reason=reason)
            handed_back += 1
    return handed_back
