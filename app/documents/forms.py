"""The forms of documents: attaching files, and an ERN's de-identification options."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import Field
from wtforms import HiddenField
from wtforms import StringField
from wtforms import ValidationError

from app.documents.deidentify import Options


class UploadForm(FlaskForm):
    """Files, a folder's files or zips; the browser's uploader sends one file per request. The services check each file."""

    file = MultipleFileField()
    kind = HiddenField(default="document")  # "summary" for the panel's case summary
    title = StringField(default="")  # used when one file is sent
    return_to = HiddenField(default="")  # the task page the upload was made from

    def validate_file(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose a file to attach."))


class OptionsForm(FlaskForm):
    """The optional parts of the de-identification profile: a ticked box sends "1"."""

    clean_descriptors = StringField(default="")
    retain_patient_characteristics = StringField(default="")
    retain_device_identity = StringField(default="")

    def options(self) -> Options:
        return Options(
            clean_descriptors=self.clean_descriptors.data == "1",
            retain_patient_characteristics=self.retain_patient_characteristics.data == "1",
            retain_device_identity=self.retain_device_identity.data == "1",
        )
