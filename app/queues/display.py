"""What the queue page shows in each row, worked out in one pass for the page; the reassign page's words.

A page shows 25 rows of about ten cells: looked up cell by cell in the template (a translation per
role and check box, two dates, two links) they cost more than choosing the rows among 50,000. Here
each distinct process and role is named once and the links are built from one address each; task
labels come from definitions and are shown as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from flask import url_for

from app.accounts.models import User
from app.i18n import catalogue_gettext
from app.i18n import display_datetime
from app.queues.queries import Row
from app.queues.services import PERSONAL_ROLES
from app.tasks.models import OpenTask

_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
Gettext = Callable[[str], str]


def _process_names(gettext: Gettext) -> dict[str, str]:
    """The shipped processes by the names their definitions give them."""
    return {
        "panel": gettext("Expert panel"),
        "invitation": gettext("Panel invitation"),
        "data_request": gettext("Additional data request"),
        "coordinator_assistance": gettext("Co-ordinator assistance"),
        "enrolment": gettext("Enrolment"),
        "account_request": gettext("Account request"),
        "transfer": gettext("Patient transfer"),
    }


def process_name(process_id: str) -> str:
    """A process by its name (one an ERN added: its id in words)."""
    return _process_names(catalogue_gettext()).get(process_id) or process_id.replace("_", " ").capitalize()


def _pools(gettext: Gettext) -> dict[str, str]:
    """Who may take a task nobody holds, by the role of its lane."""
    return {
        "clinician": gettext("the clinicians of the patient's centre"),
        "panel_lead": gettext("the panel's lead"),
        "coordinator": gettext("the ERN's coordinators"),
        "invitee": gettext("the invited expert"),
    }


def pool(role: str) -> str:
    return _pools(catalogue_gettext()).get(role) or role.replace("_", " ")


def _role_names(gettext: Gettext) -> dict[str, str]:
    return {
        "member_expert": gettext("Member expert"),
        "guest_expert": gettext("Guest expert"),
        "coordinator": gettext("Coordinator"),
        "panel_manager": gettext("Panel manager"),
        "researcher": gettext("Researcher"),
        "ern_manager": gettext("ERN manager"),
        "dispatcher": gettext("Dispatcher"),
        "assistant": gettext("Assistant"),
    }


def role_name(role: str) -> str:
    """A membership's role as users say it ("ERN manager")."""
    return _role_names(catalogue_gettext()).get(str(role)) or str(role).replace("_", " ")


@dataclass(slots=True)
class ShownRow:
    task_id: str
    process: str
    label: str
    select_label: str  # the check box's accessible name
    subject: str
    area: str
    centre: str
    assignee: str  # the person, or who may take it
    claimable: bool  # the viewer may take it
    reassignable: bool  # not one person's by nature (an invitation)
    waiting_since: str
    due: str
    overdue: bool
    reassign_url: str
    claim_url: str


def shown_rows(rows: list[Row], takeable: Collection[str]) -> list[ShownRow]:
    """The page's rows; ``takeable``: the tasks the viewer may take themselves."""
    gettext = catalogue_gettext()
    processes = _process_names(gettext)
    pools = _pools(gettext)
    waiting: dict[str, str] = {}
    not_assigned = gettext("Not assigned: for %(people)s")
    select_label = gettext("Select %(task)s (%(subject)s)")
    reassign_url = url_for("queues.reassign", task_id=_PLACEHOLDER)
    claim_url = url_for("queues.claim", task_id=_PLACEHOLDER)
    shown = []
    for row in rows:
        assignee = row.assignee
        if not row.assignee_id:
            assignee = waiting.get(row.role) or waiting.setdefault(
                row.role, not_assigned % {"people": pools.get(row.role) or row.role.replace("_", " ")}
            )
        shown.append(
            ShownRow(
                task_id=row.engine_task_id,
                process=processes.get(row.process_id) or process_name(row.process_id),
                label=row.label,
                select_label=select_label % {"task": row.label, "subject": row.subject},
                subject=row.subject,
                area=row.area,
                centre=row.centre,
                assignee=assignee,
                claimable=not row.assignee_id and row.engine_task_id in takeable,
                reassignable=row.role not in PERSONAL_ROLES,
                waiting_since=display_datetime(row.created_at),
                due=display_datetime(row.due),
                overdue=row.overdue,
                reassign_url=reassign_url.replace(_PLACEHOLDER, row.engine_task_id),
                claim_url=claim_url.replace(_PLACEHOLDER, row.engine_task_id),
            )
        )
    return shown


def process_choices(counts: list[tuple[Any, str, int]]) -> list[tuple[Any, str, int]]:
    """The process filter's options, each process by its name."""
    names = _process_names(catalogue_gettext())
    return [(value, names.get(value) or process_name(value), count) for value, _label, count in counts]


@dataclass(frozen=True)
class Candidate:
    user: User
    specialisation: str  # what they do (unless it only repeats their role)
    where: str  # their hospitals in the task's ERN, else their roles there


def candidates(users: list[User], task: OpenTask) -> list[Candidate]:
    """The people a task may be given to, each with where they work in the task's ERN."""
    roles = _role_names(catalogue_gettext())
    shown = []
    for user in users:
        mine = [m for m in user.memberships if m.ern_id == task.ern_id]
        hospitals = sorted({m.centre.display_name for m in mine if m.centre is not None})
        where = hospitals or sorted({roles.get(m.role.value, m.role.value) for m in mine})
        specialisation = "" if user.specialisation.casefold() in {place.casefold() for place in where} else user.specialisation
        shown.append(Candidate(user, specialisation, ", ".join(where)))
    return shown
