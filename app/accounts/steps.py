"""Domain steps of the account-request process (effect handlers), and the password links they send. Only flush."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.accounts.models import AccountRequest
from app.accounts.models import Membership
from app.accounts.models import PasswordToken
from app.accounts.models import Role
from app.accounts.models import User
from app.accounts.passwords import UNUSABLE_PASSWORD
from app.database import db
from app.database import utcnow
from app.mail import services as mail
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
    mail.queue(
        request.email,
        "Your Consilium account is ready",
        f"Dear {request.first_name} {request.last_name},\n\nyour request to join {request.ern.code} in Consilium was approved.\n"
        f"Set your password (the link works once, for {current_app.config['PASSWORD_LINK_HOURS']} hours):\n\n{link}\n\n"
        "At your first sign-in you will set up a second factor with an authenticator app.\n",
    )


def notify_rejection(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    """Effect: the coordinator rejected; the applicant is told why."""
    request = _request(params)
    request.status, request.decided_at = "rejected", utcnow()
    reason = _review_answers(params).get("reason") or ""
    mail.queue(
        request.email,
        "Your Consilium account request",
        f"Dear {request.first_name} {request.last_name},\n\nyour request to join {request.ern.code} in Consilium was not approved.\n"
        f"The coordinator wrote:\n\n{reason}\n",
    )


def remind_coordinators(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    """Effect: a request has waited over a day; every coordinator of its ERN is reminded."""
    request = _request(params)
    coordinators = db.session.scalars(
        select(User).join(Membership).where(Membership.ern_id == request.ern_id, Membership.role == Role.COORDINATOR, User.active)
    )
    for coordinator in coordinators:
        mail.queue(
            coordinator.email,
            f"An account request for {request.ern.code} is waiting",
            f"An account request (number {request.id}) has waited over 24 hours. It is in your task queue:\n"
            f"{current_app.config['PUBLIC_URL'].rstrip('/')}/tasks/\n",
        )


def _request(params: dict[str, Any]) -> AccountRequest:
    request = db.session.get(AccountRequest, int(params["request_id"]))
    if request is None:
        raise LookupError(f"no account request {params['request_id']}")
    return request


def _review_answers(params: dict[str, Any]) -> dict[str, Any]:
    submission = db.session.get(TaskSubmission, int(params["submission_id"])) if params.get("submission_id") else None
    return dict(submission.answers) if submission else {}
