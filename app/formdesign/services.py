"""ERN managers publish their ERN's version of a form (SPEC §10): validated first, then immutable."""

from __future__ import annotations

import json
from collections.abc import Iterator

from flask_babel import gettext as _

from app import security
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.formdesign import queries
from app.formdesign.models import FormVersion
from app.organisations.models import Ern
from app.tasks.form_definitions import FieldDefinition
from app.tasks.form_definitions import FormDefinition
from app.tasks.form_definitions import FormDefinitionError
from app.tasks.form_definitions import parse_form_definition
from app.text import markup_in

# Forms an ERN may adapt, and the fields the application itself reads from them (kept, same type).
CUSTOMISABLE = {"consultation": {"nickname": "text", "urgent": "yes_no"}}
MAX_DEFINITION = 200_000


def check_definition(form_id: str, text: str) -> FormDefinition:
    """The definition, or InvalidInput listing every problem in plain words (never a traceback)."""
    if form_id not in CUSTOMISABLE:
        raise NotFound(_("This form cannot be customised."))
    if len(text) > MAX_DEFINITION:
        raise InvalidInput(_("The definition is too long (at most %(n)d characters).", n=MAX_DEFINITION))
    try:
        definition = parse_form_definition(text, f"{form_id}.json")
    except FormDefinitionError as error:
        raise InvalidInput(_("The form cannot be published: %(problems)s", problems=str(error).removeprefix(f"{form_id}.json: "))) from None
    names = [field.name for field in definition.fields]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidInput(_("Field names must be unique; used twice: %(names)s.", names=", ".join(duplicates)))
    for name, kind in CUSTOMISABLE[form_id].items():
        field = definition.by_name.get(name)
        if field is None or field.type != kind or not field.required:
            raise InvalidInput(_("Keep the mandatory field '%(name)s' of type %(kind)s: the panel process reads it.", name=name, kind=kind))
    for where, text in _texts(definition):
        if markup := markup_in(text):
            raise InvalidInput(
                _(
                    "The form cannot be published: %(where)s holds markup, %(markup)s. "
                    "Labels are shown to people as text: remove the markup.",
                    where=where,
                    markup=markup,
                )
            )
    return definition


def _texts(definition: FormDefinition) -> Iterator[tuple[str, str]]:
    """Every text of a definition that people read, with where it is in the manager's words."""
    yield _("the form's title"), definition.title
    yield _("the form's description"), definition.description
    yield _("the submit button"), definition.submit_label
    for language, wording in definition.translations.items():
        for english, translated in wording.items():
            yield _("the %(language)s wording of “%(text)s”", language=language, text=english[:60]), translated
    for section in definition.sections:
        yield _("the title of section '%(id)s'", id=section.id), section.title
        yield _("the help of section '%(id)s'", id=section.id), section.help
        for field in section.fields:
            yield from _field_texts(field)


def _field_texts(field: FieldDefinition) -> Iterator[tuple[str, str]]:
    yield _("the label of field '%(name)s'", name=field.name), field.label
    yield _("the help of field '%(name)s'", name=field.name), field.help
    yield _("the placeholder of field '%(name)s'", name=field.name), field.placeholder
    yield _("the entry label of field '%(name)s'", name=field.name), field.entry_label
    yield _("the message of field '%(name)s'", name=field.name), field.must_equal_message
    for value, label in field.choices:
        yield _("the choice '%(value)s' of field '%(name)s'", value=value, name=field.name), label
    for entry_field in field.entry_fields:
        yield from _field_texts(entry_field)


def publish(actor: User, ern_id: int, form_id: str, text: str, origin: RequestInfo) -> FormVersion:
    """Publish the ERN's next version of a form; panels opened from now on use it."""
    with transaction():
        ern = db.session.get(Ern, ern_id)
        if ern is None:
            raise NotFound(_("No such ERN."))
        if not security.manages_ern(actor, ern_id):
            raise NotAllowed(_("Only the ERN's managers adapt its forms."))
        definition = check_definition(form_id, text)
        newest = queries.newest_version(ern_id, form_id)
        version = FormVersion(
            ern_id=ern_id,
            form_id=form_id,
            version=(newest.version + 1) if newest else 1,
            definition=json.dumps(json.loads(text), ensure_ascii=False, indent=2),
            published_by_id=actor.id,
        )
        db.session.add(version)
        db.session.flush()
        audit.record(actor, "form.published", "form_version", version.id, origin, form=form_id, ern=ern.code, fields=len(definition.fields))
        return version
