"""The consultation form after its submission: each submission is a version (the first through its task, then each
edit while the panel is open), who may change it, and what changed between two versions, field by field, under the
labels of the panel's version of the form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import security
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.i18n import N_
from app.notifications.models import Message
from app.panels import queries
from app.panels import steps
from app.panels import timeline
from app.panels.material import consultation_form
from app.panels.models import ConsultationVersion
from app.panels.models import InvitationStatus
from app.panels.models import Panel
from app.panels.models import Phase
from app.panels.models import stored_answers
from app.tasks.answers import clean_answers
from app.tasks.answers import written_answers
from app.tasks.display import answer_text
from app.tasks.form_definitions import FieldDefinition
from app.tasks.form_definitions import FormDefinition

# Changed fields named on the timeline line of an edit; the history page lists them all.
NAMED_ON_TIMELINE = 5


@dataclass(frozen=True)
class Change:
    """One answer that differs between two versions, as people read it."""

    field: str
    section: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class EditPage:
    """What the edit page is built from: the panel, its version of the form, and the version being changed."""

    panel: Panel
    form: FormDefinition
    current: ConsultationVersion | None

    @property
    def number(self) -> int:
        return self.current.number if self.current is not None else 0


@dataclass(frozen=True)
class History:
    """A panel's consultation form through its versions, oldest first."""

    panel: Panel
    form: FormDefinition
    versions: list[ConsultationVersion]

    def changes(self, version: ConsultationVersion) -> list[Change]:
        """What ``version`` changed from the one before it (nothing for the first submission)."""
        earlier = [v for v in self.versions if v.number < version.number]
        return changes_between(self.form, earlier[-1].answers, version.answers) if earlier else []

    def version(self, number: int) -> ConsultationVersion:
        found = next((v for v in self.versions if v.number == number), None)
        if found is None:
            raise NotFound(_("This consultation form has no version %(number)s.", number=number))
        return found


# Rules ---------------------------------------------------------------------------------------------


def may_edit(user: User, panel: Panel) -> bool:
    """The lead and the health professionals of the patient's centre (who could open a panel for the patient) change
    the submitted form; the members read it."""
    return security.is_panel_lead(user, panel) or security.can_open_panel(user, panel.patient)


def why_frozen(panel: Panel) -> str:
    """Why the panel's consultation form cannot change now, or '' while the panel is open."""
    if panel.closed or panel.archived:
        return _("Panel %(title)s is closed: its consultation form no longer changes.", title=panel.title)
    if panel.phase == Phase.SIGNED:
        return _("The outcome of panel %(title)s is signed off: its consultation form no longer changes.", title=panel.title)
    if panel.consultation_submitted_at is None:
        return _("The consultation form has not been submitted yet: fill it in through its task.")
    return ""


# Reads ---------------------------------------------------------------------------------------------


def versions(panel_id: int) -> list[ConsultationVersion]:
    """Every version of a panel's consultation form, oldest first, with who submitted it."""
    query = (
        select(ConsultationVersion)
        .options(joinedload(ConsultationVersion.submitted_by))
        .where(ConsultationVersion.panel_id == panel_id)
        .order_by(ConsultationVersion.number)
    )
    return list(db.session.scalars(query))


def current_version(panel_id: int) -> ConsultationVersion | None:
    """The version the panel's case description is (the newest), with who submitted it."""
    query = (
        select(ConsultationVersion)
        .options(joinedload(ConsultationVersion.submitted_by))
        .where(ConsultationVersion.panel_id == panel_id)
        .order_by(ConsultationVersion.number.desc())
        .limit(1)
    )
    return db.session.scalar(query)


def _visible(actor: User, panel_id: int) -> Panel:
    panel = queries.panel_with_header(panel_id)
    if panel is None or not security.can_see_panel(actor, panel):
        raise NotFound(_("No such panel."))
    return panel


def history(actor: User, panel_id: int) -> History:
    """The versions of the panel's consultation form, for someone who sees the panel."""
    panel = _visible(actor, panel_id)
    return History(panel, consultation_form(panel), versions(panel.id))


def edit_page(actor: User, panel_id: int) -> EditPage:
    """The submitted form to change, for someone who may change it while the panel is open (NotFound, NotAllowed,
    Conflict)."""
    panel = _visible(actor, panel_id)
    _check_may_change(actor, panel)
    return EditPage(panel, consultation_form(panel), current_version(panel.id))


