"""A member's own expertise: declare and remove ORPHA and HPO codes, hide and restore learned ones, set the languages
they consult in. Each action is one transaction, audited; a member changes only their own."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy import select

from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.errors import InvalidInput
from app.expertise.models import SYSTEMS
from app.expertise.models import ConsultationLanguage
from app.expertise.models import DeclaredExpertise
from app.expertise.models import HiddenLearnedCode
from app.terminology.catalogue import catalogue

MAX_DECLARED = 200
# The languages a member may consult in: the EU's official languages (ISO 639-1), named in themselves.
CONSULTATION_LANGUAGES = {
    "bg": "Български",
    "cs": "Čeština",
    "da": "Dansk",
    "de": "Deutsch",
    "el": "Ελληνικά",
    "en": "English",
    "es": "Español",
    "et": "Eesti",
    "fi": "Suomi",
    "fr": "Français",
    "ga": "Gaeilge",
    "hr": "Hrvatski",
    "hu": "Magyar",
    "it": "Italiano",
    "lt": "Lietuvių",
    "lv": "Latviešu",
    "mt": "Malti",
    "nl": "Nederlands",
    "pl": "Polski",
    "pt": "Português",
    "ro": "Română",
    "sk": "Slovenčina",
    "sl": "Slovenščina",
    "sv": "Svenska",
}


def _typed_code(typed: str) -> str:
    """The code of what the picker wrote ("ORPHA:85443 — Label") or of a code typed alone."""
    return (typed or "").strip().split(" ", 1)[0].strip().rstrip(",;")[:40]


def declare(actor: User, typed: str, origin: RequestInfo) -> DeclaredExpertise:
    """Add an ORPHA disease or an HPO term to the actor's expertise; a code the catalogue does not know is refused."""
    code = _typed_code(typed)
    term = None
    for system in SYSTEMS:
        term = catalogue().lookup(system, code) if code else None
        if term is not None:
            break
    if term is None:
        raise InvalidInput(
            _("%(code)s is not an ORPHA or HPO code: choose one from the list (for example ORPHA:85443 or HP:0001250).", code=code or "—")
        )
    with transaction():
        existing = db.session.scalar(
            select(DeclaredExpertise).where(
                DeclaredExpertise.user_id == actor.id, DeclaredExpertise.system == term.system, DeclaredExpertise.code == term.code
            )
        )
        if existing is not None:
            return existing
        count = len(list(db.session.scalars(select(DeclaredExpertise.id).where(DeclaredExpertise.user_id == actor.id))))
        if count >= MAX_DECLARED:
            raise InvalidInput(_("You can declare at most %(n)s codes.", n=MAX_DECLARED))
        row = DeclaredExpertise(user_id=actor.id, system=term.system, code=term.code, label=term.label[:400])
        db.session.add(row)
        audit.record(actor, "expertise.declared", "user", actor.id, origin, system=term.system, code=term.code)
    return row


def remove(actor: User, expertise_id: int, origin: RequestInfo) -> None:
    """Remove one of the actor's declared codes (someone else's is not found)."""
    with transaction():
        row = db.session.get(DeclaredExpertise, expertise_id)
        if row is None or row.user_id != actor.id:
            raise InvalidInput(_("No such declared expertise."))
        audit.record(actor, "expertise.removed", "user", actor.id, origin, system=row.system, code=row.code)
        db.session.delete(row)


def _system_and_code(system: str, code: str) -> tuple[str, str]:
    if system not in SYSTEMS or not code or len(code) > 40:
        raise InvalidInput(_("No such learned code."))
    return system, code


def _hidden(actor: User, system: str, code: str) -> Any:
    return (HiddenLearnedCode.user_id == actor.id, HiddenLearnedCode.system == system, HiddenLearnedCode.code == code)


def hide(actor: User, system: str, code: str, origin: RequestInfo) -> None:
    """Leave a learned code out of the actor's expertise."""
    system, code = _system_and_code(system, code)
    with transaction():
        exists = db.session.scalar(select(HiddenLearnedCode.id).where(*_hidden(actor, system, code)))
        if exists is None:
            db.session.add(HiddenLearnedCode(user_id=actor.id, system=system, code=code))
            audit.record(actor, "expertise.hidden", "user", actor.id, origin, system=system, code=code)


def restore(actor: User, system: str, code: str, origin: RequestInfo) -> None:
    """Count a learned code the actor hid again."""
    system, code = _system_and_code(system, code)
    with transaction():
        db.session.execute(delete(HiddenLearnedCode).where(*_hidden(actor, system, code)))
        audit.record(actor, "expertise.restored", "user", actor.id, origin, system=system, code=code)


def set_languages(actor: User, languages: Iterable[str], origin: RequestInfo) -> None:
    chosen = sorted(set(languages))
    if any(language not in CONSULTATION_LANGUAGES for language in chosen):
        raise InvalidInput(_("Choose languages from the list."))
    with transaction():
        db.session.execute(delete(ConsultationLanguage).where(ConsultationLanguage.user_id == actor.id))
        db.session.add_all(ConsultationLanguage(user_id=actor.id, language=language) for language in chosen)
        audit.record(actor, "expertise.languages", "user", actor.id, origin, languages=",".join(chosen))
