"""What the queue page shows in each row, worked out in one pass for the page.

A page shows 25 rows of about ten cells: looked up cell by cell in the template (a translation per
role and check box, two dates, two links) they cost more than choosing the rows among 50,000. Here
each distinct role is translated once and the links are built from one address each; task labels
come from definitions and are shown as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from app.i18n import catalogue_gettext
from app.i18n import display_datetime
from app.queues.queries import Row

_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


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
    claimable: bool
    waiting_since: str
    due: str
    overdue: bool
    reassign_url: str
    claim_url: str


def shown_rows(rows: list[Row]) -> list[ShownRow]:
    gettext = catalogue_gettext()
    anyone: dict[str, str] = {}
    select_label = gettext("Select %(task)s (%(subject)s)")
    reassign_url = url_for("queues.reassign", task_id=_PLACEHOLDER)
    claim_url = url_for("queues.claim", task_id=_PLACEHOLDER)
    shown = []
    for row in rows:
        assignee = row.assignee
        if not row.assignee_id:
            assignee = anyone.get(row.role) or anyone.setdefault(
                row.role, gettext("anyone with the role: %(role)s") % {"role": row.role.replace("_", " ")}
            )
        shown.append(
            ShownRow(
                task_id=row.engine_task_id,
                process=row.process_id,
                label=row.label,
                select_label=select_label % {"task": row.label, "subject": row.subject},
                subject=row.subject,
                area=row.area,
                centre=row.centre,
                assignee=assignee,
                claimable=not row.assignee_id,
                waiting_since=display_datetime(row.created_at),
                due=display_datetime(row.due),
                overdue=row.overdue,
                reassign_url=reassign_url.replace(_PLACEHOLDER, row.engine_task_id),
                claim_url=claim_url.replace(_PLACEHOLDER, row.engine_task_id),
            )
        )
    return shown
