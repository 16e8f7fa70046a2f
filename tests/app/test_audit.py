import csv
import io

from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.database import db
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
