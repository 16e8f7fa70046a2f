"""Domain steps of the account-request process (effect handlers), and the password links they send. Only flush."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import AccountRequest
from app.accounts.models import Membership
from app.accounts.models import PasswordToken
from app.accounts.models import Role
from app.accounts.models import User
from app.accounts.passwords import UNUSABLE_PASSWORD
from app.database import db
from app.database import utcnow
from app.ernsettings.models import ErnSettings
from app.i18n import DEFAULT_LANGUAGE
from app.i18n import LANGUAGES
from app.i18n import language_of
from app.mail import services as mail
from app.notifications.models import writing_in
from app.tasks.models import TaskSubmission
from app.workflows.models import ProcessInstance


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_password_link(user: User) -> str:
    """A single-use link to set the user's password, valid PASSWORD_LINK_HOURS."""
    token = secrets.token_urlsafe(32)
    hours = int(current_app.config["PASSWORD_LINK_HOURS"])
    db.session.add(PasswordToken(user_id=user.id, token_hash=token_hash(token), expires_at=utcnow() + timedelta(hours=hours)))
    db.session.flush()
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/account/password/{token}"


def create_account(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    """Effect: the coordinator approved; the account exists and the applicant gets a link to set a password."""
    request = _request(params)
    user = db.session.scalar(select(User).where(User.email == request.email))
    if user is None:
        user = User(
            email=request.email,
            first_name=request.first_name,
            last_name=request.last_name,
            specialisation=request.specialisation,
            password_hash=UNUSABLE_PASSWORD,
        )
        db.session.add(user)
    user.memberships.append(Membership(ern_id=request.ern_id, centre_id=request.centre_id, role=Role(request.role)))
    if request.role == Role.GUEST_EXPERT and not any(m.role != Role.GUEST_EXPERT for m in user.memberships[:-1]):
        user.expires_at = utcnow() + timedelta(days=int(current_app.config["GUEST_ACCOUNT_DAYS"]))
    db.session.flush()
    request.status, request.decided_at, request.user_id = "approved", utcnow(), user.id
    link = new_password_link(user)
    with writing_in(language_of(user)):
        subject = _("Your Consilium account is ready")
        body = _(
            "Dear %(name)s,\n\nyour request to join %(ern)s in Consilium was approved.\n"
            "Set your password (the link works once, for %(hours)s hours):\n\n%(link)s\n\n"
            "At your first sign-in you will set up a second factor with an authenticator app.",
            name=f"{request.first_name} {request.last_name}",
            ern=request.ern.code,
            hours=current_app.config["PASSWORD_LINK_HOURS"],
            link=link,
        )
    mail.queue(request.email, subject, body + "\n")


def notify_rejection(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    """Effect: the coordinator rejected; the applicant is told why."""
    request = _request(params)
    request.status, request.decided_at = "rejected", utcnow()
    reason = _review_answers(params).get("reason") or ""
    with writing_in(_ern_language(request.ern_id)):
        subject = _("Your Consilium account request")
        body = _(
            "Dear %(name)s,\n\nyour request to join %(ern)s in Consilium was not approved.\nThe coordinator wrote:\n\n%(reason)s",
            name=f"{request.first_name} {request.last_name}",
            ern=request.ern.code,
            reason=reason,
        )
    mail.queue(request.email, subject, body + "\n")


def remind_coordinators(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    """Effect: a request has waited over a day; every coordinator of its ERN is reminded."""
    request = _request(params)
    coordinators = db.session.scalars(
        select(User).join(Membership).where(Membership.ern_id == request.ern_id, Membership.role == Role.COORDINATOR, User.active)
    )
    for coordinator in coordinators:
        with writing_in(language_of(coordinator)):
            subject = _("An account request for %(ern)s is waiting", ern=request.ern.code)
            body = _("An account request (number %(number)s) has waited over 24 hours. It is in your task queue:", number=request.id)
        mail.queue(coordinator.email, subject, f"{body}\n{current_app.config['PUBLIC_URL'].rstrip('/')}/tasks/\n")


def _ern_language(ern_id: int) -> str:
    """The language to write in to someone who has no account yet: their ERN's default."""
    settings = db.session.get(ErnSettings, ern_id)
    return str(settings.default_language) if settings is not None and settings.default_language in LANGUAGES else DEFAULT_LANGUAGE


def _request(params: dict[str, Any]) -> AccountRequest:
    request = db.session.get(AccountRequest, int(params["request_id"]))
    if request is None:
        raise LookupError(f"no account request {params['request_id']}")
    return request


def _review_answers(params: dict[str, Any]) -> dict[str, Any]:
    submission = db.session.get(TaskSubmission, int(params["submission_id"])) if params.get("submission_id") else None
    return dict(submission.answers) if submission else {}
