"""Reads for process administration: an ERN's processes, their versions and instances."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from app.database import db
from app.workflows.models import InstanceEvent
from app.workflows.models import InstanceStatus
from app.workflows.models import ProcessDefinition
from app.workflows.models import ProcessInstance

MAX_LISTED = 200  # instances shown at once for a migration


def _visible(ern_id: int) -> ColumnElement[bool]:
    """Versions an ERN may use: the shared ones and its own."""
    return or_(ProcessDefinition.ern_id.is_(None), ProcessDefinition.ern_id == ern_id)


def process_ids(ern_id: int) -> list[str]:
    query = select(ProcessDefinition.process_id).where(_visible(ern_id)).distinct().order_by(ProcessDefinition.process_id)
    return list(db.session.scalars(query))


def versions(ern_id: int, process_id: str) -> list[ProcessDefinition]:
    """The ERN's own versions, newest first, then the shared ones."""
    query = select(ProcessDefinition).where(ProcessDefinition.process_id == process_id, _visible(ern_id))
    rows = db.session.scalars(query.order_by(ProcessDefinition.version.desc()))
    return sorted(rows, key=lambda row: row.ern_id is None)


def version(ern_id: int, process_id: str, definition_id: int) -> ProcessDefinition | None:
    row = db.session.get(ProcessDefinition, definition_id)
    if row is None or row.process_id != process_id or row.ern_id not in (None, ern_id):
        return None
    return row


def running_counts(ern_id: int, process_id: str | None = None) -> dict[int, int]:
    """definition id → how many of the ERN's instances run on it."""
    query = (
        select(ProcessInstance.definition_id, func.count())
        .where(ProcessInstance.ern_id == ern_id, ProcessInstance.status == InstanceStatus.RUNNING)
        .group_by(ProcessInstance.definition_id)
    )
    if process_id is not None:
        query = query.where(ProcessInstance.process_id == process_id)
    return {definition_id: count for definition_id, count in db.session.execute(query)}


def instances_on(ern_id: int, definition_id: int, status: str) -> list[ProcessInstance]:
    """The ERN's instances on one version in one state, oldest first (at most MAX_LISTED)."""
    query = select(ProcessInstance).where(
        ProcessInstance.ern_id == ern_id, ProcessInstance.definition_id == definition_id, ProcessInstance.status == status
    )
    return list(db.session.scalars(query.order_by(ProcessInstance.id).limit(MAX_LISTED)))


def instance_in(ern_id: int, instance_id: int) -> ProcessInstance | None:
    instance = db.session.get(ProcessInstance, instance_id)
    return instance if instance is not None and instance.ern_id == ern_id else None


def events_of(instance_id: int) -> list[InstanceEvent]:
    query = select(InstanceEvent).where(InstanceEvent.instance_id == instance_id)
    return list(db.session.scalars(query.order_by(InstanceEvent.at, InstanceEvent.id)))
