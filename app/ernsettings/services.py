"""What an ERN's managers set for their network: process intervals, service levels, expert groups."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select

from app import security
from app.accounts.models import Membership
from app.accounts.models import Role
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.ernsettings.models import DEFAULT_INTERVALS
from app.ernsettings.models import ErnSettings
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.i18n import DEFAULT_LANGUAGE
from app.i18n import LANGUAGES
from app.panels.models import ExpertGroup
from app.workflows import store
from app.workflows.models import ProcessDefinition

MAX_DAYS = 365
MAX_HOURS = MAX_DAYS * 24
UNITS = ("days", "hours")
INTERVAL_LABELS = {
    "reminder_after": lazy_gettext("Remind an invitee after"),
    "expire_after": lazy_gettext("An invitation expires after"),
    "urgent_reminder_after": lazy_gettext("Urgent panels: remind after"),
    "urgent_expire_after": lazy_gettext("Urgent panels: expire after"),
    "review_window": lazy_gettext("Members review a draft outcome for"),
}


def _to_change(ern_id: int) -> ErnSettings:
    """The ERN's settings row, made with the defaults the first time anything is set."""
    settings = db.session.get(ErnSettings, ern_id)
    if settings is None:
        settings = ErnSettings(ern_id=ern_id)
        db.session.add(settings)
    return settings


def require_manager(user: User, ern_id: int) -> None:
    if not security.manages_ern(user, ern_id):
        raise NotAllowed(_("Only the ERN's managers change its settings."))


def intervals(ern_id: int) -> dict[str, str]:
    """The ERN's intervals as the settings form shows them: for each, an amount and its unit ("<key>_unit": days or
    hours), the defaults where the ERN set none."""
    settings = db.session.get(ErnSettings, ern_id)
    shown: dict[str, str] = {}
    for key, default in DEFAULT_INTERVALS.items():
        amount, unit = _amount_and_unit(getattr(settings, key) if settings else default)
        shown[key], shown[f"{key}_unit"] = str(amount), unit
    return shown


def _amount_and_unit(duration: str) -> tuple[int, str]:
    """An ISO 8601 duration as stored ("P3D", "PT36H") in the unit it was given in; anything else as one day."""
    text = duration.upper()
    for prefix, unit in (("PT", "hours"), ("P", "days")):
        number = text[len(prefix) : -1]
        if text.startswith(prefix) and text.endswith(unit[0].upper()) and number.isascii() and number.isdigit():
            return int(number), unit
    return 1, "days"


def save_intervals(actor: User, ern_id: int, raw: dict[str, str], origin: RequestInfo) -> None:
    """New intervals, in days or hours, for processes started from now on (running timers keep theirs)."""
    errors: dict[str, list[str]] = {}
    hours: dict[str, int] = {}
    durations: dict[str, str] = {}
    for key in DEFAULT_INTERVALS:
        value = (raw.get(key) or "").strip()
        unit = raw.get(f"{key}_unit") or "days"
        if unit not in UNITS:
            errors[key] = [_("Choose days or hours.")]
        elif unit == "days" and not (value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_DAYS):
            errors[key] = [_("Give a whole number of days between 1 and %(n)d.", n=MAX_DAYS)]
        elif unit == "hours" and not (value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_HOURS):
            errors[key] = [_("Give a whole number of hours between 1 and %(n)d.", n=MAX_HOURS)]
        else:
            hours[key] = int(value) * (24 if unit == "days" else 1)
            durations[key] = f"P{int(value)}D" if unit == "days" else f"PT{int(value)}H"
    for remind, expire in (("reminder_after", "expire_after"), ("urgent_reminder_after", "urgent_expire_after")):
        if remind in hours and expire in hours and hours[remind] >= hours[expire]:
            errors[remind] = [_("The reminder must come before the invitation expires.")]
    if errors:
        raise InvalidInput(_("Check the highlighted intervals."), errors)
    with transaction():
        require_manager(actor, ern_id)
        settings = _to_change(ern_id)
        for key, duration in durations.items():
            setattr(settings, key, duration)
        audit.record(actor, "ern.intervals", "ern", ern_id, origin, **durations)


MAX_REMINDER_MINUTES = 7 * 24 * 60


