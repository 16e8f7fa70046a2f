"""What a task is about, shown above its form: subject type → loader (and tasks/_subject_<type>.html).

Only the task's own subject is loaded, for someone already allowed to complete the task.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.accounts.models import AccountRequest
from app.database import db
from app.panels.models import Panel

LOADERS: dict[str, Callable[[int], Any]] = {
    "account_request": lambda subject_id: db.session.get(AccountRequest, subject_id),
    "panel": lambda subject_id: db.session.get(Panel, subject_id),
}


def load(subject_type: str, subject_id: int | None) -> Any:
    loader = LOADERS.get(subject_type)
    return loader(subject_id) if loader is not None and subject_id is not None else None
