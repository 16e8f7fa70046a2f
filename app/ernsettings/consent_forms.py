"""An ERN's model consent forms (SPEC §4): one PDF per language, uploaded, replaced and deleted by the ERN's managers,
downloaded by the ERN's members from the enrolment form. PDFs go through the documents' safety checks first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from babel import Locale
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app import security
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.documents import pdf_safety
from app.documents.sniffing import PDF
from app.documents.sniffing import sniff
from app.ernsettings.models import ConsentForm
from app.ernsettings.services import require_manager
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.organisations.models import Ern
from app.tasks.models import OpenTask

# The EU's official languages, then others spoken by patients in Europe (ISO 639-1).
LANGUAGES = (
    *("bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it"),
    *("lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv"),
    *("ar", "is", "no", "ru", "sq", "sr", "tr", "uk"),
)
MAX_BYTES = 10 * 1024 * 1024


def language_name(code: str) -> str:
    """The language in the reader's language, and in its own where that differs: "French (français)"."""
    here = Locale.parse(code).get_display_name(str(get_locale() or "en")) or code
    own = Locale.parse(code).get_display_name(code) or code
    here = here[:1].upper() + here[1:]
    return here if own.casefold() == here.casefold() else f"{here} ({own})"


def language_choices() -> list[tuple[str, str]]:
    """The languages a consent form may be uploaded in, by name in the reader's language."""
    return sorted(((code, language_name(code)) for code in LANGUAGES), key=lambda choice: choice[1].casefold())


def consent_forms(ern_id: int) -> list[ConsentForm]:
    """The ERN's model consent forms, by language (their contents are not loaded)."""
    return list(db.session.scalars(select(ConsentForm).where(ConsentForm.ern_id == ern_id).order_by(ConsentForm.language)))


def upload_consent_form(actor: User, ern_id: int, language: str, file_name: str, stream: BinaryIO, origin: RequestInfo) -> bool:
    """Keep a PDF as the ERN's model consent form in a language (replacing the one it had); True when something was
    removed from the file (scripts, embedded files, hidden details). Refused before a byte is read for non-managers."""
    require_manager(actor, ern_id)
    if language not in LANGUAGES:
        raise InvalidInput(_("Choose a language."), {"language": [_("Choose a language.")]})
    data = stream.read(MAX_BYTES + 1)
    if not data:
        raise InvalidInput(_("Choose a PDF file."), {"file": [_("Choose a PDF file.")]})
    if len(data) > MAX_BYTES:
        raise InvalidInput(_("The file is larger than %(n)d MB.", n=MAX_BYTES // (1024 * 1024)), {"file": [_("Too large.")]})
    if sniff(data[:512]) != PDF:
        message = _("A consent form is a PDF file (the content is checked, not the name).")
        raise InvalidInput(message, {"file": [message]})
    defused = _defused(data)
    name = "".join(c for c in (file_name or "").strip() if c.isprintable())[:200] or f"{language}.pdf"
    with transaction():
        require_manager(actor, ern_id)
        form = db.session.scalar(select(ConsentForm).where(ConsentForm.ern_id == ern_id, ConsentForm.language == language))
        replaced = form is not None
        if form is None:
            form = ConsentForm(ern_id=ern_id, language=language)
            db.session.add(form)
        form.file_name, form.content, form.size = name, defused.data, len(defused.data)
        form.uploaded_by_id, form.uploaded_at = actor.id, utcnow()
        audit.record(
            actor,
            "ern.consent_form_uploaded",
            "ern",
            ern_id,
            origin,
            language=language,
            size=form.size,
            replaced=replaced,
            removed=sorted(defused.removed),
        )
    return bool(defused.removed)


def _defused(data: bytes) -> pdf_safety.Defused:
    try:
        return pdf_safety.defuse(data)
    except pdf_safety.Unreadable as problem:
        reasons = {
            problem.PASSWORD: _("This PDF is locked with a password: upload a copy without one; nothing was stored."),
            problem.STUCK: _("Scripts or files in this PDF cannot be removed: print it to a new PDF and upload that; nothing was stored."),
        }
        damaged = _("This PDF cannot be read (damaged?): print it to a new PDF and upload that; nothing was stored.")
        message = reasons.get(problem.reason, damaged)
        raise InvalidInput(message, {"file": [message]}) from None


def delete_consent_form(actor: User, ern_id: int, language: str, origin: RequestInfo) -> None:
    """Remove the ERN's model consent form in a language."""
    with transaction():
        require_manager(actor, ern_id)
        form = db.session.scalar(select(ConsentForm).where(ConsentForm.ern_id == ern_id, ConsentForm.language == language))
        if form is None:
            raise NotFound(_("This ERN has no consent form in this language."))
        db.session.delete(form)
        audit.record(actor, "ern.consent_form_deleted", "ern", ern_id, origin, language=language)


def consent_form_for(actor: User, ern_id: int, language: str) -> ConsentForm:
    """A model consent form with its content, for the ERN's members (and those who manage it)."""
    if not (any(m.ern_id == ern_id for m in actor.memberships) or security.manages_ern(actor, ern_id)):
        raise NotAllowed(_("The consent forms of an ERN are for its members."))
    form = db.session.scalar(select(ConsentForm).where(ConsentForm.ern_id == ern_id, ConsentForm.language == language[:8]))
    if form is None:
        raise NotFound(_("This ERN has no consent form in this language."))
    return form


@dataclass(frozen=True)
class Offered:
    """A consent form as the enrolment form links to it."""

    ern_code: str
    language: str
    name: str


def for_enrolment(task: OpenTask, subject: object) -> list[Offered] | None:
    """The material of an enrolment form: the ERN's model consent forms to print for the patient (None: it has none)."""
    ern = db.session.get(Ern, task.ern_id) if task.ern_id is not None else None
    if ern is None:
        return None
    offered = [Offered(ern.code, form.language, language_name(form.language)) for form in consent_forms(ern.id)]
    return sorted(offered, key=lambda o: o.name.casefold()) or None
