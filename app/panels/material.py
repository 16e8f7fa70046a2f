"""What a person decides on when a panel task is theirs, gathered for the task's page: the outcome being signed with
its review, the question being answered, the case being advised on, the experts who could be invited.

Read-only queries for someone already allowed to complete the task (the task page checked that).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.formdesign.queries import form_for_version
from app.panels import queries
from app.panels.models import Contribution
from app.panels.models import DataRequest
from app.panels.models import ExpertGroup
from app.panels.models import Outcome
from app.panels.models import Panel
from app.panels.models import PanelMember
from app.panels.models import TimelineEntry
from app.tasks.form_definitions import FormDefinition
from app.tasks.form_definitions import in_language
from app.tasks.form_definitions import load_form_definitions
from app.tasks.models import OpenTask

# Tasks whose page shows the case being advised on (consultation, documents, contributions so far).
ADVISING = ("invitation_reply", "contribution")


@dataclass(frozen=True)
class Review:
    """The members' review of a draft outcome: comments since it was drafted, who has reviewed, until when."""

    comments: list[TimelineEntry]
    reviewers: list[User]
    waiting_for: list[User]
    window_ends: datetime | None

    @property
    def window_open(self) -> bool:
        return self.window_ends is not None and utcnow() < self.window_ends

    @property
    def may_sign_without_confirming(self) -> bool:
        return not self.window_open or not self.waiting_for


@dataclass
class Material:
    """Everything a panel task's page may show; each kind of task fills what its decision needs."""

    form_key: str
    panel: Panel
    outcome: Outcome | None = None
    review: Review | None = None
    data_request: DataRequest | None = None
    contributions: list[Contribution] = field(default_factory=list)
    data_requests: list[DataRequest] = field(default_factory=list)
    consultation_form: FormDefinition | None = None
    documents: Any = None  # the documents package's listing of the panel's files
    experts: list[queries.Expert] = field(default_factory=list)
    groups: list[ExpertGroup] = field(default_factory=list)
    members: list[PanelMember] = field(default_factory=list)
    meetings: Any = None  # the meetings package's meetings of the panel with their minutes


# The documents package lists a panel's files (panel id, with the series held for the centre's review?); it builds on
# panels, so its listing is handed in (app/wiring.py) rather than imported.
DocumentListing = Callable[[int, bool], Any]
# The meetings package's meetings of a panel that have minutes (panel id), handed in likewise.
MinutesListing = Callable[[int], Any]


def for_task(task: OpenTask, panel: Panel, *, documents: DocumentListing, minutes: MinutesListing) -> Material | None:
    """The material of ``task``'s decision on ``panel``, or None where the form says it all."""
    material = Material(task.form_key, panel)
    if task.form_key == "outcome_sign_off":
        material.outcome = _outcome(panel.id)
        material.review = review_of(panel, material.outcome, task.due_at)
    elif task.form_key == "additional_data":
        material.data_request = db.session.scalar(select(DataRequest).where(DataRequest.instance_id == task.instance_id))
        material.documents = documents(panel.id, False)
    elif task.form_key in ADVISING:
        material.consultation_form = consultation_form(panel)
        material.contributions = queries.contributions(panel.id)
        material.documents = documents(panel.id, False)
    elif task.form_key == "outcome":
        material.contributions = queries.contributions(panel.id)
        material.data_requests = _data_requests(panel.id)
        material.meetings = minutes(panel.id)
    elif task.form_key == "panel_selection":
        material.experts = queries.ern_experts(panel)
        material.groups = queries.expert_groups(panel.ern_id)
        material.members = list(panel.members)
    else:
        return None
    return material


def review_of(panel: Panel, outcome: Outcome | None, window_ends: datetime | None) -> Review:
    """Comments written on the panel since the outcome was drafted count as the members' review of it."""
    since = outcome.drafted_at if outcome is not None else utcnow()
    comments = list(
        db.session.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.panel_id == panel.id, TimelineEntry.kind == "comment", TimelineEntry.at >= since)
            .order_by(TimelineEntry.at)
        )
    )
    reviewer_ids = {c.actor_id for c in comments}
    members = [m.user for m in panel.accepted_members() if m.user_id != panel.lead_id]
    return Review(
        comments=comments,
        reviewers=[u for u in members if u.id in reviewer_ids],
        waiting_for=[u for u in members if u.id not in reviewer_ids],
        window_ends=window_ends,
    )


def _outcome(panel_id: int) -> Outcome | None:
    return db.session.scalar(select(Outcome).where(Outcome.panel_id == panel_id))


def _data_requests(panel_id: int) -> list[DataRequest]:
    return list(db.session.scalars(select(DataRequest).where(DataRequest.panel_id == panel_id).order_by(DataRequest.requested_at)))


def consultation_form(panel: Panel, *, translated: bool = True) -> FormDefinition:
    """The version of the consultation form this panel was filled with (its ERN's, or the base), in the reader's
    language; ``translated=False``: as written (English), for what is stored and shown to each in their own."""
    base = load_form_definitions(current_app.config["FORMS_DIR"])["consultation"]
    written = form_for_version(panel.consultation_version_id, base)
    return in_language(written) if translated else written
