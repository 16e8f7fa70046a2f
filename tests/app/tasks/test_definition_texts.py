"""Texts from definitions an ERN manager edits (form labels, task names) show as text on every page, whatever they hold.

Definitions stored before markup was refused at publish and deploy time still exist, so escaping where they are
shown is what protects users; a "%" in a label is a character, never a format.
"""

import json
import re
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import func
from sqlalchemy import select

import engine
from app.accounts.models import Role
from app.database import db
from app.errors import InvalidInput
from app.formdesign import services as formdesign
from app.formdesign.models import FormVersion
from app.processes import services as processes
from app.text import markup_in
from app.workflows import store
from app.workflows.models import ProcessDefinition
from tests import factories
from tests.factories import ORIGIN
from tests.factories import task_of

ROOT = Path(__file__).resolve().parents[3]
IMG = "<img src=x onerror=alert(1)>"
META = '<meta http-equiv="refresh" content="0;url=https://example.org">'
TEXTS = [IMG, META, "Occupation (% of full time)", "Enrol patient (100% checked)", "%(x)s", "%s"]


@pytest.fixture(autouse=True)
def parsed_definitions_of_earlier_tests_forgotten():
    # Each test's versions are rolled back, and the next test's get the same row ids: the cache must not answer for them.
    store._DEFINITIONS.clear()


@pytest.fixture
def manager(world):
    user = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    db.session.commit()  # a refused publish rolls its transaction back: the manager must outlive it to sign in next
    return user


def consultation_with(text: str) -> str:
    """The consultation form with ``text`` in every text people read."""
    definition = json.loads((ROOT / "forms" / "consultation.json").read_text(encoding="utf-8"))
    definition.update(title=f"Form {text}", description=f"About {text}", submit_label=f"Send {text}")
    for section in definition["sections"]:
        section.update(title=f"{section['title']} {text}", help=f"Section help {text}")
        for field in section["fields"]:
            for entry in [field, *field.get("fields", [])]:
                entry.update(label=f"{entry['label']} {text}", help=f"Field help {text}")
                if entry["type"] in ("text", "long_text"):
                    entry["placeholder"] = f"Placeholder {text}"
                for choice in entry.get("choices", []):
                    choice["label"] = f"{choice['label']} {text}"
            if field["type"] == "group":
                field["entry_label"] = f"Entry {text}"
    return json.dumps(definition)


def panel_process_with(text: str) -> bytes:
    """The panel process with ``text`` in the name of every user task."""
    xml = (ROOT / "bpmn" / "panel.bpmn").read_bytes()
    return re.sub(rb'(<bpmn:userTask id="[^"]+" name=")', lambda found: found[1] + str(escape(text)).encode() + b" ", xml)


def store_definitions(world, manager, text: str) -> None:
    """Published and deployed through the services; with markup, stored as they were before the services refused it."""
    form, xml = consultation_with(text), panel_process_with(text)
    if markup_in(text):
        db.session.add(FormVersion(ern_id=world.ern.id, form_id="consultation", version=1, definition=form, published_by_id=manager.id))
        newest = db.session.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_id == "panel"))
        db.session.add(
            ProcessDefinition(process_id="panel", version=newest + 1, checksum=engine.checksum(xml), xml=xml, ern_id=world.ern.id)
        )
        db.session.commit()
    else:
        formdesign.publish(manager, world.ern.id, "consultation", form, ORIGIN)
        processes.deploy(manager, world.ern.id, "panel", xml, str(ROOT / "forms"))


def assert_shown_as_text(response, text: str, status: int = 200) -> None:
    assert response.status_code == status, response.text[:2000]
    assert str(escape(text)) in response.text
    if markup_in(text):
        assert markup_in(text) not in response.text


