"""An ERN manager adapts the consultation form: validated, previewed, published as a version; panels keep theirs."""

import html
import json
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import Role
from app.database import db
from app.errors import InvalidInput
from app.formdesign.models import FormVersion
from app.panels.models import Panel
from tests import factories
from tests.factories import complete
from tests.factories import task_of

BASE = json.loads((Path(__file__).resolve().parents[2] / "forms" / "consultation.json").read_text(encoding="utf-8"))


@pytest.fixture
def manager(world):
    return factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")


def with_mandatory_field():
    definition = json.loads(json.dumps(BASE))
    definition["sections"][0]["fields"].append(
        {"name": "referring_question", "label": "Question for the ERN board", "type": "text", "required": True, "max_length": 200}
    )
    return json.dumps(definition)


def test_a_published_override_applies_to_new_panels_while_older_panels_keep_their_form(world, login, manager):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    older = factories.open_panel(world.clinician, patient)
    client = login(manager)
    preview = client.post("/erns/EuroBloodNet/forms/consultation/preview", data={"definition": with_mandatory_field()})
    assert preview.status_code == 200 and "Question for the ERN board" in preview.text and "<fieldset disabled" in preview.text
    assert client.post("/erns/EuroBloodNet/forms/consultation", data={"definition": with_mandatory_field()}).status_code == 302
    client.post("/logout")
    newer = factories.open_panel(world.clinician, patient, submit=False)
    task_id = task_of(world.clinician, "fill_consultation")
    with pytest.raises(InvalidInput) as missing:
        complete(world.clinician, task_id, factories.CONSULTATION)
    assert "referring_question" in missing.value.field_errors
    complete(world.clinician, task_id, {**factories.CONSULTATION, "referring_question": "Second-line options?"})
    client = login(world.clinician)
    assert "Question for the ERN board" in client.get(f"/panels/{newer}").text
    old_page = client.get(f"/panels/{older}").text
    assert "Question for the ERN board" not in old_page and "Which treatment next?" in old_page
    assert db.session.get(Panel, older).consultation_version_id is None
    assert db.session.get(Panel, newer).consultation_version_id is not None


def _tampered(change):
    definition = json.loads(json.dumps(BASE))
    change(definition)
    return json.dumps(definition)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        (_tampered(lambda d: d["sections"][0]["fields"].pop(0)), "Keep the mandatory field &#39;nickname&#39;"),
        (_tampered(lambda d: d["sections"][0]["fields"][0].update(type="script")), "Must be one of"),
        (
            _tampered(lambda d: d["sections"][1]["fields"].append(d["sections"][0]["fields"][3])),
            "&#39;request_description&#39; is used twice",
        ),
        (_tampered(lambda d: d.update(id="enrolment")), "must match"),
        (_tampered(lambda d: d["sections"][0]["fields"][1].update(label="")), "label: Length must be between 1 and 200"),
        ("x" * 200_001, "too long"),
    ],
)
def test_a_bad_definition_gets_a_clear_message_and_nothing_is_published(world, login, manager, text, message):
    response = login(manager).post("/erns/EuroBloodNet/forms/consultation", data={"definition": text})
    assert response.status_code == 422 and message in response.text
    assert db.session.scalar(select(func.count(FormVersion.id))) == 0
    if len(text) < 1000:
        assert "definition" in response.text  # the text is still on the page, nothing lost


def test_only_the_erns_managers_adapt_its_forms(world, login):
    client = login(world.coordinator)
    assert client.get("/erns/EuroBloodNet/forms/consultation").status_code == 403
    assert client.post("/erns/EuroBloodNet/forms/consultation", data={"definition": with_mandatory_field()}).status_code == 403
    assert client.get("/erns/EuroBloodNet/forms/enrolment").status_code == 404


def _structure(response):
    text = response.text
    start = text.index('name="definition"')
    start = text.index(">", start) + 1
    return json.loads(html.unescape(text[start : text.index("</textarea>", start)]))


def test_the_section_editor_adds_relabels_moves_and_removes_fields_and_previews_each_step(world, login, manager):
    client = login(manager)
    page = client.get("/erns/EuroBloodNet/forms/consultation")
    assert page.status_code == 200 and 'value="Consultation request"' in page.text
    step = "/erns/EuroBloodNet/forms/consultation/step"
    added = client.post(
        step,
        data={
            "definition": json.dumps(BASE),
            "action": "add_field:0",
            "new_field_label-0": "Board question",
            "new_field_type-0": "single_choice",
            "new_field_required-0": "on",
            "new_field_choices-0": "Diagnosis\nTreatment",
        },
    )
    definition = _structure(added)
    field = definition["sections"][0]["fields"][-1]
    assert field == {
        "name": "board_question",
        "label": "Board question",
        "type": "single_choice",
        "required": True,
        "choices": [{"value": "diagnosis", "label": "Diagnosis"}, {"value": "treatment", "label": "Treatment"}],
    }
    assert "<fieldset disabled" in added.text and "Board question" in added.text
    last = len(definition["sections"][0]["fields"]) - 1
    relabelled = _structure(
        client.post(
            step, data={"definition": json.dumps(definition), "action": f"relabel_field:0:{last}", f"field_label-0-{last}": "Question"}
        )
    )
    assert relabelled["sections"][0]["fields"][last]["label"] == "Question"
    moved = _structure(client.post(step, data={"definition": json.dumps(relabelled), "action": f"move_field:0:{last}:up"}))
    assert moved["sections"][0]["fields"][last - 1]["name"] == "board_question"
    removed = _structure(client.post(step, data={"definition": json.dumps(moved), "action": "remove_section:1"}))
    assert [s["id"] for s in removed["sections"]][:2] == ["consultation_request", "episode"]
    refused = client.post(step, data={"definition": json.dumps(removed), "action": "remove_field:0:0"})
    assert "Keep the mandatory field" in refused.text  # the nickname is needed: shown, not published
    assert client.post("/erns/EuroBloodNet/forms/consultation", data={"definition": json.dumps(removed)}).status_code == 302
    assert db.session.scalar(select(FormVersion)).version == 1


def test_an_editing_step_on_something_that_no_longer_exists_is_explained(world, login, manager):
    response = login(manager).post(
        "/erns/EuroBloodNet/forms/consultation/step", data={"definition": json.dumps(BASE), "action": "remove_field:0:99"}
    )
    assert response.status_code == 422 and "no longer exists" in response.text
