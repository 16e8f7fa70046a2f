"""Plain functions that build test data with safe defaults."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask import current_app
from PIL import Image
from sqlalchemy import select

from app.accounts.models import Membership
from app.accounts.models import Role
from app.accounts.models import User
from app.accounts.passwords import hash_password
from app.api import tokens
from app.api.models import ApiToken
from app.audit.services import RequestInfo
from app.database import db
from app.database import utcnow
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.organisations.models import ThematicArea
from app.patients import services as patient_services
from app.patients.models import Patient
from app.tasks import services as task_services
from app.tasks.form_definitions import load_form_definitions
from app.workflows.models import ProcessDefinition

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)
DATA = Path(__file__).resolve().parent / "data"
ORIGIN = RequestInfo("127.0.0.1", "pytest")


@dataclass
class World:
    ern: Ern
    other_ern: Ern
    leuven: Centre
    brno: Centre
    clinician: User
    colleague: User
    brno_clinician: User
    coordinator: User
    researcher: User


def make_ern(code: str = "EuroBloodNet", areas: tuple[str, ...] = ("Amyloidosis", "Rare lymphomas")) -> Ern:
    ern = Ern(code=code, name=f"{code} network")
    ern.thematic_areas = [ThematicArea(name=name) for name in areas]
    db.session.add(ern)
    db.session.flush()
    return ern


def make_centre(code: str, erns: list[Ern], name: str | None = None) -> Centre:
    centre = Centre(code=code, name=name or f"Hospital {code}", country=code[:2], erns=erns)
    db.session.add(centre)
    db.session.flush()
    return centre


def make_user(
    email: str, memberships: list[tuple[Ern, Centre | None, Role]], first: str = "Test", last: str = "User", *, training: bool = True
) -> User:
    """A user; by default a training account (password only in demo mode), as most tests need."""
    user = User(
        email=email,
        first_name=first,
        last_name=last,
        specialisation="Haematologist",
        password_hash=_PASSWORD_HASH,
        training_account=training,
    )
    user.memberships = [Membership(ern=ern, centre=centre, role=role) for ern, centre, role in memberships]
    db.session.add(user)
    db.session.flush()
    return user


def make_world() -> World:
    ern = make_ern()
    other = make_ern("VASCERN", ("Medium Sized Arteries (MSA-WG)",))
    leuven = make_centre("BE10", [ern, other], "University Hospital Leuven")
    brno = make_centre("CZ08", [ern], "University Hospital Brno")
    world = World(
        ern=ern,
        other_ern=other,
        leuven=leuven,
        brno=brno,
        clinician=make_user("hp@leuven.example", [(ern, leuven, Role.MEMBER_EXPERT)], "Hanna", "Peeters"),
        colleague=make_user("colleague@leuven.example", [(ern, leuven, Role.MEMBER_EXPERT)], "Elise", "Janssens"),
        brno_clinician=make_user("hp@brno.example", [(ern, brno, Role.MEMBER_EXPERT)], "Jan", "Novak"),
        coordinator=make_user("coordinator@ern.example", [(ern, None, Role.COORDINATOR)], "Carla", "Coordinator"),
        researcher=make_user("researcher@ern.example", [(ern, None, Role.RESEARCHER)], "Rui", "Researcher"),
    )
    db.session.commit()
    return world


def enrolment_answers(**changes: Any) -> dict[str, Any]:
    answers = {
        "enrolled_on": "01/03/2026",
        "consent_care": "yes",
        "consent_care_date": "01/03/2026",
        "consent_registry": "no",
        "registry_name": "",
        "consent_registry_date": "01/03/2026",
        "consent_research": "",
        "consent_research_date": "",
        "first_name": "Roger",
        "last_name": "Addel",
        "gender": "male",
        "date_of_birth": "05/02/1976",
        "record_label": "",
    }
    answers.update(changes)
    return answers


def forms() -> dict:
    return load_form_definitions(current_app.config["FORMS_DIR"])


def start_enrolment(user: User, centre: Centre, ern: Ern) -> str:
    return patient_services.start_enrolment(user, centre.id, ern.id, ORIGIN)


def enrol(user: User, centre: Centre, ern: Ern, **changes: Any) -> Patient:
    """Enrol a patient through the enrolment process, as the user would."""
    task_id = start_enrolment(user, centre, ern)
    completed = task_services.complete_task(user, task_id, enrolment_answers(**changes), forms(), date(2026, 11, 21), ORIGIN)
    patient = db.session.get(Patient, completed.subject_id)
    assert patient is not None
    return patient


def deploy_test_definition(app: Flask, process_id: str) -> ProcessDefinition:
    from app.workflows.services import deploy_definition

    existing = db.session.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id))
    if existing is not None:
        return existing
    xml = (DATA / f"{process_id}.bpmn").read_bytes()
    return deploy_definition(xml, process_id, app.config["FORMS_DIR"], ern_id=None, actor=None)


def give_areas(user: User, ern: Ern, *names: str) -> None:
    """Set a user's thematic-area preferences (all of the ERN's areas when no name is given)."""
    user.thematic_areas = [area for area in ern.thematic_areas if not names or area.name in names]
    db.session.commit()


CONSULTATION = {"nickname": "blue heron", "urgent": "no", "repeat_panel": "no", "request_description": "Which treatment next?"}


def open_panel(user: User, patient: Patient, area: str = "Amyloidosis", *, submit: bool = True, **changes: Any) -> int:
    """A panel on the patient, opened by ``user``; with ``submit``, its consultation form is submitted."""
    from app.panels import services as panel_services

    area_id = next(a.id for a in patient.ern.thematic_areas if a.name == area)
    panel_id, task_id = panel_services.open_panel(user, patient.id, area_id, ORIGIN)
    if submit:
        complete(user, task_id, {**CONSULTATION, **changes})
    return panel_id


def complete(user: User, task_id: str, answers: dict[str, Any]) -> task_services.Completed:
    return task_services.complete_task(user, task_id, answers, forms(), date(2026, 11, 21), ORIGIN)


def task_of(user: User, name: str) -> str:
    """The engine task id of the user's open task called ``name`` (exactly one must wait)."""
    from app.tasks import queries as task_queries

    found = [t.engine_task_id for t in task_queries.open_tasks_for(user) if t.name == name]
    assert len(found) == 1, f"{user.email} has {len(found)} open '{name}' tasks"
    return found[0]


