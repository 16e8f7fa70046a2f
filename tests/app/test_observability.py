"""Health, readiness, metrics and logs: what an operator sees, and that it carries nothing about patients."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask.logging import default_handler

from app.demo.data import PATIENTS
from app.observability import logs
from app.observability.metrics import REGISTRY
from tests import factories


@pytest.fixture
def json_log(app):
    """Every log line of the test, as the JSON lines a server writes with LOG_FORMAT json."""
    stream = io.StringIO()
    handler = logs.json_handler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def metrics_token(app):
    app.config["METRICS_TOKEN"] = "scrape-secret"
    yield "scrape-secret"
    app.config["METRICS_TOKEN"] = ""


def test_healthz_answers_ok_to_anyone_without_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"


def test_readyz_lists_its_checks_and_nothing_else(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "storage": "ok"}}


def test_readyz_is_503_when_files_cannot_be_stored_and_does_not_say_where(app, client, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    storage = app.config["STORAGE_DIR"]
    app.config["STORAGE_DIR"] = str(blocker / "storage")
    try:
        response = client.get("/readyz")
    finally:
        app.config["STORAGE_DIR"] = storage
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "ok", "migrations": "ok", "storage": "failing"}
    assert str(tmp_path) not in response.text


def test_metrics_are_off_without_a_token(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_need_the_bearer_token(client, metrics_token):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    client.get("/healthz?q=Zyxwvut")
    response = client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
    assert response.status_code == 200
    text = response.text
    assert 'consilium_request_duration_seconds_count{endpoint="observability.healthz",method="GET",status="200"}' in text
    for gauge in ("consilium_outbox_queued", "consilium_outbox_oldest_age_seconds", "consilium_timer_lag_seconds"):
        assert f"\n{gauge} " in text
    assert "Zyxwvut" not in text and "/healthz" not in text  # routes by endpoint, never by URL


def test_a_completed_task_and_a_refused_sign_in_are_counted(world, login, client):
    completed = REGISTRY.get_sample_value("consilium_task_completions_total", {"process": "enrolment"}) or 0
    refused = REGISTRY.get_sample_value("consilium_sign_in_failures_total") or 0

    client.post("/login", data={"email": world.clinician.email, "password": "not the password"})
    login(world.clinician)
    form_url = client.post("/patients/enrol", data={"centre_id": world.leuven.id, "ern_id": world.ern.id}).headers["Location"]
    assert client.post(form_url, data=factories.enrolment_answers()).status_code == 302

    assert REGISTRY.get_sample_value("consilium_task_completions_total", {"process": "enrolment"}) == completed + 1
    assert REGISTRY.get_sample_value("consilium_sign_in_failures_total") == refused + 1


def test_a_request_keeps_a_well_formed_id_and_gets_one_otherwise(client):
    assert client.get("/healthz", headers={"X-Request-ID": "proxy-42.a"}).headers["X-Request-ID"] == "proxy-42.a"
    made = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"}).headers["X-Request-ID"]
    assert len(made) == 32 and made.isalnum()
    assert client.get("/healthz").headers["X-Request-ID"] != made


def _spellings(day_month_year: str) -> set[str]:
    day, month, year = day_month_year.split("/")
    return {day_month_year, f"{year}-{month}-{day}"}


def test_logs_of_a_patient_journey_carry_no_names_or_birth_dates(world, login, client, json_log):
    login(world.clinician)
    for _centre, _ern, _user, first, last, gender, born, _registry in PATIENTS[:2]:
        form_url = client.post("/patients/enrol", data={"centre_id": world.leuven.id, "ern_id": world.ern.id}).headers["Location"]
        typo = factories.enrolment_answers(first_name=first, last_name=last, gender=gender, date_of_birth=born.replace("/", "-"))
        client.post(form_url, data=typo)  # refused or not, what was typed must not be logged
        enrolled = client.post(
            form_url, data=factories.enrolment_answers(first_name=first, last_name=last, gender=gender, date_of_birth=born)
        )
        client.post("/patients/search", data={"centre": "BE10", "q": last})
    listing = client.get("/patients/?centre=BE10")
    record = client.get(enrolled.headers["Location"])
    assert "Dupré" in listing.text and record.status_code == 200
    logging.getLogger("app").exception("caught", exc_info=ValueError("Addel Roger 05/02/1976"))

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    requests = [line for line in lines if line["logger"] == "consilium.request"]
    assert {"patients.search", "patients.index", "patients.show"} <= {line["endpoint"] for line in requests}
    assert all(line["request_id"] and isinstance(line["duration_ms"], float) and line["status"] for line in requests)
    text = json_log.getvalue()
    for _centre, _ern, _user, first, last, _gender, born, _registry in PATIENTS:
        for value in (first, last, *_spellings(born)):
            assert value not in text and json.dumps(value)[1:-1] not in text, value


def test_json_logging_is_set_up_once_however_many_apps_are_built(app):
    root = logging.getLogger()
    saved = list(root.handlers), root.level, list(app.logger.handlers), app.config["LOG_FORMAT"]
    app.config["LOG_FORMAT"] = "json"
    try:
        logs.configure(app)
        logs.configure(app)
        assert [handler.get_name() for handler in root.handlers].count("consilium-json") == 1
        assert default_handler not in app.logger.handlers  # else each line of the app would be written twice
    finally:
        root.handlers[:], app.logger.handlers[:], app.config["LOG_FORMAT"] = saved[0], saved[2], saved[3]
        root.setLevel(saved[1])
