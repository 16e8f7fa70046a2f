"""Attaching files to panels and reading them back, under the panel's access rules."""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
import zipfile
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import select

from app import security
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.documents import dicom_files
from app.documents.deidentify import Options
from app.documents.deidentify import Patient
from app.documents.deidentify import deidentify
from app.documents.models import Document
from app.documents.sniffing import DICOM
from app.documents.sniffing import JPEG
from app.documents.sniffing import PDF
from app.documents.sniffing import PNG
from app.documents.sniffing import sniff
from app.documents.storage import LocalStorage
from app.documents.storage import TooLarge
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.panels import timeline
from app.panels.models import ErnSettings
from app.panels.models import Panel
from app.patients.models import Patient as PatientRow

ACCEPTED = (PDF, PNG, JPEG, DICOM)
KINDS = ("document", "summary")


class _Rejoined(io.RawIOBase):
    """The bytes already read for sniffing, then the rest of the upload stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._parts = itertools.chain([head], iter(lambda: rest.read(1024 * 1024), b""))
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            part = next(self._parts, None)
            if part is None:
                break
            self._buffer += part
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _panel_for_upload(actor: User, panel_id: int) -> Panel:
    panel = db.session.get(Panel, panel_id)
    if panel is None or not security.can_see_panel(actor, panel):
        raise NotFound(_("No such panel."))
    if panel.closed:
        raise Conflict(_("Panel %(title)s is closed: it can no longer change.", title=panel.title))
    if not (
        security.is_panel_member(actor, panel)
        or panel.created_by_id == actor.id
        or panel.centre_id in {m.centre_id for m in actor.memberships}
    ):
        raise NotAllowed(_("Only the panel's members and the patient's centre attach files."))
    return panel


def attach(
    actor: User, panel_id: int, stream: BinaryIO, title: str, kind: str, storage: LocalStorage, limit: int, origin: RequestInfo
) -> Document:
    """Attach a PDF or image to a panel (the content is checked, not the name); a summary may stand in for the form."""
    if kind not in KINDS:
        raise InvalidInput(_("Unknown kind of document."))
    _panel_for_upload(actor, panel_id)  # refuse before reading a byte
    head = stream.read(512)
    media_type = sniff(head)
    if media_type not in ACCEPTED:
        raise InvalidInput(
            _(
                "This file is not accepted: attach a PDF, PNG, JPEG or DICOM file (the content is checked, not the name). "
                "Executables and scripts never are."
            )
        )
    series: tuple[str, str, str] = ("", "", "")
    source: BinaryIO = _Rejoined(head, stream)  # type: ignore[assignment]
    if media_type == DICOM:
        source, series = _deidentified(actor, panel_id, source, limit)
    try:
        stored = storage.put(source, limit)
    except TooLarge:
        raise InvalidInput(_("The file is larger than %(n)d MB.", n=limit // (1024 * 1024))) from None
    name = "".join(c for c in (title or "").strip() if c.isprintable())[:200] or _("Document")
    with transaction():
        panel = _panel_for_upload(actor, panel_id)
        document = Document(
            panel_id=panel.id,
            kind=kind,
            title=name,
            media_type=media_type,
            content_hash=stored.content_hash,
            size=stored.size,
            uploaded_by_id=actor.id,
            study_uid=series[0],
            series_uid=series[1],
            series_label=series[2],
        )
        db.session.add(document)
        what = _("a pseudonymised case summary") if kind == "summary" else _("a document")
        timeline.add(panel, "document", f"{actor.full_name} attached {what}: {name}", actor)
        audit.record(actor, "document.attached", "panel", panel.id, origin, kind=kind, size=stored.size)
        db.session.flush()
        return document


def _deidentified(actor: User, panel_id: int, source: BinaryIO, limit: int) -> tuple[BinaryIO, tuple[str, str, str]]:
    """The de-identified copy of an uploaded DICOM file (the original is never stored), and its series."""
    from flask import current_app

    panel = db.session.get(Panel, panel_id)
    assert panel is not None
    raw = source.read(limit + 1)
    if len(raw) > limit:
        raise InvalidInput(_("The file is larger than %(n)d MB.", n=limit // (1024 * 1024)))
    secret = deidentification_secret(current_app.config["SECRET_KEY"], current_app.config["DEIDENTIFICATION_SECRET"])
    pseudonym, options = _pseudonym(panel.patient, secret)
    try:
        dataset = dicom_files.read(io.BytesIO(raw))
        problem = dicom_files.truncation(dataset)
        if not problem and "SOPClassUID" not in dataset:
            problem = _("it has no SOP Class: not a storable image or document")
        if problem:
            raise InvalidInput(_("This DICOM file is incomplete (%(problem)s); nothing was stored.", problem=problem))
        deidentify(dataset, pseudonym, options)
        out = io.BytesIO()
        dataset.save_as(out, enforce_file_format=True)
    except dicom_files.UNREADABLE:
        raise InvalidInput(_("This DICOM file cannot be read (damaged or incomplete); nothing was stored.")) from None
    out.seek(0)
    label = " ".join(str(dataset.get(k, "")) for k in ("Modality", "SeriesDescription") if dataset.get(k)).strip() or "DICOM series"
    return out, (str(dataset.get("StudyInstanceUID", "")), str(dataset.get("SeriesInstanceUID", "")), label[:200])


def document_for(actor: User, panel_id: int, document_id: int) -> Document:
    """A panel's document for someone who sees the panel (NotFound otherwise: existence does not leak)."""
    document = db.session.get(Document, document_id)
    panel = db.session.get(Panel, panel_id)
    if document is None or panel is None or document.panel_id != panel.id or not security.can_see_panel(actor, panel):
        raise NotFound(_("No such document."))
    return document