def attach(user: User, panel_id: int, content: str | bytes, where_patient: int | None = None) -> int:
    """Attach a file (one of pydicom's test files by name, or bytes) to a panel, or to a patient's record."""
    from io import BytesIO

    from pydicom.data import get_testdata_file

    from app.documents import services as document_services
    from app.documents.stores import storage_for

    data = Path(get_testdata_file(content)).read_bytes() if isinstance(content, str) else content
    where = document_services.Where(patient_id=where_patient) if where_patient else document_services.Where(panel_id=panel_id)
    storage = storage_for(current_app.config)
    name = content if isinstance(content, str) else "file"
    document = document_services.attach(user, where, BytesIO(data), name, "document", storage, 50 * 1024 * 1024, ORIGIN)
    return int(document.id)


def pdf(pages: int = 1, padding: int = 0) -> bytes:
    """A small valid PDF saying "Page n" on each page; ``padding`` bytes of comment make it larger."""
    font = 3 + 2 * pages
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = b" ".join(b"%d 0 R" % (3 + 2 * n) for n in range(pages))
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages))
    for n in range(pages):
        content = b"BT /F1 36 Tf 72 700 Td (Page %d) Tj ET" % (n + 1)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
            % (font, 4 + 2 * n)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n" + (b"%" + b"x" * padding + b"\n" if padding else b""))
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def png(size: int = 8) -> bytes:
    """A small valid PNG (a grey square)."""
    out = io.BytesIO()
    Image.new("L", (size, size), 128).save(out, "PNG")
    return out.getvalue()


def api_token(user: User, scope: str = "write", days: int = 30) -> str:
    """A personal access token of ``user`` (made directly: creating one through the page needs a fresh TOTP code,
    which tests/api/test_tokens.py goes through)."""
    secret = tokens.PREFIX + uuid.uuid4().hex + uuid.uuid4().hex
    db.session.add(
        ApiToken(
            user_id=user.id,
            name="test",
            token_hash=tokens.hash_of(secret),
            prefix=secret[:8],
            scope=scope,
            expires_at=utcnow() + timedelta(days=days),
        )
    )
    db.session.commit()
    return secret
