"""What the app writes for later (timeline lines, notifications) shows in the reader's language, and each mail is in
its recipient's. The catalogues here are small fakes built in the test: the real ones may not be compiled yet."""

from datetime import date
from io import BytesIO

import flask_babel
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations
from flask_babel import force_locale
from flask_babel import get_locale
from sqlalchemy import select

from app.database import db
from app.i18n import N_
from app.i18n import render
from app.mail.models import OutgoingMail
from app.notifications.models import Message
from app.notifications.models import Notification
from app.notifications.models import writing_in
from app.notifications.services import notify
from app.panels import consultation
from app.panels import timeline
from app.panels.models import Panel
from app.panels.models import TimelineEntry
from tests import factories

FRENCH = {
    "Panel opened by %(name)s.": "Panel ouvert par %(name)s.",
    "Panel %(panel)s: %(event)s": "Panel %(panel)s : %(event)s",
    "%(name)s commented.": "%(name)s a commenté.",
}
POLISH = {
    "Dear %(name)s,": "Szanowna Pani / Szanowny Panie %(name)s,",
    "Reminder: %(task)s is waiting for you.": "Przypomnienie: %(task)s czeka na Ciebie.",
    "Record contribution": "Zapisz opinię",
}


def _catalogue(language: str, messages: dict[str, str]) -> Translations:
    catalog = Catalog(locale=language)
    for message, translation in messages.items():
        catalog.add(message, translation)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


@pytest.fixture
def catalogues(monkeypatch):
    """Flask-Babel (and so app.i18n) translates with these catalogues, by the locale of the moment."""
    fakes = {"fr": _catalogue("fr", FRENCH), "pl": _catalogue("pl", POLISH)}
    monkeypatch.setattr(flask_babel.Domain, "get_translations", lambda self: fakes.get(str(get_locale()), Translations()))
    return fakes


def test_a_timeline_line_written_in_english_is_shown_in_french_to_a_french_reader(world, login, catalogues):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    entry = db.session.scalars(select(TimelineEntry).where(TimelineEntry.panel_id == panel_id).order_by(TimelineEntry.id)).first()
    assert (entry.text, entry.message, entry.params) == (
        "Panel opened by Hanna Peeters.",
        "Panel opened by %(name)s.",
        {"name": "Hanna Peeters"},
    )
    world.clinician.language = "fr"
    db.session.commit()

    page = login(world.clinician).get(f"/panels/{panel_id}").get_data(as_text=True)

    assert "Panel ouvert par Hanna Peeters." in page
    assert "Panel opened by" not in page


def test_free_text_stays_as_written_and_a_panel_notice_is_shown_in_the_readers_language(app, world, catalogues):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel = db.session.get(Panel, factories.open_panel(world.clinician, patient))
    timeline.add_text(panel, "comment", "Voir l'IRM %(d'hier)s.", world.clinician)
    timeline.tell([world.brno_clinician], panel, N_("%(name)s commented."), name="Hanna Peeters")
    comment = db.session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "comment")).one()
    told = db.session.scalars(select(Notification).where(Notification.user_id == world.brno_clinician.id)).one()
    assert (comment.message, comment.params) == ("", None)
    assert told.text == f"Panel {panel.title}: Hanna Peeters commented."

    # writing_in rather than force_locale: a test's request contexts share one app context, so app.i18n's per-request
    # catalogue would outlive each of them.
    with app.test_request_context(), writing_in("fr"):
        assert comment.shown == "Voir l'IRM %(d'hier)s."
        assert told.shown == f"Panel {panel.title} : Hanna Peeters a commenté."
    with app.test_request_context(), writing_in("en"):
        assert told.shown == told.text


def test_a_mail_to_a_polish_user_is_written_in_polish_whatever_language_the_sender_reads(app, world, catalogues):
    world.brno_clinician.language = "pl"
    seen_locales = []

    def details(user):
        seen_locales.append(str(get_locale()))
        return "", None

    with app.test_request_context(), flask_babel.force_locale("en"):
        render("Panel opened by %(name)s.", {"name": "x"})  # the sender's page has its (English) catalogue at hand
        notify(
            [world.brno_clinician, world.clinician],
            N_("Reminder: %(task)s is waiting for you."),
            "/tasks/",
            details=details,
            task=Message("Record contribution"),
        )
        assert render("Record contribution") == "Record contribution"  # the sender's language is back

    assert seen_locales == ["pl", "en"]
    polish = db.session.scalars(select(OutgoingMail).where(OutgoingMail.recipient == world.brno_clinician.email)).one()
    assert polish.subject == "Przypomnienie: Zapisz opinię czeka na Ciebie."
    assert polish.body.startswith("Szanowna Pani / Szanowny Panie Jan Novak,\n\nPrzypomnienie: Zapisz opinię czeka na Ciebie.")
    english = db.session.scalars(select(OutgoingMail).where(OutgoingMail.recipient == world.clinician.email)).one()
    assert english.body.startswith("Dear Hanna Peeters,\n\nReminder: Record contribution is waiting for you.")
    stored = db.session.scalars(select(Notification).where(Notification.user_id == world.brno_clinician.id)).one()
    assert stored.text == "Reminder: Record contribution is waiting for you."
    assert (stored.message, stored.params) == (
        "Reminder: %(task)s is waiting for you.",
        {"task": {"message": "Record contribution", "params": None}},
    )
    with app.test_request_context(), writing_in("pl"):
        assert stored.shown == "Przypomnienie: Zapisz opinię czeka na Ciebie."


def test_the_fields_a_consultation_change_names_are_kept_in_english_and_shown_in_each_readers_language(app, world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    changed = {**factories.CONSULTATION, "request_description": "Another question?"}
    with app.test_request_context("/"), force_locale("fr"):
        consultation.change_consultation(world.clinician, panel_id, changed, 1, date(2026, 11, 21), factories.ORIGIN)
    entry = db.session.scalars(
        select(TimelineEntry).where(
            TimelineEntry.panel_id == panel_id,
            TimelineEntry.kind == "consultation",
            TimelineEntry.text.startswith("Consultation form changed"),
        )
    ).one()
    assert entry.text == "Consultation form changed (version 2): Request description."
    assert entry.params["fields"] == {"items": [{"message": "Request description", "params": None}]}
