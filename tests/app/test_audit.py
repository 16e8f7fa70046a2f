import csv
import io

from sqlalchemy import select

from app.accounts.models import Role
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.database import db
from app.demo.data import DEMO_PASSWORD
from tests import factories


def test_reading_a_patient_record_writes_exactly_one_entry(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    client = login(world.colleague)
    before = len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "patient.viewed")).all())
    assert client.get(f"/patients/{patient.id}").status_code == 200
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "patient.viewed")).all()
    assert len(entries) == before + 1
    assert (entries[-1].actor_id, entries[-1].target_id) == (world.colleague.id, str(patient.id))


def test_a_coordinator_browses_and_exports_what_members_of_their_ern_did(world, login):
    factories.enrol(world.clinician, world.leuven, world.ern)
    outsider_ern = factories.make_ern("ERKNet", ("Kidney",))
    outsider = factories.make_user("nephro@elsewhere.example", [(outsider_ern, None, Role.COORDINATOR)])
    client = login(world.coordinator)
    page = client.get("/audit/?action=enrolment.started")
    assert page.status_code == 200 and "hp@leuven.example" in page.text
    export = client.get("/audit/export.csv")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0][:3] == ["at (UTC)", "actor", "action"]
    assert any(row[2] == "enrolment.started" and row[1] == "hp@leuven.example" for row in rows[1:])
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "audit.exported")) is not None
    client.post("/logout")
    assert "hp@leuven.example" not in login(outsider).get("/audit/").text


def test_the_audit_log_holds_no_identifying_values(world, login):
    factories.enrol(world.clinician, world.leuven, world.ern, first_name="Zyxwvut")
    export = login(world.coordinator).get("/audit/export.csv").get_data(as_text=True)
    assert "Zyxwvut" not in export


def test_a_coordinator_and_an_administrator_download_the_whole_export_from_a_real_server(live_server):
    """A real server ends the request's contexts before the body is sent, unlike the test client."""
    with live_server.app.app_context():
        admin = factories.make_user("admin@live.example", [], "Ada", "Admin")
        admin.is_admin = True
        coordinator = db.session.scalar(select(User).where(User.email == "coordinator@demo.consilium.eu"))
        # More rows than one batch of the export: the body spans several fetches of one query.
        db.session.add_all(
            AuditEntry(actor_id=coordinator.id, action="live.probe", target_type="probe", target_id=str(n)) for n in range(1234)
        )
        db.session.commit()

    for email, password in (("coordinator@demo.consilium.eu", DEMO_PASSWORD), ("admin@live.example", factories.PASSWORD)):
        response = live_server.signed_in(email, password).get(f"{live_server.url}/audit/export.csv", timeout=60)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[0][:3] == ["at (UTC)", "actor", "action"]
        probes = [row for row in rows[1:] if row[2] == "live.probe"]
        assert sorted(int(row[4]) for row in probes) == list(range(1234))
        assert {row[1] for row in probes} == {"coordinator@demo.consilium.eu"}
        assert rows[-1][2] == "audit.exported" and rows[-1][1] == email
