"""Mails and PDFs in their reader's language, with the real catalogues: an invitation mailed to a Polish expert is in
Polish; the outcome PDF downloaded by an Italian reader is in Italian, accented letters and all."""

from __future__ import annotations

from io import BytesIO

import pytest
from babel.messages.mofile import read_mo
from pypdf import PdfReader
from sqlalchemy import select

from app.database import db
from app.mail.models import OutgoingMail
from app.panels import services as panel_services
from tests import factories
from tests.app.panels.test_report import signed_panel  # noqa: F401  (the fixture)
from tests.i18n.test_catalogues import TRANSLATIONS

pytestmark = pytest.mark.usefixtures("database")


def translated(language: str, message: str) -> str:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").open("rb") as source:
        return str(read_mo(source).get(message).string)


def test_an_invitation_mailed_to_a_polish_expert_is_in_polish(world):
    world.brno_clinician.language = "pl"
    db.session.commit()
    factories.give_areas(world.brno_clinician, world.ern)
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    panel_services.invite_experts(world.clinician, panel_id, [world.brno_clinician.id], factories.ORIGIN)
    mails = db.session.scalars(select(OutgoingMail).where(OutgoingMail.recipient == world.brno_clinician.email)).all()
    assert mails
    body = mails[-1].body
    greeting = translated("pl", "Dear %(name)s,") % {"name": world.brno_clinician.full_name}
    assert body.startswith(greeting)
    assert "Dear" not in body and "Please accept or decline" not in body
    assert any(letter in body for letter in "ąćęłńóśźż")


def test_the_outcome_pdf_reads_in_italian_with_its_accents(world, login, signed_panel):  # noqa: F811
    world.brno_clinician.language = "it"
    db.session.commit()
    response = login(world.brno_clinician).get(f"/panels/{signed_panel.id}/outcome.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(response.data)).pages)
    headings = [translated("it", message) for message in ("Outcome of the expert panel", "Panel members", "Question to the panel")]
    for heading in headings:
        assert heading in text
    accented = [
        word
        for message in ("Specialty", "Centre", "Produced", "Contributions", "Recommendations")
        for word in translated("it", message).split()
    ]
    accented = [word for word in accented if not word.isascii()]
    assert accented, "no accented word among the headings checked"
    assert all(word in text for word in accented)