def deidentification_secret(secret_key: str, configured: str) -> bytes:
    """The installation's secret for UIDs and date shifts: configured, else derived from SECRET_KEY."""
    if configured:
        return configured.encode()
    return hmac.new(secret_key.encode(), b"consilium-dicom-deidentification", hashlib.sha256).digest()


def deidentify_folder_for_patient(cpms_id: str, source: str, target: str, secret: bytes, progress: Any) -> dicom_files.Summary:
    """Bulk import: de-identify a folder of DICOM files for an existing patient (by CPMS ID)."""
    patient = db.session.scalar(select(PatientRow).where(PatientRow.cpms_id == cpms_id))
    if patient is None:
        raise NotFound(_("No patient has the CPMS ID %(cpms_id)s.", cpms_id=cpms_id))
    pseudonym, options = _pseudonym(patient, secret)
    return dicom_files.deidentify_folder(Path(source), Path(target), pseudonym, options, progress)


def _pseudonym(patient: PatientRow, secret: bytes) -> tuple[Patient, Options]:
    """Who the images are about (their CPMS ID and the names to clean out of text) and the ERN's options."""
    settings = db.session.get(ErnSettings, patient.ern_id)
    options = Options(
        retain_patient_characteristics=bool(settings and settings.retain_patient_characteristics),
        retain_device_identity=bool(settings and settings.retain_device_identity),
    )
    identifiers = (f"{patient.last_name}^{patient.first_name}", patient.first_name, patient.last_name, patient.record_label)
    return Patient(str(patient.cpms_id), secret, identifiers), options


@dataclass
class ZipSummary:
    attached: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


MAX_ZIP_MEMBERS = 5000


def attach_zip(actor: User, panel_id: int, stream: BinaryIO, storage: LocalStorage, limit: int, origin: RequestInfo) -> ZipSummary:
    """Attach every file of a zipped study (DICOM de-identified; DICOMDIRs and refused files listed, not stored)."""
    _panel_for_upload(actor, panel_id)
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError):
        raise InvalidInput(_("This zip file cannot be read; nothing was stored.")) from None
    members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
    if len(members) > MAX_ZIP_MEMBERS:
        raise InvalidInput(_("The zip file holds more than %(n)d files; split it.", n=MAX_ZIP_MEMBERS))
    summary = ZipSummary()
    for member in members:
        name = member.filename.rsplit("/", 1)[-1][:200]
        if member.file_size > limit:
            summary.skipped.append((name, _("larger than %(n)d MB", n=limit // (1024 * 1024))))
            continue
        if name.upper() == "DICOMDIR":
            summary.skipped.append((name, _("a DICOMDIR: its files are imported one by one")))
            continue
        try:
            with archive.open(member) as content:
                attach(actor, panel_id, content, name, "document", storage, limit, origin)  # type: ignore[arg-type]
        except InvalidInput as error:
            summary.skipped.append((name, error.message))
            continue
        except (zipfile.BadZipFile, OSError, RuntimeError):
            summary.skipped.append((name, _("damaged inside the zip file")))
            continue
        summary.attached += 1
    return summary
