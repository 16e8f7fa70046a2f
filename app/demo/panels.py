"""Demo panels in every phase of their life, driven through the real processes (SPEC §12)."""

from __future__ import annotations

from datetime import date
from datetime import time
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.accounts.models import User
from app.audit.services import SYSTEM
from app.database import db
from app.database import utcnow
from app.demo.imaging import attach_phantom
from app.documents.stores import storage_for
from app.meetings import services as meeting_services
from app.panels import services as panel_services
from app.panels import steps
from app.panels.models import ClosingReason
from app.panels.models import ExpertGroup
from app.panels.models import Panel
from app.patients.models import Patient
from app.tasks import completion
from app.tasks.answers import clean_answers
from app.tasks.form_definitions import FormDefinition
from app.tasks.forms import definition_for
from app.tasks.models import OpenTask
from app.tasks.models import TaskDraft

OUTCOME = {
    "case_question": "Second-line treatment after relapse?",
    "recommendations": "Switch to the second-line regimen discussed; re-stage after three cycles.",
    "diagnosis_codes": "ORPHA:85443",
    "follow_up": "Panel review of the re-staging results in three months.",
}


def _seed_meeting(lead: User, panel: Panel) -> None:
    """A video meeting of the panel in three days, at 14:00 in Paris, where the lead works; her members are invited."""
    when = meeting_services.MeetingTime((utcnow() + timedelta(days=3)).date(), time(14), 45, "Europe/Paris")  # ahead of the clock
    agenda = "1. Echocardiography report\n2. NT-proBNP and troponin trend\n3. First-line treatment"
    asked = meeting_services.MeetingRequest(
        "Cardiac staging before treatment", agenda, when, join_url="https://meet.jit.si/consilium-demo-staging"
    )
    meeting_services.add_meeting(lead, panel, asked, SYSTEM)


class _Seeder:
    def __init__(self, users: dict[str, User], forms: dict[str, FormDefinition], today: date) -> None:
        self.users, self.forms, self.today = users, forms, today

    def user(self, key: str) -> User:
        return self.users[f"{key}@demo.consilium.eu"]

    def task(self, panel: Panel, name: str, assignee: User | None = None) -> OpenTask:
        query = select(OpenTask).where(OpenTask.subject_type == "panel", OpenTask.subject_id == panel.id, OpenTask.name == name)
        if assignee is not None:
            query = query.where(OpenTask.assignee_id == assignee.id)
        task = db.session.scalar(query.limit(1))
        if task is None:
            raise LookupError(f"demo panel {panel.id}: no open task {name}")
        return task

    def complete(self, actor: User, panel: Panel, name: str, raw: dict[str, Any], assignee: User | None = None) -> None:
        task = self.task(panel, name, assignee)
        form = definition_for(task, self.forms)
        answers, errors = clean_answers(form, {f.name: raw.get(f.name, "") for f in form.fields}, self.today)
        if errors:
            raise ValueError(f"demo panel {panel.id}, {name}: {errors}")
        completion.advance(actor, task, form, answers)

    def open(self, lead: str, cpms_id: str, area: str, nickname: str, *, urgent: bool = False, diagnosis: str = "") -> Panel:
        actor = self.user(lead)
        patient = db.session.scalar(select(Patient).where(Patient.cpms_id == cpms_id))
        assert patient is not None, cpms_id
        area_id = next(a.id for a in patient.ern.thematic_areas if a.name == area)
        panel, _task_id = panel_services.create_panel(actor, patient, area_id, previous=None)
        consultation = {
            "nickname": nickname,
            "urgent": "yes" if urgent else "no",
            "repeat_panel": "no",
            "request_description": "Relapse after first-line treatment. Which second-line option fits this patient?",
            "episode_description": "Progressive disease at the three-month control.",
        }
        if diagnosis:  # a coded diagnosis, as the research search and the reports count them
            consultation |= {"diagnosis": diagnosis, "diagnosis_status": "confirmed"}
        self.complete(actor, panel, "fill_consultation", consultation)
        return panel

    def invite(self, panel: Panel, *keys: str) -> None:
        assert panel.lead is not None
        panel_services.invite(panel.lead, panel, [self.user(k).id for k in keys])

    def answer(self, panel: Panel, key: str, answer: str, reason: str = "") -> None:
        member = self.user(key)
        self.complete(member, panel, "answer_invitation", {"answer": answer, "reason": reason}, assignee=member)

    def contribute(self, panel: Panel, key: str, text: str) -> None:
        member = self.user(key)
        self.complete(member, panel, "record_contribution", {"text": text, "hours": "1", "minutes": "15"}, assignee=member)

    def to_review(self, panel: Panel) -> None:
        assert panel.lead is not None
        self.complete(panel.lead, panel, "select_experts", {})
        self.complete(panel.lead, panel, "draft_outcome", OUTCOME)

    def sign_off(self, panel: Panel) -> None:
        assert panel.lead is not None
        self.complete(panel.lead, panel, "sign_off_outcome", {"decision": "sign_off", "sign_off_early": ["yes"]})


