"""An ERN's own version of the consultation form in every language: the designer shows each text beside its
translation, marks what is missing, keeps the ERN's own wording, and a clinician reading another language sees it."""

from __future__ import annotations

import json
import re

import pytest

from app.accounts.models import Role
from app.database import db
from tests import factories
from tests.app.test_formdesign import BASE
from tests.app.test_formdesign import _structure

pytestmark = pytest.mark.usefixtures("database")

STEP = "/erns/EuroBloodNet/forms/consultation/step"
NEW_LABEL = "Cardiac MRI findings"
IN_FRENCH = "Résultats de l’IRM cardiaque"


@pytest.fixture
def manager(world):
    return factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")


def _missing(page: str, language: str) -> int:
    found = re.search(rf'<span lang="{language}">[^<]+</span>: <span class="badge text-bg-(?:warning|success)">([^<]+)</span>', page)
    assert found, page
    count = re.match(r"\d+", found.group(1))
    return int(count.group(0)) if count else 0


def _row_of(page: str, text: str) -> str:
    start = page.index(f">{text}</label>")
    return page[page.rindex("<tr", 0, start) : page.index("</tr>", start)]


def test_the_base_form_is_translated_and_an_erns_own_field_is_marked_missing_until_worded(world, login, manager):
    client = login(manager)
    page = client.get("/erns/EuroBloodNet/forms/consultation?language=fr").text
    assert all(_missing(page, language) == 0 for language in ("fr", "de", "it", "es", "nl", "pl", "cs"))
    assert 'placeholder="Surnom"' in page or "Nickname" in page  # the catalogue's French shown beside the English

    added = client.post(
        STEP,
        data={"definition": json.dumps(BASE), "action": "add_field:0", "new_field_label-0": NEW_LABEL, "new_field_type-0": "text"},
    )
    assert _missing(added.text, "fr") == 1 and _missing(added.text, "de") == 1
    assert "missing" in _row_of(added.text, NEW_LABEL)
    definition = _structure(added)
    number = re.search(r'id="translation-(\d+)"', _row_of(added.text, NEW_LABEL)).group(1)

    worded = client.post(
        STEP,
        data={"definition": json.dumps(definition), "action": "translate:fr", "language": "fr", f"translation-{number}": IN_FRENCH},
    )
    assert worded.status_code == 200
    assert _structure(worded)["translations"] == {"fr": {NEW_LABEL: IN_FRENCH}}
    assert _missing(worded.text, "fr") == 0 and _missing(worded.text, "de") == 1
    assert f'value="{IN_FRENCH}"' in _row_of(worded.text, NEW_LABEL)

    assert client.post("/erns/EuroBloodNet/forms/consultation", data={"definition": json.dumps(_structure(worded))}).status_code == 302
    client.post("/logout")
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.open_panel(world.clinician, patient, submit=False)
    task_id = factories.task_of(world.clinician, "fill_consultation")
    world.clinician.language = "fr"
    db.session.commit()
    assert IN_FRENCH in login(world.clinician).get(f"/tasks/{task_id}").text
    world.clinician.language = "de"
    db.session.commit()
    assert NEW_LABEL in client.get(f"/tasks/{task_id}").text  # no German wording: the ERN's English


def test_a_wording_with_markup_is_refused_when_published(world, login, manager):
    definition = json.loads(json.dumps(BASE))
    definition["translations"] = {"fr": {"Nickname": "<script>alert(1)</script>"}}
    refused = login(manager).post("/erns/EuroBloodNet/forms/consultation", data={"definition": json.dumps(definition)})
    assert refused.status_code == 422 and "fr" in refused.text


def test_a_wording_in_a_language_consilium_does_not_speak_is_refused(world, login, manager):
    definition = json.loads(json.dumps(BASE))
    definition["translations"] = {"xx": {"Nickname": "Nick"}}
    assert login(manager).post("/erns/EuroBloodNet/forms/consultation", data={"definition": json.dumps(definition)}).status_code == 422


@pytest.mark.parametrize("translations", [["x"], "x", {"fr": "x"}, {"fr": ["a"]}, {"fr": {"Nickname": 5}}, 5])
@pytest.mark.parametrize("action", ["show", "translate:de"])
def test_wordings_of_the_wrong_shape_are_refused_by_the_check_not_a_crash(world, login, manager, translations, action):
    definition = json.loads(json.dumps(BASE))
    definition["translations"] = translations
    answer = login(manager).post(STEP, data={"definition": json.dumps(definition), "action": action, "language": "de"})
    assert answer.status_code in (200, 422)
    preview = login(manager).post("/erns/EuroBloodNet/forms/consultation/preview", data={"definition": json.dumps(definition)})
    assert preview.status_code == 422 and "translations" in preview.text


@pytest.mark.parametrize("header", ["*;q=abc", "zz-ZZ", "fr;q=1e400", "x" * 5000, "de-XX, ;;;,", "\u00e9"])
def test_a_garbled_accept_language_gets_a_page(client, header):
    assert client.get("/login", headers={"Accept-Language": header}).status_code == 200
