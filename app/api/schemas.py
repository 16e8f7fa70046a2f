"""The API's JSON shapes (marshmallow): what it answers and what it takes; the OpenAPI document is generated from them."""

from __future__ import annotations

from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

MAX_CURSOR = 200


class ProblemSchema(Schema):
    """RFC 9457 problem details: every error of the API."""

    type = fields.String(metadata={"description": "about:blank: the title is the HTTP status's phrase"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String(metadata={"description": "What went wrong, and what to do"})
    errors = fields.Dict(metadata={"description": "Messages by field, when input was refused"})


class ListArgs(Schema):
    cursor = fields.String(
        load_default=None, validate=validate.Length(max=MAX_CURSOR), metadata={"description": "From the last page's next_cursor"}
    )
    limit = fields.Integer(
        load_default=None, validate=validate.Range(min=1, max=200), metadata={"description": "Items per page (at most 200)"}
    )


class PatientListArgs(ListArgs):
    centre = fields.String(load_default=None, validate=validate.Length(max=20), metadata={"description": "A centre's code"})


class _Listed(Schema):
    next_cursor = fields.String(allow_none=True, metadata={"description": "The next page's cursor; null on the last page"})


class PatientSchema(Schema):
    """A patient with identifying data: only for the authorised users of the patient's own centre."""

    id = fields.Integer()
    cpms_id = fields.String(allow_none=True)
    first_name = fields.String()
    last_name = fields.String()
    gender = fields.String()
    date_of_birth = fields.Date()
    centre = fields.Function(lambda p: p.centre.code)
    ern = fields.Function(lambda p: p.ern.code)
    enrolled_on = fields.Date()
    frozen = fields.Boolean()


class PatientPage(_Listed):
    items = fields.List(fields.Nested(PatientSchema))


class PanelSchema(Schema):
    """A panel as its members see it: pseudonymised (the case's nickname, never the patient's identity)."""

    id = fields.Integer()
    nickname = fields.String()
    phase = fields.Function(lambda p: p.phase.value)
    urgent = fields.Boolean()
    ern = fields.Function(lambda p: p.ern.code)
    centre = fields.Function(lambda p: p.centre.code)
    thematic_area = fields.Function(lambda p: p.thematic_area.name)
    lead = fields.Function(lambda p: p.lead.full_name if p.lead else None, allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    consultation_submitted_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    released_at = fields.DateTime(allow_none=True)
    archived = fields.Boolean()


class PanelPage(_Listed):
    items = fields.List(fields.Nested(PanelSchema))


class ConsultationSchema(Schema):
    panel_id = fields.Integer()
    version = fields.Integer(metadata={"description": "0 while the form has not been submitted"})
    submitted_at = fields.DateTime(allow_none=True)
    form = fields.String(metadata={"description": "The form definition's id"})
    answers = fields.Dict(metadata={"description": "Answers by field name"})


class TaskSchema(Schema):
    id = fields.String(attribute="engine_task_id", metadata={"description": "The task's id"})
    name = fields.String()
    label = fields.String()
    form = fields.String(attribute="form_key")
    process = fields.String(attribute="process_id")
    subject_type = fields.String()
    subject_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)


class TaskPage(_Listed):
    items = fields.List(fields.Nested(TaskSchema))


class FieldSchema(Schema):
    name = fields.String()
    label = fields.String()
    type = fields.String()
    required = fields.Boolean()
    choices = fields.Function(lambda f: [{"value": value, "label": label} for value, label in f.choices])
    entry_fields = fields.List(fields.Nested(lambda: FieldSchema()), data_key="fields", metadata={"description": "A group's entry fields"})


class TaskDetailSchema(TaskSchema):
    form_fields = fields.List(fields.Nested(FieldSchema), data_key="fields", metadata={"description": "The form's fields, in order"})


class DraftSchema(Schema):
    revision = fields.Integer(metadata={"description": "0: nothing saved yet"})
    answers = fields.Dict()
    saved_at = fields.DateTime(allow_none=True)


class AnswersSchema(Schema):
    answers = fields.Dict(
        required=True, keys=fields.String(validate=validate.Length(max=100)), metadata={"description": "Answers by field name"}
    )


class CompletedSchema(Schema):
    next_task_id = fields.String(allow_none=True)
    subject_type = fields.String()
    subject_id = fields.Integer(allow_none=True)


class DocumentSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    media_type = fields.String()
    size = fields.Integer()
    kind = fields.String()
    uploaded_at = fields.DateTime()


class DocumentPage(_Listed):
    items = fields.List(fields.Nested(DocumentSchema))


class NotificationSchema(Schema):
    id = fields.Integer()
    text = fields.String(attribute="shown", metadata={"description": "In the reader's language"})
    link = fields.String()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class NotificationPage(_Listed):
    items = fields.List(fields.Nested(NotificationSchema))


class ReportArgs(Schema):
    start = fields.Date(required=True, metadata={"description": "First day (UTC), yyyy-mm-dd"})
    end = fields.Date(required=True, metadata={"description": "Last day (UTC), yyyy-mm-dd"})
    centre = fields.String(load_default=None, validate=validate.Length(max=20), metadata={"description": "A centre's code"})


class ReportSectionSchema(Schema):
    key = fields.String()
    title = fields.String()
    header = fields.List(fields.String())
    rows = fields.List(fields.List(fields.Raw(allow_none=True)))


class ReportSchema(Schema):
    ern = fields.String()
    centre = fields.String(allow_none=True)
    start = fields.Date()
    end = fields.Date()
    sections = fields.List(fields.Nested(ReportSectionSchema))


class MeSchema(Schema):
    id = fields.Integer()
    name = fields.String(attribute="full_name")
    email = fields.String()
    token_scope = fields.String()
    token_expires_at = fields.DateTime()