def meeting_settings(ern_id: int) -> dict[str, str]:
    """The ERN's meeting settings as the settings form shows them (the defaults where it set none)."""
    settings = db.session.get(ErnSettings, ern_id) or ErnSettings(ern_id=ern_id)
    return {
        "first_reminder": str(settings.meeting_first_reminder_minutes),
        "second_reminder": str(settings.meeting_second_reminder_minutes),
        "video_url_template": settings.video_url_template,
        "guests_may_schedule": "yes" if settings.guests_may_schedule else "",
    }


def save_meeting_settings(actor: User, ern_id: int, raw: dict[str, str], origin: RequestInfo) -> None:
    """Reminders before meetings (minutes, 0 for none; for meetings scheduled from now on), the video service's room
    address, and whether guest experts schedule meetings."""
    errors: dict[str, list[str]] = {}
    minutes: dict[str, int] = {}
    for key in ("first_reminder", "second_reminder"):
        value = (raw.get(key) or "").strip()
        if not (value.isascii() and value.isdigit() and int(value) <= MAX_REMINDER_MINUTES):
            errors[key] = [_("Give a whole number of minutes between 0 (no reminder) and %(n)d.", n=MAX_REMINDER_MINUTES)]
        else:
            minutes[key] = int(value)
    if minutes.get("first_reminder") and minutes.get("second_reminder") and minutes["first_reminder"] <= minutes["second_reminder"]:
        errors["first_reminder"] = [_("The first reminder comes before the second: give it more minutes.")]
    template = (raw.get("video_url_template") or "").strip()
    if template and not (len(template) <= 500 and template.startswith("https://") and "{room}" in template and " " not in template):
        errors["video_url_template"] = [_("Give an address starting with https:// that contains {room}, e.g. https://meet.jit.si/{room}.")]
    elif template.replace("{room}", "").count("{") or template.replace("{room}", "").count("}"):
        errors["video_url_template"] = [_("Only {room} can stand in the address: it becomes the meeting's own room name.")]
    if errors:
        raise InvalidInput(_("Check the highlighted meeting settings."), errors)
    with transaction():
        require_manager(actor, ern_id)
        settings = _to_change(ern_id)
        settings.meeting_first_reminder_minutes = minutes["first_reminder"]
        settings.meeting_second_reminder_minutes = minutes["second_reminder"]
        settings.video_url_template = template
        settings.guests_may_schedule = raw.get("guests_may_schedule") == "yes"
        audit.record(
            actor,
            "ern.meetings",
            "ern",
            ern_id,
            origin,
            reminders=[minutes["first_reminder"], minutes["second_reminder"]],
            video_service=bool(template),
            guests_may_schedule=settings.guests_may_schedule,
        )


MAX_FOLLOW_UPS = 3
MAX_FOLLOW_UP_MONTHS = 60
MAX_THRESHOLD = 20


def follow_up_and_report_settings(ern_id: int) -> dict[str, str]:
    settings = db.session.get(ErnSettings, ern_id) or ErnSettings(ern_id=ern_id)
    return {"follow_up_months": settings.follow_up_months, "small_cell_threshold": str(settings.small_cell_threshold)}


def save_follow_up_and_report_settings(actor: User, ern_id: int, raw: dict[str, str], origin: RequestInfo) -> None:
    """When the patient's centre is asked how a signed outcome's advice worked out (up to three times, in months after
    the sign-off; none: no follow-up), and below which count the reports that leave the ERN show "< n"."""
    errors: dict[str, list[str]] = {}
    parts = [part.strip() for part in (raw.get("follow_up_months") or "").split(",") if part.strip()]
    if not all(p.isascii() and p.isdigit() and 1 <= int(p) <= MAX_FOLLOW_UP_MONTHS for p in parts) or len(parts) > MAX_FOLLOW_UPS:
        errors["follow_up_months"] = [
            _(
                "Give up to %(n)d numbers of months between 1 and %(most)d, separated by commas (e.g. 3, 6, 12), or nothing.",
                n=MAX_FOLLOW_UPS,
                most=MAX_FOLLOW_UP_MONTHS,
            )
        ]
    threshold = (raw.get("small_cell_threshold") or "").strip()
    if not (threshold.isascii() and threshold.isdigit() and 1 <= int(threshold) <= MAX_THRESHOLD):
        errors["small_cell_threshold"] = [_("Give a whole number between 1 (show every count) and %(n)d.", n=MAX_THRESHOLD)]
    if errors:
        raise InvalidInput(_("Check the highlighted settings."), errors)
    months = ",".join(str(m) for m in sorted({int(p) for p in parts}))
    with transaction():
        require_manager(actor, ern_id)
        settings = _to_change(ern_id)
        settings.follow_up_months, settings.small_cell_threshold = months, int(threshold)
        audit.record(actor, "ern.follow_up_and_reports", "ern", ern_id, origin, follow_up_months=months, threshold=int(threshold))