@pytest.mark.parametrize("text", TEXTS)
def test_labels_and_task_names_show_as_text_on_every_page(world, login, manager, text):
    store_definitions(world, manager, text)
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient, submit=False)
    task_id = task_of(world.clinician, "fill_consultation")

    client = login(world.clinician)
    task_page = client.get(f"/tasks/{task_id}")
    assert_shown_as_text(task_page, text)
    for piece in (f"Form {text}", f"About {text}", f"Send {text}", f"Section help {text}", f"Placeholder {text}", f"Entry {text}"):
        assert str(escape(piece)) in task_page.text
    for page in ("/", "/tasks/", f"/panels/{panel_id}"):
        assert_shown_as_text(client.get(page), f"{text} Fill consultation form")
    refused = client.post(f"/tasks/{task_id}", data={"nickname": "blue heron"})
    assert_shown_as_text(refused, f"Urgent request {text} is required.", status=422)
    answers = {**factories.CONSULTATION, "consanguinity": "yes", "education_level": "1"}
    done = client.post(f"/tasks/{task_id}", data=answers, follow_redirects=True)
    assert "submitted: now invite the experts." in done.text
    consultation = client.get(f"/panels/{panel_id}")
    assert_shown_as_text(consultation, f"{text} Finish panel selection")
    for piece in (f"Consultation request {text}", f"Request description {text}", f"Yes {text}", f"1 Primary education {text}"):
        assert str(escape(piece)) in consultation.text
    client.post("/logout")

    coordinator = login(world.coordinator)
    queue = coordinator.get("/erns/EuroBloodNet/queue")
    assert_shown_as_text(queue, f"{text} Finish panel selection")
    reassign = coordinator.get(f"/queue/tasks/{task_of(world.clinician, 'select_experts')}/reassign")
    assert_shown_as_text(reassign, f"{text} Finish panel selection")


@pytest.mark.parametrize("markup", [IMG, META])
@pytest.mark.parametrize(
    ("place", "where"),
    [
        (lambda d, m: d.update(title=m), "the form's title"),
        (lambda d, m: d["sections"][1].update(help=m), "the help of section 'patient_information'"),
        (lambda d, m: d["sections"][0]["fields"][3].update(label=m), "the label of field 'request_description'"),
        (lambda d, m: d["sections"][1]["fields"][0]["choices"][0].update(label=m), "the choice '0' of field 'education_level'"),
        (lambda d, m: d["sections"][4]["fields"][0]["fields"][0].update(placeholder=m), "the placeholder of field 'condition'"),
    ],
)
def test_publishing_a_form_with_markup_is_refused_with_a_clear_message(world, login, manager, markup, place, where):
    definition = json.loads((ROOT / "forms" / "consultation.json").read_text(encoding="utf-8"))
    place(definition, f"Label {markup}")
    with pytest.raises(InvalidInput) as refused:
        formdesign.publish(manager, world.ern.id, "consultation", json.dumps(definition), ORIGIN)
    message = f"The form cannot be published: {where} holds markup, {markup}. Labels are shown to people as text: remove the markup."
    assert refused.value.message == message
    response = login(manager).post("/erns/EuroBloodNet/forms/consultation", data={"definition": json.dumps(definition)})
    assert response.status_code == 422 and str(escape(message)) in response.text and markup not in response.text
    assert db.session.scalar(select(func.count(FormVersion.id))) == 0


@pytest.mark.parametrize("markup", [IMG, META])
def test_deploying_a_process_with_markup_in_a_task_name_is_refused_with_a_clear_message(world, manager, markup):
    with pytest.raises(InvalidInput) as refused:
        processes.deploy(manager, world.ern.id, "panel", panel_process_with(markup), str(ROOT / "forms"))
    assert "Names are shown to people as text: remove the markup." in refused.value.message
    assert f"The name of the user task '{markup} Fill consultation form' holds markup, {markup}." in refused.value.message
    assert db.session.scalar(select(func.count(ProcessDefinition.id)).where(ProcessDefinition.ern_id == world.ern.id)) == 0
