"""Steps that change a panel's course: closing (with its open processes), restarting, and telling the panel's
process what happened to the panel outside its tasks. Only flush."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.panels import timeline
from app.panels.models import InvitationStatus
from app.panels.models import Panel
from app.panels.models import PanelMember
from app.panels.models import Phase
from app.workflows import store
from app.workflows.models import InstanceStatus
from app.workflows.models import ProcessInstance


def tell_process(panel: Panel, signal: str, actor: User) -> None:
    """Throw a BPMN signal (``lead_handed_over``, ``contribution_recorded``) at the panel's running process, so that
    its diagram, its instance log and the panel's timeline tell the same story; a version that does not model the
    event ignores it."""
    instance = db.session.scalar(
        select(ProcessInstance)
        .where(
            ProcessInstance.process_id == "panel",
            ProcessInstance.subject_type == "panel",
            ProcessInstance.subject_id == panel.id,
            ProcessInstance.status == InstanceStatus.RUNNING,
        )
        .order_by(ProcessInstance.id.desc())
        .limit(1)
        .with_for_update()
    )
    if instance is not None:
        store.signal(instance, signal, actor)


def close(panel: Panel, actor: User | None, *, keep_instance_id: int | None = None) -> None:
    """Mark the panel closed and cancel its other running processes (open invitations, requests)."""
    panel.phase, panel.closed_at = Phase.CLOSED, utcnow()
    running = db.session.scalars(
        select(ProcessInstance)
        .where(
            ProcessInstance.subject_type == "panel",
            ProcessInstance.subject_id == panel.id,
            ProcessInstance.status == InstanceStatus.RUNNING,
        )
        .order_by(ProcessInstance.id)
        .with_for_update()
    ).all()
    for instance in running:
        if instance.id == keep_instance_id:
            continue
        store.cancel(instance, actor)
    for member in db.session.scalars(select(PanelMember).where(PanelMember.panel_id == panel.id)):
        if member.status == InvitationStatus.INVITED:
            member.status, member.answered_at = InvitationStatus.WITHDRAWN, utcnow()
    reason = panel.closing_reason.value.replace("_", " ") if panel.closing_reason else "no reason"
    timeline.add(panel, "closed", f"Panel closed ({reason}).", actor)
    timeline.tell(timeline.members_except(panel, actor), panel, "the panel was closed.")