def _check_may_change(actor: User, panel: Panel) -> None:
    if not may_edit(actor, panel):
        raise NotAllowed(_("Only the panel lead and the health professionals of the patient's centre change the consultation form."))
    if frozen := why_frozen(panel):
        raise Conflict(frozen)


# The change ----------------------------------------------------------------------------------------


def change_consultation(
    actor: User, panel_id: int, raw_answers: dict[str, Any], base_version: int, today: date, origin: RequestInfo
) -> int | None:
    """Change the submitted consultation form: checked as its task's form is, kept as a new version, the panel's
    members told. ``base_version`` is the version the actor's form started from. Returns the new version's number,
    or None when no answer changed."""
    with transaction():
        panel = db.session.scalar(select(Panel).where(Panel.id == panel_id).with_for_update().execution_options(populate_existing=True))
        if panel is None or not security.can_see_panel(actor, panel):
            raise NotFound(_("No such panel."))
        _check_may_change(actor, panel)
        form = consultation_form(panel)
        answers, errors = clean_answers(form, raw_answers, today)
        if errors:
            raise InvalidInput(_("Some answers need correcting."), errors)
        steps.refuse_identifying_answers(panel.id, written_answers(form, answers))
        current = current_version(panel.id)
        number = current.number if current is not None else 0
        if number != base_version and current is not None:
            who = current.submitted_by.full_name if current.submitted_by else _("someone")
            raise Conflict(
                _(
                    "%(who)s changed the consultation form at %(when)s, after you opened it. Your answers are still in "
                    "the form below: look at their change in the history, then save again to make yours the current version.",
                    who=who,
                    when=format_datetime(current.submitted_at, "short"),
                )
            )
        changed = changes_between(form, panel.consultation, stored_answers(answers))
        if not changed:
            return None
        db.session.add(panel.take_consultation(answers, actor, number + 1))
        # The labels as written (English): each reader sees them in their own language, the text column in English.
        written = consultation_form(panel, translated=False)
        named = [Message(written.by_name[c.field].label) if c.field in written.by_name else c.label for c in changed[:NAMED_ON_TIMELINE]]
        if len(changed) > NAMED_ON_TIMELINE:
            named.append("…")
        line = N_("Consultation form changed (version %(version)s): %(fields)s.")
        timeline.add(panel, "consultation", line, actor, version=number + 1, fields=named)
        told = N_("the consultation form was changed (version %(version)s); see what changed in its history.")
        timeline.tell(_told(panel, actor), panel, told, version=number + 1)
        audit.record(actor, "panel.consultation_changed", "panel", panel.id, origin, version=number + 1, fields=[c.field for c in changed])
    return number + 1


def _told(panel: Panel, actor: User) -> list[User]:
    """Everyone on the panel or invited to it, and its lead, except who made the change."""
    people = [m.user for m in panel.members if m.status in (InvitationStatus.ACCEPTED, InvitationStatus.INVITED)]
    return [p for p in [*people, panel.lead] if p is not None and p.id != actor.id]


# Differences ---------------------------------------------------------------------------------------


def changes_between(form: FormDefinition, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """The answers that read differently in ``after`` than in ``before``, in the form's order."""
    found = []
    for section in form.sections:
        for field in section.fields:
            old, new = answer_text(field, before.get(field.name)), answer_text(field, after.get(field.name))
            if old != new:
                found.append(Change(field.name, section.title, field.label, old, new))
    return found


# The edit form -------------------------------------------------------------------------------------


def as_typed(form: FormDefinition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Stored answers as a person types them in the form (dates as dd/mm/yyyy, codes with their label, phenotype terms
    one per line), so that the edit form shows the current answers and submitting it unchanged changes nothing."""
    return {field.name: _typed(field, answers.get(field.name)) for field in form.fields}


def _typed(field: FieldDefinition, value: Any) -> Any:
    if value is None:
        return [] if field.type in ("multiple_choice", "group") else ""
    if field.type == "group" and isinstance(value, list):
        return [{sub.name: _typed(sub, entry.get(sub.name)) for sub in field.entry_fields} for entry in value if isinstance(entry, Mapping)]
    if field.type == "phenotype" and isinstance(value, list):
        return "\n".join(f"{'not ' if term.get('excluded') else ''}{term.get('code')} — {term.get('label')}" for term in value)
    if field.type == "coded_term" and isinstance(value, Mapping):
        return f"{value.get('code')} — {value.get('label')}"
    if field.type == "multiple_choice":
        return list(value) if isinstance(value, list) else [value]
    if field.type in ("date", "partial_date") and isinstance(value, str):
        return answer_text(field, value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
