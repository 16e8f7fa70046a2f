from pathlib import Path

from sqlalchemy import select

from app.database import db
from app.patients.models import Patient
from tests import bpmn_builder as bpmn

ROOT = Path(__file__).resolve().parents[2]


def test_validate_accepts_the_shipped_definitions(app):
    result = app.test_cli_runner().invoke(args=["bpmn", "validate", *map(str, sorted((ROOT / "bpmn").glob("*.bpmn")))])
    assert result.exit_code == 0, result.output
    assert "enrolment.bpmn: ok" in result.output


def test_validate_names_each_bad_element_and_exits_1(app, tmp_path):
    unsafe = tmp_path / "checked.bpmn"
    unsafe.write_bytes(bpmn.gateway_process("__import__('os').system('id')"))
    unknown_form = tmp_path / "single.bpmn"
    unknown_form.write_bytes(bpmn.single_task_process(bpmn.user_task("task", form="nope")))
    unknown_handler = tmp_path / "handler.bpmn"
    unknown_handler.write_bytes(bpmn.single_task_process(bpmn.service_task("task", "rm_rf"), process_id="handler"))
    result = app.test_cli_runner().invoke(args=["bpmn", "validate", str(unsafe), str(unknown_form), str(unknown_handler)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith(f"{unsafe}: to_yes: unsafe condition expression") for line in lines)
    assert f"{unknown_form}: task: unknown form 'nope' (no forms/nope.json)" in lines
    assert f"{unknown_handler}: task: unknown handler 'rm_rf'" in lines


def test_validate_reports_an_unreadable_file(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["bpmn", "validate", str(tmp_path / "missing.bpmn")])
    assert result.exit_code == 1
    assert "cannot read" in result.output


def test_demo_seeds_patients_through_the_enrolment_process(app, database):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "hp1@demo.consilium.eu" in result.output and "consilium-demo" in result.output
    first = db.session.scalar(select(Patient).where(Patient.cpms_id == "ERN-BE10-EuroBloodNet-001"))
    assert first is not None and first.first_name == "Roger"
    again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0
    assert db.session.scalar(select(Patient).where(Patient.cpms_id == "ERN-BE10-EuroBloodNet-001")).first_name == "Roger"
    count = len(db.session.scalars(select(Patient)).all())
    assert app.test_cli_runner().invoke(args=["demo", "--if-empty"]).exit_code == 0
    assert len(db.session.scalars(select(Patient)).all()) == count


def test_create_admin_prints_a_single_use_password_link(app, database):
    from app.accounts.models import User

    result = app.test_cli_runner().invoke(args=["accounts", "create-admin", "Admin@Hospital.example"])
    assert result.exit_code == 0, result.output
    assert "/account/password/" in result.output
    admin = db.session.scalar(select(User).where(User.email == "admin@hospital.example"))
    assert admin.is_admin and admin.totp_secret is None
    again = app.test_cli_runner().invoke(args=["accounts", "create-admin", "admin@hospital.example"])
    assert again.exit_code != 0 and "exists already" in again.output


def test_migrating_a_process_that_is_not_deployed_says_so(app):
    result = app.test_cli_runner().invoke(args=["bpmn", "migrate", "no_such_process", "--dry-run"])
    assert result.exit_code != 0
    assert "process 'no_such_process' is not deployed" in result.output