def default_language(ern_id: int) -> str:
    settings = db.session.get(ErnSettings, ern_id)
    return settings.default_language if settings is not None else DEFAULT_LANGUAGE


def save_default_language(actor: User, ern_id: int, language: str, origin: RequestInfo) -> None:
    """The language of the ERN's members who chose none and whose browser asks for none Consilium speaks (and of the
    mails to them)."""
    if language not in LANGUAGES:
        raise InvalidInput(_("Check the highlighted settings."), {"default_language": [_("Choose a language from the list.")]})
    with transaction():
        require_manager(actor, ern_id)
        _to_change(ern_id).default_language = language
        audit.record(actor, "ern.default_language", "ern", ern_id, origin, language=language)


OWN_COUNTRY_ORDERS = ("neutral", "last", "first")


def own_country_order(ern_id: int) -> str:
    settings = db.session.get(ErnSettings, ern_id)
    return settings.own_country_order if settings is not None else "neutral"


def save_own_country_order(actor: User, ern_id: int, order: str, origin: RequestInfo) -> None:
    """Where the experts of the patient's own country come in the ranking of candidates for a panel: by score alone,
    last (cross-border advice is the point) or first."""
    if order not in OWN_COUNTRY_ORDERS:
        raise InvalidInput(_("Check the highlighted settings."), {"own_country_order": [_("Choose one of the options.")]})
    with transaction():
        require_manager(actor, ern_id)
        _to_change(ern_id).own_country_order = order
        audit.record(actor, "ern.own_country_order", "ern", ern_id, origin, order=order)


def experts(ern_id: int) -> list[User]:
    """Health professionals of the ERN who may be put in a group."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.ern_id == ern_id, Membership.role.in_((Role.MEMBER_EXPERT, Role.GUEST_EXPERT, Role.PANEL_MANAGER)))
            .distinct()
            .order_by(User.last_name, User.first_name)
        )
    )


def groups(ern_id: int) -> list[ExpertGroup]:
    return list(db.session.scalars(select(ExpertGroup).where(ExpertGroup.ern_id == ern_id).order_by(ExpertGroup.name)))


def create_group(actor: User, ern_id: int, name: str, member_ids: Iterable[int], origin: RequestInfo) -> ExpertGroup:
    """A named list of the ERN's experts that a panel lead invites in one click."""
    name = " ".join(name.split())[:200]
    if not name:
        raise InvalidInput(_("Name the group."), {"name": [_("Name the group.")]})
    with transaction():
        require_manager(actor, ern_id)
        allowed = {user.id: user for user in experts(ern_id)}
        members = [allowed[i] for i in dict.fromkeys(member_ids) if i in allowed]
        if not members:
            raise InvalidInput(_("Choose at least one expert of the ERN."), {"member_id": [_("Choose at least one expert.")]})
        if db.session.scalar(select(ExpertGroup.id).where(ExpertGroup.ern_id == ern_id, ExpertGroup.name == name)):
            raise InvalidInput(_("A group of this name exists."), {"name": [_("Choose another name.")]})
        group = ExpertGroup(ern_id=ern_id, name=name, members=members)
        db.session.add(group)
        db.session.flush()
        audit.record(actor, "ern.group_created", "ern", ern_id, origin, group=group.id, members=len(members))
        return group


def delete_group(actor: User, ern_id: int, group_id: int, origin: RequestInfo) -> None:
    with transaction():
        require_manager(actor, ern_id)
        group = db.session.get(ExpertGroup, group_id)
        if group is None or group.ern_id != ern_id:
            raise NotFound(_("No such group."))
        db.session.delete(group)
        audit.record(actor, "ern.group_deleted", "ern", ern_id, origin, group=group_id)


def task_choices(ern_id: int) -> list[tuple[str, str]]:
    """User tasks of the processes the ERN runs (name, label), for choosing service levels."""

    choices: dict[str, str] = {}
    for process_id in db.session.scalars(select(ProcessDefinition.process_id).distinct()):
        row = store.current_definition(process_id, ern_id)
        definition = store.definition_for_row(row)
        for name, info in definition.user_tasks.items():
            choices.setdefault(name, f"{info.label} ({process_id})")
    return sorted(choices.items(), key=lambda item: item[1].casefold())
