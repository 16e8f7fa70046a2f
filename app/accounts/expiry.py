"""Guest accounts end (SPEC §2): 90 days after approval, extendable by a coordinator, or when the guest's last panel
closes, whichever is later; a mail warns a week before. Run by the scheduler."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from babel.dates import format_date
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement
from sqlalchemy import or_
from sqlalchemy import select

from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import SYSTEM
from app.database import db
from app.database import transaction
from app.i18n import language_of
from app.mail import services as mail
from app.notifications.models import writing_in
from app.panels.models import InvitationStatus
from app.panels.models import Panel
from app.panels.models import PanelMember
from app.panels.models import Phase

WARNING = timedelta(days=7)


def review_guest_expiry(now: datetime) -> tuple[int, int]:
    """Keep guests on open panels from expiring, and warn the others by mail, once, a week before their account ends.
    Returns (accounts kept open, accounts warned)."""
    with transaction():
        # While a panel is open its guest keeps the account: the end moves two weeks ahead whenever it comes within the
        # warning week, so it falls one to two weeks after the last panel closes, the warning a week before.
        kept = db.session.scalars(
            select(User)
            .where(User.active, User.expires_at.is_not(None), User.expires_at <= now + WARNING, _on_open_panels())
            .with_for_update()
        ).all()
        for user in kept:
            user.expires_at, user.expiry_warned_at = now + 2 * WARNING, None
            audit.record(None, "account.kept_open", "user", user.id, SYSTEM, until=user.expires_at.isoformat())
        due = db.session.scalars(
            select(User)
            .where(User.active, User.expiry_warned_at.is_(None), User.expires_at > now, User.expires_at <= now + WARNING)
            .with_for_update()
        ).all()
        for user in due:
            assert user.expires_at is not None
            user.expiry_warned_at = now
            with writing_in(language_of(user)):
                ends = format_date(user.expires_at.date(), "dd MMMM yyyy", locale=get_locale() or "en")
                subject = _("Your Consilium account expires in a week")
                body = (
                    _("Dear %(name)s,", name=user.full_name)
                    + "\n\n"
                    + _(
                        "your guest account in Consilium ends on %(date)s (UTC).\n"
                        "If you still need it, ask the coordinator of your network to extend it.",
                        date=ends,
                    )
                )
            mail.queue(user.email, subject, f"{body}\n\n{current_app.config['PUBLIC_URL'].rstrip('/')}/\n")
            audit.record(None, "account.expiry_warned", "user", user.id, SYSTEM)
    return len(kept), len(due)


def _on_open_panels() -> ColumnElement[bool]:
    """The people on a panel that is not closed: its creator, its lead, its invited and accepted experts."""
    still_open = (Panel.phase != Phase.CLOSED, Panel.archived.is_(False))
    answering = PanelMember.status.in_((InvitationStatus.INVITED, InvitationStatus.ACCEPTED))
    return or_(
        User.id.in_(select(PanelMember.user_id).join(Panel, Panel.id == PanelMember.panel_id).where(answering, *still_open)),
        User.id.in_(select(Panel.created_by_id).where(*still_open)),
        User.id.in_(select(Panel.lead_id).where(*still_open)),
    )
