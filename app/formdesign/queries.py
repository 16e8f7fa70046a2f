"""Which version of a form applies: an ERN's newest published version, else the base form in forms/."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select

from app.database import db
from app.formdesign.models import FormVersion
from app.tasks.form_definitions import FormDefinition
from app.tasks.form_definitions import parse_form_definition


@lru_cache(maxsize=256)
def _parsed(version_id: int, text: str, form_id: str) -> FormDefinition:
    return parse_form_definition(text, f"{form_id}.json")


def definition_of(version: FormVersion) -> FormDefinition:
    """A published version's definition (parsed once: versions never change)."""
    return _parsed(version.id, version.definition, version.form_id)


def newest_version(ern_id: int, form_id: str) -> FormVersion | None:
    query = select(FormVersion).where(FormVersion.ern_id == ern_id, FormVersion.form_id == form_id)
    return db.session.scalar(query.order_by(FormVersion.version.desc()).limit(1))


def versions(ern_id: int, form_id: str) -> list[FormVersion]:
    query = select(FormVersion).where(FormVersion.ern_id == ern_id, FormVersion.form_id == form_id)
    return list(db.session.scalars(query.order_by(FormVersion.version.desc())))


def form_for_version(version_id: int | None, base: FormDefinition) -> FormDefinition:
    """The definition a case was filled with: its pinned version, or the base form."""
    if version_id is None:
        return base
    version = db.session.get(FormVersion, version_id)
    return definition_of(version) if version is not None else base
