"""The access table of the API: every endpoint, called with each role's token, answers as the web app's policy says
(the patient's centre sees identifying data; a panel is for those who see it on the web; a task for whoever may
complete it)."""

from __future__ import annotations

from io import BytesIO

import pytest

from tests import factories
from tests.api.routes import API_ROUTES

CALLS = {**API_ROUTES, "api_documents.Documents POST": ("POST", "/api/v1/panels/{panel}/documents")}

ROLES = ("clinician", "brno_clinician", "researcher", "coordinator")

# endpoint → what each role's token gets, for the table's objects: a BE10 patient enrolled by the clinician, a panel
# the clinician opened on them (its consultation form still to fill: the {task}), no documents.
EXPECTED = {
    "api_account.me": (200, 200, 200, 200),
    "api_account.list_notifications": (200, 200, 200, 200),
    "api_patients.list_patients": (200, 200, 200, 200),  # each sees their own centres' patients only (test_endpoints)
    "api_patients.get_patient": (200, 404, 404, 404),
    "api_panels.list_panels": (200, 200, 200, 200),
    "api_panels.get_panel": (200, 404, 404, 200),  # the ERN's coordinator sees its panels, as on the web
    "api_panels.get_consultation": (200, 404, 404, 200),
    "api_documents.Documents": (200, 404, 404, 200),
    "api_documents.Documents POST": (201, 404, 404, 403),  # the coordinator sees the panel but attaches nothing
    "api_tasks.list_tasks": (200, 200, 200, 200),
    "api_tasks.get_task": (200, 403, 403, 403),
    "api_tasks.get_draft": (200, 403, 403, 403),
    "api_tasks.put_draft": (200, 403, 403, 403),
    "api_tasks.complete": (412, 403, 403, 403),  # the clinician's If-Match here is stale on purpose: nothing done
    "api_reports.get_report": (403, 403, 403, 200),
}


def test_the_table_covers_every_api_endpoint(app):
    api = sorted(rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/") and "api_docs" not in rule.endpoint)
    assert api == sorted(API_ROUTES) == sorted(key.split()[0] for key in EXPECTED if key.split()[0] == key)
    assert sorted(CALLS) == sorted(EXPECTED)


@pytest.fixture
def objects(world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel = factories.open_panel(world.clinician, patient, submit=False)
    return {"patient": patient.id, "panel": panel, "task": factories.task_of(world.clinician, "fill_consultation")}


@pytest.mark.parametrize("endpoint", sorted(CALLS))
def test_each_role_gets_what_the_policy_allows(client, world, objects, endpoint):
    method, template = CALLS[endpoint]
    url = template.format(**objects)
    for role, expected in zip(ROLES, EXPECTED[endpoint], strict=True):
        headers = {"Authorization": f"Bearer {factories.api_token(getattr(world, role))}"}
        if endpoint == "api_tasks.put_draft":
            headers["If-Match"] = '"r0"'
        if endpoint == "api_tasks.complete":
            headers["If-Match"] = '"v0"'
        if endpoint == "api_documents.Documents POST":
            answer = client.post(
                url, headers=headers, data={"file": (BytesIO(factories.pdf()), "a.pdf")}, content_type="multipart/form-data"
            )
        elif method in ("PUT", "POST"):
            answer = client.open(url, method=method, headers=headers, json={"answers": {}})
        else:
            answer = client.get(url, headers=headers)
        assert answer.status_code == expected, f"{role}: {answer.status_code} {answer.text[:300]}"
        if answer.status_code >= 400:
            assert answer.mimetype == "application/problem+json" and answer.json["detail"]
