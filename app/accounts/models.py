"""Users, their memberships (ERN, centre, role) and their preferences."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Column
from sqlalchemy import Enum
from sqlalchemy import ForeignKey
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.database import UtcDateTime
from app.database import db
from app.database import utcnow
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.organisations.models import ThematicArea


class Role(enum.StrEnum):
    """Roles a user holds in an ERN (and, for clinical roles, at a centre). SPEC §2."""

    MEMBER_EXPERT = "member_expert"
    GUEST_EXPERT = "guest_expert"
    COORDINATOR = "coordinator"
    PANEL_MANAGER = "panel_manager"
    RESEARCHER = "researcher"
    ERN_MANAGER = "ern_manager"
    DISPATCHER = "dispatcher"
    ASSISTANT = "assistant"


# Roles a BPMN lane may name (see bpmn/README.md): organisational roles, panel roles and 'system'.
PROCESS_ROLES = frozenset({"clinician", "system", "panel_lead", "panel_member", "invitee", "administrator"} | {role.value for role in Role})


# Roles that act as health professionals of their centre: they may enrol and see its patients.
CLINICAL_ROLES = frozenset({Role.MEMBER_EXPERT, Role.GUEST_EXPERT, Role.PANEL_MANAGER, Role.ASSISTANT})
# Roles of the experts who are invited to panels (for the thematic areas they chose).
EXPERT_ROLES = frozenset({Role.MEMBER_EXPERT, Role.GUEST_EXPERT})

user_thematic_areas = Table(
    "user_thematic_areas",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("thematic_area_id", ForeignKey("thematic_areas.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    specialisation: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    is_admin: Mapped[bool] = mapped_column(default=False)
    timezone: Mapped[str] = mapped_column(String(64), default="")
    # The interface's language the user chose ("" for the browser's, then the ERN's default): en, fr, de, …
    language: Mapped[str] = mapped_column(String(8), default="", server_default="")
    # The TOTP secret once the user confirmed it with a code; the last time step used (no replay).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column()
    # Demo accounts of the training environment: password-only login while demo mode is on.
    training_account: Mapped[bool] = mapped_column(default=False)
    # Guest accounts expire (SPEC §2: 90 days by default, extendable by a coordinator).
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When the mail warning that the account expires in a week went out (cleared when the expiry moves).
    expiry_warned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")
    thematic_areas: Mapped[list[ThematicArea]] = relationship(secondary=user_thematic_areas)

    @property
    def is_active(self) -> bool:  # Flask-Login asks this, on every request
        return self.active and not self.expired

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def has_role(self, role: Role, *, ern_id: int | None = None, centre_id: int | None = None) -> bool:
        return any(
            m.role == role and (ern_id is None or m.ern_id == ern_id) and (centre_id is None or m.centre_id == centre_id)
            for m in self.memberships
        )

    @property
    def is_expert(self) -> bool:
        return any(m.role in EXPERT_ROLES for m in self.memberships)

    def clinical_centre_ids(self) -> set[int]:
        return {m.centre_id for m in self.memberships if m.role in CLINICAL_ROLES and m.centre_id is not None}


class Membership(db.Model):  # type: ignore[name-defined,misc]
    """A user holds ``role`` in ``ern``, at ``centre`` for the centre-bound roles."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "ern_id", "centre_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    ern_id: Mapped[int] = mapped_column(ForeignKey("erns.id", ondelete="CASCADE"))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e]))
    user: Mapped[User] = relationship(back_populates="memberships")
    ern: Mapped[Ern] = relationship()
    centre: Mapped[Centre | None] = relationship()


class RecoveryCode(db.Model):  # type: ignore[name-defined,misc]
    """A single-use code that replaces the second factor once (stored hashed)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AccountRequest(db.Model):  # type: ignore[name-defined,misc]
    """Someone asks for access; an ERN coordinator approves or rejects (bpmn/account_request.bpmn)."""

    __tablename__ = "account_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    ern_id: Mapped[int] = mapped_column(ForeignKey("erns.id"))
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    role: Mapped[str] = mapped_column(String(40))
    specialisation: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ern: Mapped[Ern] = relationship()
    centre: Mapped[Centre] = relationship()


class SignIn(db.Model):  # type: ignore[name-defined,misc]
    """One signed-in session. The browser's cookie carries the token; the row says whether it still counts, so
    signing out ends the session on the server too (a replayed or late-arriving cookie signs no one in)."""

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PasswordToken(db.Model):  # type: ignore[name-defined,misc]
    """A single-use, expiring link to set or reset a password (stored hashed)."""

    __tablename__ = "password_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    user: Mapped[User] = relationship()


class Passkey(db.Model):  # type: ignore[name-defined,misc]
    """A WebAuthn credential (a passkey) the user registered: a second factor, or a password-less sign-in."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url, as the browser sends it
    public_key: Mapped[bytes] = mapped_column(LargeBinary())  # COSE-encoded
    sign_count: Mapped[int] = mapped_column(default=0)
    # The user handle the authenticator stores with a discoverable credential (base64url; no personal data in it).
    user_handle: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(100))
    transports: Mapped[str] = mapped_column(String(200), default="")  # comma-separated: internal,usb,hybrid,…
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    user: Mapped[User] = relationship()


class UsedPasskeyChallenge(db.Model):  # type: ignore[name-defined,misc]
    """A sign-in challenge that served (its SHA-256): the session that carried it is a cookie, and an old copy of the
    cookie must not serve it again. Kept as long as a challenge lives."""

    __tablename__ = "used_passkey_challenges"

    challenge_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
