"""Which language a person gets: their choice (Preferences), else their browser's (Accept-Language), else their ERN's
default, else English; the choice and the ERN's default are set on their pages."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from app.accounts.models import Role
from app.database import db
from app.ernsettings.models import ErnSettings
from app.i18n import display_number
from app.i18n import language_of
from tests import factories

pytestmark = pytest.mark.usefixtures("database")


def page_language(response) -> str:
    found = re.search(r'<html lang="([a-z]+)', response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:300]
    return found.group(1)


def test_a_visitor_gets_the_browsers_language_before_any_choice(client):
    assert page_language(client.get("/login", headers={"Accept-Language": "fr-BE,fr;q=0.9,en;q=0.5"})) == "fr"
    assert page_language(client.get("/login", headers={"Accept-Language": "ja"})) == "en"
    assert page_language(client.get("/login")) == "en"


def test_the_users_choice_comes_before_the_browsers(client, login, world):
    signed_in = login(world.clinician)
    form = {"timezone": "Europe/Brussels", "specialisation": "Haematologist", "language": "de"}
    assert signed_in.post("/preferences", data=form).status_code == 302
    assert world.clinician.language == "de"
    assert page_language(signed_in.get("/", headers={"Accept-Language": "fr"})) == "de"
    assert 'value="de" lang="de" selected' in signed_in.get("/preferences").get_data(as_text=True)


def test_a_language_consilium_does_not_speak_is_refused_by_its_field(client, login, world):
    form = {"timezone": "Europe/Brussels", "specialisation": "Haematologist", "language": "xx"}
    refused = login(world.clinician).post("/preferences", data=form)
    assert refused.status_code == 422 and 'id="language-error"' in refused.get_data(as_text=True)
    assert world.clinician.language == ""


def test_without_a_choice_or_a_browser_language_the_erns_default_applies(client, login, world):
    manager = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    saved = login(manager).post("/erns/EuroBloodNet/settings/language", data={"default_language": "nl"})
    assert saved.status_code == 302
    assert db.session.get(ErnSettings, world.ern.id).default_language == "nl"
    client.post("/logout")
    signed_in = login(world.clinician)
    assert page_language(signed_in.get("/")) == "nl"
    assert page_language(signed_in.get("/", headers={"Accept-Language": "it"})) == "it"
    assert language_of(world.clinician) == "nl"  # mails to someone who chose nothing
    world.clinician.language = "cs"
    assert language_of(world.clinician) == "cs"


def test_only_the_erns_managers_set_its_default_language(client, login, world):
    refused = login(world.clinician).post("/erns/EuroBloodNet/settings/language", data={"default_language": "nl"})
    assert refused.status_code == 403
    manager = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    client.post("/logout")
    assert login(manager).post("/erns/EuroBloodNet/settings/language", data={"default_language": "xx"}).status_code == 422


@pytest.mark.parametrize(
    ("language", "shown"), [("en", ["1,234", "12.3", "< 5"]), ("de", ["1.234", "12,3", "< 5"]), ("fr", ["1\u202f234", "12,3", "< 5"])]
)
def test_numbers_are_written_as_the_readers_locale_writes_them(app, language, shown):
    with app.test_request_context(), force_locale(language):
        assert [display_number(value) for value in (1234, 12.345, "< 5")] == shown
