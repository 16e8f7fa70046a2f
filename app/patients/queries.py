"""Reads of patients, always filtered in SQL by what the reader may see."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select

from app import security
from app.accounts.models import User
from app.database import db
from app.pagination import Page
from app.pagination import paginate
from app.patients.models import Patient
from app.text import fold

SORTABLE = {
    "last_name": func.lower(Patient.last_name),
    "first_name": func.lower(Patient.first_name),
    "record_label": func.lower(Patient.record_label),
    "cpms_id": Patient.cpms_id,
    "enrolled_on": Patient.enrolled_on,
    "gender": Patient.gender,
    "frozen": Patient.frozen,
    "date_of_birth": Patient.date_of_birth,
    "consent_care": Patient.consent_care,
    "consent_research": Patient.consent_research,
}


def _visible_patients(viewer: User, centre_id: int | None) -> Select[tuple[Patient]]:
    query = select(Patient).where(security.identifying_data_filter(viewer, Patient), Patient.cpms_id.is_not(None))
    if centre_id is not None:
        query = query.where(Patient.centre_id == centre_id)
    return query


def patients_for_centre(
    viewer: User,
    centre_id: int | None,
    *,
    search: str = "",
    frozen: bool | None = None,
    sort: str = "last_name",
    descending: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """A page of the patients the viewer may see, searched by first name, last name or CPMS ID; only the frozen (or only
    the not frozen) records when ``frozen`` says so."""
    query = _visible_patients(viewer, centre_id)
    if frozen is not None:
        query = query.where(Patient.frozen.is_(frozen))
    for term in fold("".join(c for c in search if c.isprintable())).split():
        query = query.where(Patient.search_text.contains(term, autoescape=True))
    column = SORTABLE.get(sort, SORTABLE["last_name"])
    order = column.desc() if descending else column.asc()
    return paginate(query.order_by(order, Patient.id), page=page, per_page=per_page)


def patient_count(viewer: User, centre_id: int) -> int:
    query = _visible_patients(viewer, centre_id)
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def visible_patient(viewer: User, patient_id: int) -> Patient | None:
    """The patient if the viewer may see their identifying data, else None (callers answer 404)."""
    return db.session.scalar(_visible_patients(viewer, None).where(Patient.id == patient_id))


def possible_duplicates(
    viewer: User, centre_id: int, ern_id: int, names: tuple[str, str], birth_date: date, *, excluding: int | None = None
) -> list[Patient]:
    """The centre's patients in the ERN, among those the viewer may see, with the same birth date and the same first and
    last names (either way round), whatever their case, accents or hyphens."""
    wanted = _name_key(*names)
    if not all(wanted):
        return []
    query = select(Patient).where(
        security.identifying_data_filter(viewer, Patient),
        Patient.centre_id == centre_id,
        Patient.ern_id == ern_id,
        Patient.date_of_birth == birth_date,
    )
    if excluding is not None:
        query = query.where(Patient.id != excluding)
    # Birth date, centre and ERN leave a handful of rows: the names are compared here, folded as the search folds them.
    candidates = db.session.scalars(query.order_by(Patient.id))
    return [p for p in candidates if _name_key(p.first_name, p.last_name) in (wanted, wanted[::-1])]


def _name_key(first_name: str, last_name: str) -> tuple[str, str]:
    return _words(first_name), _words(last_name)


def _words(name: str) -> str:
    """' Jean-PIERRE ' → 'jean pierre'."""
    return " ".join(re.findall(r"[^\W_]+", fold(name)))
