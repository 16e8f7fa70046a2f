import pytest
from sqlalchemy import text

from app import create_app
from app.database import db
from app.logsafe import describe
from app.logsafe import safe_traceback
from app.patients.models import Patient


def test_database_errors_never_carry_the_bound_values(world):
    patient = Patient(
        centre_id=world.leuven.id,
        ern_id=world.ern.id,
        first_name="Zyxwvut",
        last_name="Qponmlk",
        gender="male",
        date_of_birth=None,
        enrolled_on=None,
        consent_care=True,
        consent_care_date=None,
    )
    db.session.add(patient)
    with pytest.raises(Exception) as refused:
        db.session.flush()
    db.session.rollback()
    assert "Zyxwvut" not in describe(refused.value) and "Qponmlk" not in describe(refused.value)
    assert "Zyxwvut" not in safe_traceback(refused.value)


def test_unhandled_errors_are_logged_without_values(app, caplog):
    from sqlalchemy.exc import IntegrityError

    error = IntegrityError("INSERT INTO patients ...", {"first_name": "Zyxwvut"}, Exception("Failing row contains (Zyxwvut)"))
    with app.test_request_context("/patients/"):
        try:
            raise error
        except IntegrityError:
            import sys

            app.log_exception(sys.exc_info())
    assert "IntegrityError" in caplog.text or "Exception" in caplog.text
    assert "Zyxwvut" not in caplog.text


def test_the_development_key_is_refused_outside_demo_mode(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}", "DEMO_MODE": False, "PROPAGATE_EXCEPTIONS": True})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        app.test_client().get("/login")
    with app.app_context():
        db.session.execute(text("select 1"))
        db.engine.dispose()


def test_demo_data_is_refused_outside_demo_mode(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}", "DEMO_MODE": False, "SECRET_KEY": "s"})
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert "training environment" in result.output
    with app.app_context():
        db.engine.dispose()
