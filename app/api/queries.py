"""What the API lists, each under the web app's access policy (app/security.py): the same filters as the pages."""

from __future__ import annotations

from sqlalchemy import Select
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import security
from app.accounts.models import User
from app.documents.models import HELD
from app.documents.models import SHARED
from app.documents.models import Document
from app.notifications.models import Notification
from app.organisations.models import Centre
from app.panels.models import Panel
from app.patients.models import Patient
from app.tasks.models import OpenTask


def patients(viewer: User, centre_code: str | None) -> Select[tuple[Patient]]:
    """Patients with identifying data: only those of the viewer's own centres (never another centre's)."""
    query = (
        select(Patient)
        .options(joinedload(Patient.centre), joinedload(Patient.ern))
        .where(security.identifying_data_filter(viewer, Patient), Patient.cpms_id.is_not(None))
    )
    if centre_code is not None:
        query = query.where(Patient.centre_id.in_(select(Centre.id).where(Centre.code == centre_code)))
    return query


def panels(viewer: User) -> Select[tuple[Panel]]:
    return (
        select(Panel)
        .options(joinedload(Panel.thematic_area), joinedload(Panel.centre), joinedload(Panel.ern), joinedload(Panel.lead))
        .where(security.panel_filter(viewer, Panel))
    )


def tasks(viewer: User) -> Select[tuple[OpenTask]]:
    return select(OpenTask).where(security.open_task_filter(viewer, OpenTask))


def documents(viewer: User, panel: Panel) -> Select[tuple[Document]]:
    """A panel's files for someone who sees the panel; image series held for review only for the patient's centre."""
    statuses = (SHARED, HELD) if security.can_see_identifying_data(viewer, panel.patient) else (SHARED,)
    return select(Document).where(Document.panel_id == panel.id, Document.status.in_(statuses))


def notifications(viewer: User) -> Select[tuple[Notification]]:
    return select(Notification).where(Notification.user_id == viewer.id)
