"""The REST API over HTTP with personal access tokens: what each endpoint answers to whom, problem details, cursors,
ETags and If-Match, and the audit of writes."""

from __future__ import annotations

from io import BytesIO

import pytest
from sqlalchemy import select

from app.api.models import ApiToken
from app.audit.models import AuditEntry
from app.database import db
from app.panels.models import Panel
from app.tasks.models import TaskDraft
from tests import factories

pytestmark = pytest.mark.usefixtures("database")


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def case(world):
    """A BE10 patient with a panel whose consultation form is still to be filled (its task is open)."""
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient, submit=False)
    return patient, panel_id, factories.task_of(world.clinician, "fill_consultation")


def test_the_patients_of_a_centre_are_for_that_centre_only(client, world, case):
    patient, _panel, _task = case
    own = client.get("/api/v1/patients", headers=bearer(factories.api_token(world.clinician)))
    assert own.status_code == 200
    assert [p["id"] for p in own.json["items"]] == [patient.id]
    assert own.json["items"][0]["last_name"] == patient.last_name
    other = bearer(factories.api_token(world.brno_clinician))
    assert client.get("/api/v1/patients", headers=other).json["items"] == []
    missing = client.get(f"/api/v1/patients/{patient.id}", headers=other)
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"
    assert missing.json["status"] == 404 and missing.json["title"] == "Not Found" and missing.json["detail"]


def test_panels_are_pseudonymised_and_only_for_those_who_see_them(client, world, case):
    patient, panel_id, _task = case
    own = client.get(f"/api/v1/panels/{panel_id}", headers=bearer(factories.api_token(world.clinician)))
    assert own.status_code == 200
    assert own.json["id"] == panel_id and own.json["centre"] == "BE10"
    assert patient.last_name not in own.text and patient.first_name not in own.text
    assert client.get(f"/api/v1/panels/{panel_id}", headers=bearer(factories.api_token(world.brno_clinician))).status_code == 404
    assert client.get("/api/v1/panels", headers=bearer(factories.api_token(world.researcher))).json["items"] == []


def test_without_a_valid_token_the_api_answers_401_and_a_browser_session_does_not_open_it(client, world, login, case):
    assert client.get("/api/v1/panels").status_code == 401
    assert client.get("/api/v1/panels", headers={"Authorization": "Bearer csm_made-up"}).status_code == 401
    answer = client.get("/api/v1/panels", headers={"Authorization": "Basic abc"})
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
    signed_in = login(world.clinician)
    assert signed_in.get("/api/v1/panels").status_code == 401


def test_a_token_never_opens_a_web_page(client, world):
    answer = client.get("/panels/", headers=bearer(factories.api_token(world.clinician)))
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_lists_page_with_cursors_and_a_foreign_cursor_is_refused(client, world):
    for _ in range(5):
        factories.enrol(world.clinician, world.leuven, world.ern)
    headers = bearer(factories.api_token(world.clinician))
    seen, cursor = [], None
    while True:
        answer = client.get("/api/v1/patients", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})}, headers=headers)
        assert answer.status_code == 200
        seen += [p["id"] for p in answer.json["items"]]
        cursor = answer.json["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and seen == sorted(seen)
    first = client.get("/api/v1/patients", query_string={"limit": 2}, headers=headers).json["next_cursor"]
    refused = client.get("/api/v1/panels", query_string={"cursor": first}, headers=headers)
    assert refused.status_code == 400 and "cursor" in refused.json["detail"]
    assert client.get("/api/v1/patients", query_string={"limit": 0}, headers=headers).status_code == 422


def test_a_draft_is_written_with_if_match_and_a_stale_write_loses_nothing(client, world, case):
    _patient, _panel, task_id = case
    headers = bearer(factories.api_token(world.clinician))
    read = client.get(f"/api/v1/tasks/{task_id}/draft", headers=headers)
    assert read.status_code == 200 and read.json["revision"] == 0 and read.headers["ETag"] == '"r0"'
    body = {"answers": {"nickname": "grey owl"}}
    assert client.put(f"/api/v1/tasks/{task_id}/draft", json=body, headers=headers).status_code == 428
    saved = client.put(f"/api/v1/tasks/{task_id}/draft", json=body, headers={**headers, "If-Match": '"r0"'})
    assert saved.status_code == 200 and saved.headers["ETag"] == '"r1"'
    stale = client.put(f"/api/v1/tasks/{task_id}/draft", json={"answers": {"nickname": "lost"}}, headers={**headers, "If-Match": '"r0"'})
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    draft = db.session.scalar(select(TaskDraft).where(TaskDraft.engine_task_id == task_id))
    assert draft.raw_answers == {"nickname": "grey owl"} and draft.revision == 1


def test_a_task_is_completed_with_the_forms_own_checks_and_the_cases_version(client, world, case):
    _patient, panel_id, task_id = case
    headers = bearer(factories.api_token(world.clinician))
    task = client.get(f"/api/v1/tasks/{task_id}", headers=headers)
    assert task.status_code == 200 and task.json["form"] == "consultation"
    assert "nickname" in [f["name"] for f in task.json["fields"]]
    etag = task.headers["ETag"]
    url = f"/api/v1/tasks/{task_id}/completion"
    assert client.post(url, json={"answers": factories.CONSULTATION}, headers=headers).status_code == 428
    assert client.post(url, json={"answers": factories.CONSULTATION}, headers={**headers, "If-Match": '"v999"'}).status_code == 412
    refused = client.post(url, json={"answers": {"nickname": "x"}}, headers={**headers, "If-Match": etag})
    assert refused.status_code == 422 and "request_description" in refused.json["errors"]
    done = client.post(url, json={"answers": factories.CONSULTATION}, headers={**headers, "If-Match": etag})
    assert done.status_code == 200 and done.json["subject_type"] == "panel" and done.json["subject_id"] == panel_id
    assert db.session.get(Panel, panel_id).consultation_submitted_at is not None
    consultation = client.get(f"/api/v1/panels/{panel_id}/consultation", headers=headers)
    assert consultation.json["version"] == 1 and consultation.json["answers"]["nickname"] == "blue heron"
    again = client.post(url, json={"answers": factories.CONSULTATION}, headers={**headers, "If-Match": etag})
    assert again.status_code in (404, 409)


def test_every_write_is_audited_with_the_tokens_id(client, world, case):
    _patient, _panel, task_id = case
    secret = factories.api_token(world.clinician)
    client.put(f"/api/v1/tasks/{task_id}/draft", json={"answers": {}}, headers={**bearer(secret), "If-Match": '"r0"'})
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "task.draft_saved")).one()
    token = db.session.scalars(select(ApiToken).where(ApiToken.user_id == world.clinician.id)).one()
    assert entry.details["api_token"] == token.id and entry.actor_id == world.clinician.id


