"""Documents as pages list them: DICOM images grouped by series (never hundreds of loose images), other files one by one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.database import db
from app.documents.models import HELD
from app.documents.models import SHARED
from app.documents.models import Document
from app.documents.sniffing import DICOM


@dataclass(frozen=True)
class Series:
    first_id: int  # any image of the series opens the viewer on it
    label: str
    images: int
    held: bool
    hold_reason: str
    uploaded_at: datetime


@dataclass(frozen=True)
class Listing:
    series: list[Series]
    files: list[Document]

    def __bool__(self) -> bool:
        return bool(self.series or self.files)


def for_panel(panel_id: int, include_held: bool) -> Listing:
    """A panel's documents; series held for review only for the patient's centre (two queries)."""
    return _listing(Document.panel_id == panel_id, include_held)


def for_patient(patient_id: int) -> Listing:
    """The documents kept in the patient's record at their centre, outside any panel (two queries)."""
    return _listing((Document.patient_id == patient_id) & Document.panel_id.is_(None), include_held=False)


def _listing(place: ColumnElement[bool], include_held: bool) -> Listing:
    statuses = (SHARED, HELD) if include_held else (SHARED,)
    rows = db.session.execute(
        select(
            func.min(Document.id),
            func.max(Document.series_label),
            func.count(),
            Document.status,
            func.max(Document.hold_reason),
            func.max(Document.uploaded_at),
        )
        .where(place, Document.media_type == DICOM, Document.status.in_(statuses))
        .group_by(Document.series_uid, Document.status)
        .order_by(func.max(Document.uploaded_at).desc(), func.min(Document.id).desc())
    ).all()
    files = db.session.scalars(
        select(Document)
        .options(joinedload(Document.uploaded_by))
        .where(place, Document.media_type != DICOM)
        .order_by(Document.uploaded_at.desc(), Document.id.desc())
    ).all()
    series = [
        Series(first_id=row[0], label=row[1], images=row[2], held=row[3] == HELD, hold_reason=row[4], uploaded_at=row[5]) for row in rows
    ]
    return Listing(series=series, files=list(files))