def seed_panels(users: dict[str, User], forms: dict[str, FormDefinition], today: date) -> None:
    """One panel per phase: creation (with a draft), selection (invitations waiting, co-ordinator
    assistance asked), assessment (a data request open), review, signed off, closed and released,
    archived."""
    seed = _Seeder(users, forms, today)
    hp1 = seed.user("hp1")

    patient = db.session.scalar(select(Patient).where(Patient.cpms_id == "ERN-BE10-EuroBloodNet-002"))
    assert patient is not None
    amyloidosis = next(a.id for a in patient.ern.thematic_areas if a.name == "Amyloidosis")
    creation, task_id = panel_services.create_panel(hp1, patient, amyloidosis, previous=None)
    db.session.add(
        TaskDraft(engine_task_id=task_id, instance_id=creation.instance_id, raw_answers={"nickname": "amber fox"}, saved_by_id=hp1.id)
    )

    selection = seed.open("hp1", "ERN-BE10-EuroBloodNet-001", "Rare lymphomas", "silver birch", urgent=True)
    seed.invite(selection, "hp2", "guest")
    panel_services.start_for_panel("coordinator_assistance", selection, {"panel_id": selection.id}, hp1)

    assessment = seed.open("hp3", "ERN-FR08-EuroBloodNet-001", "Amyloidosis", "quiet harbour", diagnosis="ORPHA:85443")
    seed.invite(assessment, "hp1", "hp2")
    seed.answer(assessment, "hp1", "accept")
    seed.answer(assessment, "hp2", "decline", "Outside my field.")
    seed.contribute(assessment, "hp1", "Cardiac staging first: NT-proBNP and troponin before any decision.")
    seed.complete(seed.user("hp3"), assessment, "select_experts", {})
    panel_services.start_data_request(seed.user("hp1"), assessment, "Please share the latest echocardiography report.")
    _seed_meeting(seed.user("hp3"), assessment)

    review = seed.open("hp2", "ERN-CZ08-EuroBloodNet-001", "Rare lymphomas", "north wind")
    seed.invite(review, "hp1")
    seed.answer(review, "hp1", "accept")
    seed.contribute(review, "hp1", "Agree with a second-line regimen; consider a clinical trial.")
    attach_phantom(seed.user("hp2"), review.id, storage_for(current_app.config), int(current_app.config["MAX_FILE_BYTES"]))
    seed.to_review(review)

    signed = seed.open("hp4", "ERN-IT10-EuroBloodNet-001", "Amyloidosis", "lemon tree", diagnosis="ORPHA:85443")
    seed.invite(signed, "hp3")
    seed.answer(signed, "hp3", "accept")
    seed.contribute(signed, "hp3", "Typical AL amyloidosis; treat as discussed.")
    seed.to_review(signed)
    seed.sign_off(signed)

    closed = seed.open("hp5", "ERN-BE10-EuroBloodNet-003", "Rare red blood cell disorders", "red kite", diagnosis="ORPHA:232")
    seed.invite(closed, "hp1")
    seed.answer(closed, "hp1", "accept")
    seed.contribute(closed, "hp1", "Genetic testing confirms the diagnosis; transfusion plan as proposed.")
    seed.to_review(closed)
    seed.sign_off(closed)
    seed.complete(seed.user("hp5"), closed, "close_panel", {"reason": "advice_given"})
    panel_services.release(seed.user("hp5"), closed)

    ebn = selection.ern
    db.session.add(ExpertGroup(ern_id=ebn.id, name="Lymphoma experts", members=[seed.user("hp2"), seed.user("hp5"), seed.user("guest")]))

    archived = seed.open("hp4", "ERN-IT10-VASCERN-001", "Medium Sized Arteries (MSA-WG)", "old bridge")
    archived.closing_reason = ClosingReason.DUPLICATE
    steps.close(archived, archived.lead)
    archived.archived = True
    db.session.flush()
