"""Follow-up of a signed outcome (bpmn/follow_up.bpmn): months after the sign-off (the ERN's follow_up_months), the
patient's centre says whether the advice was followed and how the patient is, or ends the follow-up with a reason.

The process is about the outcome (subject type "outcome"), not the panel: closing the panel, which cancels the
panel's own processes, leaves it running. Effect and submission handlers run in the transaction of the service that
advanced the instance and only flush.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import CLINICAL_ROLES
from app.accounts.models import Membership
from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.ernsettings.models import ErnSettings
from app.errors import InvalidInput
from app.i18n import N_
from app.notifications.models import Message
from app.notifications.services import notify
from app.panels import timeline
from app.panels.models import FollowUp
from app.panels.models import Outcome
from app.panels.models import Panel
from app.patients import privacy
from app.tasks.models import OpenTask
from app.workflows import store
from app.workflows.models import ProcessInstance
from engine import inspection

PROCESS_ID = "follow_up"
SUBJECT_TYPE = "outcome"
FORM_KEY = "follow_up"
MAX_ROUNDS = 3  # the process has three rounds; an ERN's later months are not asked
_ROUNDS = ("first", "second", "third")
# What the panel's timeline says of an answer (its members read it: nothing about the patient beyond this).
ADVICE = {
    "fully": N_("the advice was followed fully"),
    "partly": N_("the advice was followed partly"),
    "not": N_("the advice was not followed"),
}
ENDED = {
    "died": N_("no further follow-up, the patient died"),
    "lost_to_follow_up": N_("no further follow-up, the patient was lost to follow-up"),
    "other": N_("no further follow-up is needed"),
}


def months_of(text: str) -> list[int]:
    """The ERN's follow-up months ("3,6,12") as rising whole months, at most three; what is not a positive number is
    left out."""
    months = sorted({int(part) for part in text.split(",") if part.strip().isdigit() and int(part) > 0})
    return months[:MAX_ROUNDS]


def months_after(at: datetime, months: int) -> datetime:
    """The same day and time ``months`` later (the month's last day when it is shorter: 31 Jan + 1 month = 28 Feb)."""
    month_index = at.month - 1 + months
    year, month = at.year + month_index // 12, month_index % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))


def schedule_for(signed_at: datetime, months: list[int]) -> dict[str, Any]:
    """The process's start data ``schedule``: how many rounds, and each round's instant (UTC ISO 8601) and months.
    Rounds beyond ``rounds`` repeat the last one; the process never reaches them."""
    schedule: dict[str, Any] = {"rounds": len(months)}
    for index, name in enumerate(_ROUNDS):
        round_months = months[min(index, len(months) - 1)]
        schedule[f"{name}_at"] = months_after(signed_at, round_months).isoformat()
        schedule[f"{name}_months"] = round_months
    return schedule


def start_for(outcome: Outcome, panel: Panel, actor: User | None) -> ProcessInstance | None:
    """Schedule the follow-up of a signed outcome at the ERN's months after its sign-off, for the patient's centre
    (in a guest centre, for the guest who enrolled the patient); the one already started if any, None when the ERN
    asks for no follow-up. Only flushes."""
    if outcome.signed_at is None:
        raise LookupError(f"outcome {outcome.id} is not signed off")
    started = db.session.scalar(
        select(ProcessInstance).where(
            ProcessInstance.process_id == PROCESS_ID,
            ProcessInstance.subject_type == SUBJECT_TYPE,
            ProcessInstance.subject_id == outcome.id,
        )
    )
    if started is not None:
        return started  # an outcome is signed once: one follow-up
    settings = db.session.get(ErnSettings, panel.ern_id) or ErnSettings(ern_id=panel.ern_id)
    months = months_of(settings.follow_up_months or "")
    if not months:
        return None
    assignee = panel.patient.enrolled_by if panel.centre.is_guest else None
    instance, _advance = store.start(
        PROCESS_ID,
        subject_type=SUBJECT_TYPE,
        subject_id=outcome.id,
        ern_id=panel.ern_id,
        centre_id=panel.centre_id,
        data={"outcome_id": outcome.id, "panel_id": panel.id, "schedule": schedule_for(outcome.signed_at, months)},
        actor=actor,
        assignee=assignee,
    )
    return instance


def follow_ups_of(panel_id: int) -> list[FollowUp]:
    """The panel's follow-up answers, oldest first."""
    return list(db.session.scalars(select(FollowUp).where(FollowUp.panel_id == panel_id).order_by(FollowUp.answered_at, FollowUp.id)))


def _outcome(outcome_id: Any) -> tuple[Outcome, Panel]:
    outcome = db.session.get(Outcome, int(outcome_id))
    panel = db.session.get(Panel, outcome.panel_id) if outcome is not None else None
    if outcome is None or panel is None:
        raise LookupError(f"no outcome {outcome_id} with its panel")
    return outcome, panel


def _centre_clinicians(panel: Panel) -> list[User]:
    """Who holds the follow-up's Clinician lane: the health professionals of the patient's centre in the panel's ERN."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership)
            .where(Membership.centre_id == panel.centre_id, Membership.ern_id == panel.ern_id, Membership.role.in_(CLINICAL_ROLES))
            .order_by(User.id)
            .distinct()
        )
    )


# Effects (service tasks) --------------------------------------------------------------------------


def notify_follow_up_due(instance: ProcessInstance, params: dict[str, Any], actor: User | None) -> None:
    """A follow-up is due: the patient's centre (or the guest it is assigned to) is asked how the advice worked out."""
    _outcome_row, panel = _outcome(params["outcome_id"])
    assignee = db.session.get(User, instance.assignee_id) if instance.assignee_id is not None else None
    people = [assignee] if assignee is not None else _centre_clinicians(panel)
    due = N_("Panel %(panel)s: the %(months)s-month follow-up of the outcome is due. Was the advice followed?")
    notify(people, due, "/tasks/", panel=panel.title, months=int(params["months"]))


# Submitted forms ----------------------------------------------------------------------------------


def outcome_of(instance: ProcessInstance) -> Outcome:
    outcome = db.session.get(Outcome, instance.subject_id) if instance.subject_type == SUBJECT_TYPE else None
    if outcome is None:
        raise LookupError(f"process instance {instance.id} is not about an outcome")
    return outcome


def submit_follow_up(actor: User, instance: ProcessInstance, answers: dict[str, Any]) -> dict[str, Any]:
    """The centre's answer becomes a follow-up of the panel (on its timeline, told to its lead); "no further
    follow-up" ends the process (its routing flag). What people wrote is checked by ``refuse_identifying_answers``."""
    outcome = outcome_of(instance)
    panel = db.session.get(Panel, outcome.panel_id)
    assert panel is not None
    ended = answers.get("no_further_follow_up") == "yes"
    diagnosis = "" if ended else str(answers.get("diagnosis") or "")
    codes = _codes(answers.get("diagnosis_codes")) if diagnosis == "changed" else ""
    if diagnosis == "changed" and not codes:
        message = _("The diagnosis changed: give the diagnosis now (ORPHA or ICD-10).")
        raise InvalidInput(message, {"diagnosis_codes": [message]})
    follow_up = FollowUp(
        panel_id=panel.id,
        outcome_id=outcome.id,
        months=_months_of_round(instance),
        advice_followed="" if ended else str(answers.get("advice_followed") or ""),
        why="" if ended else str(answers.get("why") or ""),
        current_status="" if ended else str(answers.get("current_status") or ""),
        diagnosis=diagnosis,
        diagnosis_codes=codes,
        ended_reason=str(answers.get("ended_reason") or "other") if ended else "",
        answered_by_id=actor.id,
        answered_at=utcnow(),
    )
    db.session.add(follow_up)
    db.session.flush()
    what = ENDED.get(follow_up.ended_reason, ENDED["other"]) if ended else ADVICE.get(follow_up.advice_followed, "")
    timeline.add(panel, "follow_up", N_("Follow-up at %(months)s months: %(what)s."), actor, months=follow_up.months, what=Message(what))
    if panel.lead_id != actor.id:
        answered = N_("the patient's centre answered the %(months)s-month follow-up of the outcome.")
        timeline.tell([panel.lead], panel, answered, months=follow_up.months)
    return {"no_further_follow_up": "yes" if ended else "no"}


def _codes(value: Any) -> str:
    """A coded answer as the row keeps it: "ORPHA:85443 — AL amyloidosis"."""
    if isinstance(value, dict):
        return f"{value.get('code', '')} — {value.get('label', '')}".strip(" —")[:500]
    return str(value or "").strip()[:500]


def _months_of_round(instance: ProcessInstance) -> int:
    """The months after the sign-off of the round being answered, from the open task (which round) and the
    instance's schedule (its months)."""
    name = db.session.scalar(select(OpenTask.name).where(OpenTask.instance_id == instance.id, OpenTask.form_key == FORM_KEY).limit(1))
    schedule = inspection.inspect(store.definition_of(instance), instance.state).data.get("schedule") or {}
    round_name = (name or "").removesuffix("_follow_up")
    return int(schedule.get(f"{round_name}_months") or 0)


# The outcome as a subject of tasks --------------------------------------------------------------------


@dataclass(frozen=True)
class FollowedOutcome:
    """What a follow-up task shows above its form: the outcome being followed up, its panel and earlier answers."""

    outcome: Outcome
    panel: Panel
    follow_ups: list[FollowUp]

    @property
    def id(self) -> int:
        return self.outcome.id


def load_outcome(outcome_id: int) -> FollowedOutcome | None:
    outcome = db.session.get(Outcome, outcome_id)
    panel = db.session.get(Panel, outcome.panel_id) if outcome is not None else None
    if outcome is None or panel is None:
        return None
    return FollowedOutcome(outcome, panel, follow_ups_of(panel.id))


def thematic_area_of(outcome_id: int) -> int | None:
    """The outcome's panel's thematic area (the coordinators' queue counts and filters by it)."""
    outcome = db.session.get(Outcome, outcome_id)
    panel = db.session.get(Panel, outcome.panel_id) if outcome is not None else None
    return panel.thematic_area_id if panel is not None else None


def refuse_identifying_answers(outcome_id: int, written: dict[str, Any]) -> None:
    """A follow-up is read by the panel's members outside the patient's centre: nothing that identifies the patient."""
    outcome = db.session.get(Outcome, outcome_id)
    panel = db.session.get(Panel, outcome.panel_id) if outcome is not None else None
    if panel is not None:
        privacy.refuse_identifying(panel.patient, written)