def test_a_read_token_cannot_write(client, world, case):
    _patient, _panel, task_id = case
    headers = {**bearer(factories.api_token(world.clinician, scope="read")), "If-Match": '"r0"'}
    answer = client.put(f"/api/v1/tasks/{task_id}/draft", json={"answers": {}}, headers=headers)
    assert answer.status_code == 403 and "only read" in answer.json["detail"]
    assert db.session.scalar(select(TaskDraft).where(TaskDraft.engine_task_id == task_id)) is None


def test_documents_are_uploaded_checked_and_listed(client, world, case):
    _patient, panel_id, _task = case
    headers = bearer(factories.api_token(world.clinician))
    sent = client.post(
        f"/api/v1/panels/{panel_id}/documents",
        data={"title": "Biopsy report", "file": (BytesIO(factories.pdf()), "report.pdf")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert sent.status_code == 201, sent.text
    assert sent.json["media_type"] == "application/pdf" and sent.json["title"] == "Biopsy report"
    listed = client.get(f"/api/v1/panels/{panel_id}/documents", headers=headers)
    assert [d["id"] for d in listed.json["items"]] == [sent.json["id"]]
    junk = client.post(
        f"/api/v1/panels/{panel_id}/documents",
        data={"file": (BytesIO(b"MZ not a document"), "x.exe")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert junk.status_code == 422 and junk.mimetype == "application/problem+json"
    other = bearer(factories.api_token(world.brno_clinician))
    assert client.get(f"/api/v1/panels/{panel_id}/documents", headers=other).status_code == 404


def test_notifications_and_me(client, world, case):
    headers = bearer(factories.api_token(world.clinician, scope="read"))
    me = client.get("/api/v1/me", headers=headers)
    assert me.json["id"] == world.clinician.id and me.json["token_scope"] == "read"
    assert client.get("/api/v1/notifications", headers=headers).status_code == 200


def test_reports_are_for_the_report_readers(client, world, case):
    query = {"start": "2026-01-01", "end": "2026-12-31"}
    coordinator = client.get("/api/v1/reports/EuroBloodNet", query_string=query, headers=bearer(factories.api_token(world.coordinator)))
    assert coordinator.status_code == 200 and coordinator.json["sections"]
    clinician = bearer(factories.api_token(world.clinician))
    assert client.get("/api/v1/reports/EuroBloodNet", query_string=query, headers=clinician).status_code == 403
    centre = client.get("/api/v1/reports/EuroBloodNet", query_string={**query, "centre": "BE10"}, headers=clinician)
    assert centre.status_code == 200 and centre.json["centre"] == "BE10"
    backwards = client.get("/api/v1/reports/EuroBloodNet", query_string={"start": "2026-12-31", "end": "2026-01-01"}, headers=clinician)
    assert backwards.status_code == 422


def test_the_openapi_document_and_its_page_are_served_by_the_app(client, world):
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200 and document.json["openapi"].startswith("3.1")
    assert "/api/v1/tasks/{task_id}/completion" in document.json["paths"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "POST /api/v1/tasks/{task_id}/completion" in page.text
    assert "cdn" not in page.text.lower()
