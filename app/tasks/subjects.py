"""What a task is about, shown above its form: subject type → loader (and tasks/_subject_<type>.html).

Only the task's own subject is loaded, for someone already allowed to complete the task.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from app.accounts.models import AccountRequest
from app.database import db
from app.tasks.models import OpenTask
from app.workflows.registry import register

# Subject type → loader; the feature packages add theirs when the app is created (app/wiring.py).
LOADERS: dict[str, Callable[[int], Any]] = {"account_request": lambda subject_id: db.session.get(AccountRequest, subject_id)}


def register_loaders(loaders: Mapping[str, Callable[[int], Any]]) -> None:
    """Make known how to load each kind of subject a task may be about."""
    register(LOADERS, loaders, "loader of a subject type")


def load(subject_type: str, subject_id: int | None) -> Any:
    loader = LOADERS.get(subject_type)
    return loader(subject_id) if loader is not None and subject_id is not None else None


# Subject type → what a task about such a subject decides on (e.g. the outcome being signed), shown above its form.
MATERIALS: dict[str, Callable[[OpenTask, Any], Any]] = {}


def register_materials(materials: Mapping[str, Callable[[OpenTask, Any], Any]]) -> None:
    """Make known how to gather, for a task about each kind of subject, the material of its decision."""
    register(MATERIALS, materials, "material of a subject type's tasks")


def material(task: OpenTask, subject: Any) -> Any:
    gather = MATERIALS.get(task.subject_type)
    if gather is None or (subject is None and task.subject_id is not None):
        return None  # a subject that is gone has none; a task without one (an enrolment) may have some
    return gather(task, subject)


# Form id → what the confirmation after a submission says happened (given the task's subject id and the answers);
# None (or no entry) leaves the plain "<task>: done.".
CONFIRMATIONS: dict[str, Callable[[int | None, dict[str, Any]], str | None]] = {}


def register_confirmations(confirmations: Mapping[str, Callable[[int | None, dict[str, Any]], str | None]]) -> None:
    """Make known how the confirmation after each form names what happened ("Patient ERN-BE10-EuroBloodNet-006 enrolled.")."""
    register(CONFIRMATIONS, confirmations, "confirmation of a form")


def confirmation(form_key: str, subject_id: int | None, answers: dict[str, Any]) -> str | None:
    say = CONFIRMATIONS.get(form_key)
    return say(subject_id, answers) if say is not None else None
