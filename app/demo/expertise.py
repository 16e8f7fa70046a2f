"""The demo's declared expertise and consultation languages, so that the ranking of experts has something to say."""

from __future__ import annotations

from app.accounts.models import User
from app.database import db
from app.expertise.models import ConsultationLanguage
from app.expertise.models import DeclaredExpertise

# Demo user key → (system, code, label) declared, and the languages they consult in.
DECLARED = {
    "hp5": [("ORPHA", "ORPHA:85443", "AL amyloidosis"), ("HPO", "HP:0001903", "Anemia")],
    "hp1": [("ORPHA", "ORPHA:232", "Sickle cell anemia"), ("HPO", "HP:0002665", "Lymphoma")],
    "hp2": [("HPO", "HP:0002716", "Lymphadenopathy")],
}
LANGUAGES = {"hp1": ["en", "fr", "nl"], "hp2": ["cs", "en"], "hp3": ["fr", "en"], "hp4": ["it", "en"], "hp5": ["nl", "en"]}


def seed_expertise(users: dict[str, User]) -> None:
    """Flushes only (within the demo seed's transaction)."""
    for key, codes in DECLARED.items():
        user = users[f"{key}@demo.consilium.eu"]
        db.session.add_all(DeclaredExpertise(user_id=user.id, system=s, code=c, label=label) for s, c, label in codes)
    for key, languages in LANGUAGES.items():
        user = users[f"{key}@demo.consilium.eu"]
        db.session.add_all(ConsultationLanguage(user_id=user.id, language=language) for language in languages)
    db.session.flush()
