"""Attaching files to panels and reading them back, under the panel's access rules."""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
import warnings
import zipfile
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from pydicom.dataset import Dataset
from sqlalchemy import func
from sqlalchemy import select

from app import security
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.documents import burned_in
from app.documents import dicom_files
from app.documents import image_metadata
from app.documents import imaging
from app.documents import pdf_safety
from app.documents.deidentify import Options
from app.documents.deidentify import Patient
from app.documents.deidentify import deidentify
from app.documents.models import HELD
from app.documents.models import SHARED
from app.documents.models import Document
from app.documents.sniffing import DICOM
from app.documents.sniffing import JPEG
from app.documents.sniffing import PDF
from app.documents.sniffing import PNG
from app.documents.sniffing import sniff
from app.documents.storage import Storage
from app.documents.storage import TooLarge
from app.ernsettings.models import ErnSettings
from app.errors import Conflict
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.i18n import N_
from app.panels import timeline
from app.panels.models import Contribution
from app.panels.models import Panel
from app.patients import privacy
from app.patients.models import Patient as PatientRow

ACCEPTED = (PDF, PNG, JPEG, DICOM)
KINDS = ("document", "summary", "consent")


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


@dataclass(frozen=True)
class Where:
    """Where a file goes: a panel (shared with it), or only the patient's record at their centre."""

    panel_id: int | None = None
    patient_id: int | None = None
    contribution_id: int | None = None  # a PDF of the actor's own contribution on the panel


@dataclass(frozen=True)
class DicomFacts:
    study_uid: str
    series_uid: str
    series_label: str
    instance_number: int | None
    image: dict[str, Any] | None
    hold_reason: str


def _destination(actor: User, where: Where) -> tuple[PatientRow, Panel | None]:
    """The patient and panel a file may be attached to by this person (refused before a byte is read)."""
    if where.panel_id is not None:
        panel = _panel_for_upload(actor, where.panel_id)
        if where.contribution_id is not None:
            contribution = db.session.get(Contribution, where.contribution_id)
            if contribution is None or contribution.panel_id != panel.id:
                raise NotFound(_("No such contribution on this panel."))
            if contribution.author_id != actor.id:
                raise NotAllowed(_("Only the author of a contribution attaches a PDF to it."))
        return panel.patient, panel
    patient = db.session.get(PatientRow, where.patient_id) if where.patient_id is not None else None
    if patient is None or not security.can_see_identifying_data(actor, patient):
        raise NotFound(_("No such patient."))
    if patient.frozen:
        raise Conflict(_("This patient's record is frozen: nothing can be added."))
    if patient.identifying_erased_at is not None:
        raise Conflict(_("This patient's identifying data were erased: the centre keeps no more files on them."))
    if not patient.cpms_id:
        raise Conflict(_("The enrolment of this patient is not complete: files can be attached once it is."))
    return patient, None


def _panel_for_upload(actor: User, panel_id: int) -> Panel:
    panel = db.session.get(Panel, panel_id)
    if panel is None or not security.can_see_panel(actor, panel):
        raise NotFound(_("No such panel."))
    if panel.closed:
        raise Conflict(_("Panel %(title)s is closed: it can no longer change.", title=panel.title))
    if not security.can_attach(actor, panel):
        raise NotAllowed(_("Only the panel's members and the patient's centre attach files."))
    return panel


@dataclass(frozen=True)
class Prepared:
    """A file checked, de-identified if DICOM and stored, waiting for its row."""

    patient_id: int
    panel_id: int | None
    kind: str
    title: str
    media_type: str
    content_hash: str
    size: int
    facts: DicomFacts | None
    removed: frozenset[str] = frozenset()  # kinds of active content cut out of a PDF (pdf_safety)
    contribution_id: int | None = None


def attach(
    actor: User,
    where: Where,
    stream: BinaryIO,
    title: str,
    kind: str,
    storage: Storage,
    limit: int,
    origin: RequestInfo,
    summary: UploadSummary | None = None,
) -> Document:
    """Attach a PDF, image or DICOM file (the content is checked, not the name); a summary may stand in for the form."""
    prepared = _prepare(actor, where, stream, title, kind, storage, limit)
    with transaction():
        document = record(actor, prepared, origin)
    if summary is not None:
        summary.add(document, prepared)
    return document


def attach_step(
    actor: User, where: Where, stream: BinaryIO, title: str, kind: str, storage: Storage, limit: int, origin: RequestInfo
) -> Document:
    """Step (flushes only), for callers that own the transaction (the demo seeding)."""
    return record(actor, _prepare(actor, where, stream, title, kind, storage, limit), origin)


def _prepare(actor: User, where: Where, stream: BinaryIO, title: str, kind: str, storage: Storage, limit: int) -> Prepared:
    """Check the rights and the content, de-identify DICOM, store the bytes (no row yet: nothing to roll back)."""
    if kind not in KINDS:
        raise InvalidInput(_("Unknown kind of document."))
    patient, panel = _destination(actor, where)
    head = stream.read(512)
    media_type = sniff(head)
    if media_type not in ACCEPTED:
        raise InvalidInput(
            _(
                "This file is not accepted: attach a PDF, PNG, JPEG or DICOM file (the content is checked, not the name). "
                "Executables and scripts never are."
            )
        )
    if where.contribution_id is not None and media_type != PDF:
        raise InvalidInput(_("A contribution carries a PDF; attach images and DICOM files to the panel's documents."))
    if kind == "consent" and (panel is not None or media_type not in (PDF, PNG, JPEG)):
        raise InvalidInput(_("A signed consent form is a PDF or a scanned image, kept in the patient's record (never on a panel)."))
    facts: DicomFacts | None = None
    source: BinaryIO = _Rejoined(head, stream)  # type: ignore[assignment]
    removed: frozenset[str] = frozenset()
    name = "".join(c for c in (title or "").strip() if c.isprintable())[:200] or _("Document")
    if panel is not None and privacy.problem_with(name, patient):
        raise InvalidInput(
            _("The document's title (or its file's name) identifies the patient: give it a title that does not; nothing was stored.")
        )
    if media_type == DICOM:
        source, facts = _deidentified(patient, source, limit)
    elif media_type == PDF:
        source, removed = _defused(source, limit)
        if panel is not None:
            _refuse_identifying_pdf(source, patient)
    else:
        source, removed = _without_hidden_text(source, media_type, limit)
    try:
        stored = storage.put(source, limit)
    except TooLarge:
        raise InvalidInput(_("The file is larger than %(n)d MB.", n=limit // (1024 * 1024))) from None
    panel_id = panel.id if panel else None
    return Prepared(patient.id, panel_id, kind, name, media_type, stored.content_hash, stored.size, facts, removed, where.contribution_id)


def record(actor: User, prepared: Prepared, origin: RequestInfo) -> Document:
    """Step (flushes only): the document's row, its timeline line and audit entry."""
    # The rights were checked when the file was prepared; only whether the panel closed meanwhile needs a second look.
    panel = db.session.get(Panel, prepared.panel_id) if prepared.panel_id is not None else None
    if panel is not None and panel.closed:
        raise Conflict(_("Panel %(title)s is closed: it can no longer change.", title=panel.title))
    document = Document(
        patient_id=prepared.patient_id,
        panel_id=prepared.panel_id,
        contribution_id=prepared.contribution_id,
        kind=prepared.kind,
        title=prepared.title,
        media_type=prepared.media_type,
        content_hash=prepared.content_hash,
        size=prepared.size,
        uploaded_by_id=actor.id,
    )
    if facts := prepared.facts:
        document.study_uid, document.series_uid, document.series_label = facts.study_uid, facts.series_uid, facts.series_label
        document.instance_number, document.image = facts.instance_number, facts.image
        if facts.hold_reason and panel is not None:
            document.status, document.hold_reason = HELD, facts.hold_reason[:200]
    if panel is not None and not document.held:
        _announce(actor, panel, document)
    db.session.add(document)
    target = ("panel", panel.id) if panel else ("patient", prepared.patient_id)
    removed = {"removed": sorted(prepared.removed)} if prepared.removed else {}
    audit.record(
        actor, "document.attached", target[0], target[1], origin, kind=prepared.kind, size=prepared.size, status=document.status, **removed
    )
    db.session.flush()
    return document


def _announce(actor: User, panel: Panel, document: Document) -> None:
    """One timeline line per file, or per image series (its first image): a study is not hundreds of lines."""
    if document.series_uid:
        seen = select(Document.id).where(Document.panel_id == panel.id, Document.series_uid == document.series_uid).limit(1)
        if db.session.scalar(seen) is None:
            timeline.add(
                panel, "document", N_("%(name)s attached images: %(series)s"), actor, name=actor.full_name, series=document.series_label
            )
        return
    if document.kind == "summary":
        timeline.add(
            panel,
            "document",
            N_("%(name)s attached a pseudonymised case summary: %(title)s"),
            actor,
            name=actor.full_name,
            title=document.title,
        )
    else:
        timeline.add(panel, "document", N_("%(name)s attached a document: %(title)s"), actor, name=actor.full_name, title=document.title)


def _deidentified(patient: PatientRow, source: BinaryIO, limit: int) -> tuple[BinaryIO, DicomFacts]:
    """The de-identified copy of an uploaded DICOM file (the original is never stored), and what to know of it."""
    raw = source.read(limit + 1)
    if len(raw) > limit:
        raise InvalidInput(_("The file is larger than %(n)d MB.", n=limit // (1024 * 1024)))
    secret = deidentification_secret(current_app.config["SECRET_KEY"], current_app.config["DEIDENTIFICATION_SECRET"])
    pseudonym, options = _pseudonym(patient, secret)
    try:
        with warnings.catch_warnings():  # odd original values: the message or the stored copy says what happened
            warnings.simplefilter("ignore")
            dataset = dicom_files.read(io.BytesIO(raw))
            if str(dataset.file_meta.get("MediaStorageSOPClassUID", "")) == dicom_files.DICOMDIR_CLASS:
                raise InvalidInput(_("a DICOMDIR only lists files: attach the files it lists (a zip or folder of the study)"))
            problem = dicom_files.truncation(dataset)
            if not problem and "SOPClassUID" not in dataset:
                problem = _("it has no SOP Class: not a storable image or document")
            if problem:
                raise InvalidInput(_("This DICOM file is incomplete (%(problem)s); nothing was stored.", problem=problem))
            hold_reason = burned_in.reason(dataset)
            deidentify(dataset, pseudonym, options)
            out = io.BytesIO()
            dataset.save_as(out, enforce_file_format=True)
            label = _series_label(dataset)
            number = dataset.get("InstanceNumber")
            facts = DicomFacts(
                study_uid=str(dataset.get("StudyInstanceUID", "")),
                series_uid=str(dataset.get("SeriesInstanceUID", "")),
                series_label=(label or "DICOM series")[:200],
                instance_number=int(number) if number not in (None, "") else None,
                image=imaging.facts(dataset),
                hold_reason=hold_reason,
            )
    except dicom_files.UNREADABLE:
        raise InvalidInput(_("This DICOM file cannot be read (damaged or incomplete); nothing was stored.")) from None
    out.seek(0)
    return out, facts


def _defused(source: BinaryIO, limit: int) -> tuple[BinaryIO, frozenset[str]]:
    """The uploaded PDF as it came, or a copy without what could run when it is opened, and what was removed."""
    raw = source.read(limit + 1)
    if len(raw) > limit:
        raise InvalidInput(_("The file is larger than %(n)d MB.", n=limit // (1024 * 1024)))
    try:
        defused = pdf_safety.defuse(raw)
    except pdf_safety.Unreadable as problem:
        reasons = {
            problem.PASSWORD: _("This PDF is locked with a password: attach a copy without one; nothing was stored."),
            problem.STUCK: _("Scripts or files in this PDF cannot be removed: print it to a new PDF and attach that; nothing was stored."),
        }
        raise InvalidInput(
            reasons.get(problem.reason, _("This PDF cannot be read (damaged?): print it to a new PDF and attach that; nothing was stored."))
        ) from None
    return io.BytesIO(defused.data), defused.removed


def _refuse_identifying_pdf(source: BinaryIO, patient: PatientRow) -> None:
    """A PDF for a panel whose pages, notes, form fields or bookmarks name the patient is refused, saying where."""
    data = source.read()
    source.seek(0)
    try:
        for page, text in pdf_safety.texts(data):
            if privacy.problem_with(text, patient):
                where = _("on page %(n)d", n=page) if page else _("in its form fields or bookmarks")
                raise InvalidInput(
                    _(
                        "This PDF identifies the patient %(where)s (their name, birth date or record label): panel members outside "
                        "the patient's centre read it. Remove what identifies them and attach it again; nothing was stored.",
                        where=where,
                    )
                )
    except pdf_safety.Unreadable:
        raise InvalidInput(_("This PDF cannot be read (damaged?): print it to a new PDF and attach that; nothing was stored.")) from None


def _without_hidden_text(source: BinaryIO, media_type: str, limit: int) -> tuple[BinaryIO, frozenset[str]]:
    """A picture without the text its format hides (EXIF, comments, text chunks), and whether any was removed."""
    raw = source.read(limit + 1)
    if len(raw) > limit:
        raise InvalidInput(_("The file is larger than %(n)d MB.", n=limit // (1024 * 1024)))
    try:
        data, removed = (image_metadata.without_png_text if media_type == PNG else image_metadata.without_jpeg_text)(raw)
    except image_metadata.Malformed:
        raise InvalidInput(_("This picture is damaged (its structure is incomplete); nothing was stored.")) from None
    return io.BytesIO(data), frozenset({pdf_safety.METADATA}) if removed else frozenset()


def _removed_text(removed: frozenset[str]) -> str:
    """What was cut out of a PDF, in words for the person who uploaded it."""
    words = {
        pdf_safety.JAVASCRIPT: _("JavaScript"),
        pdf_safety.LAUNCH: _("actions that start programs or open other files"),
        pdf_safety.SUBMIT: _("actions that send form data"),
        pdf_safety.AUTOMATIC: _("actions run on opening a page or field"),
        pdf_safety.EMBEDDED: _("embedded files"),
        pdf_safety.XFA: _("XFA forms"),
        pdf_safety.MULTIMEDIA: _("multimedia"),
        pdf_safety.METADATA: _("hidden details (author, title, comments, camera data)"),
        pdf_safety.REVISIONS: _("earlier versions (kept inside the file by each edit)"),
    }
    return ", ".join(words[kind] for kind in sorted(removed))


def document_for(actor: User, document_id: int) -> Document:
    """A document for someone who may see it (NotFound otherwise: existence does not leak).

    The patient's centre sees all of the patient's documents; those who see a panel see its shared ones.
    """
    document = db.session.get(Document, document_id)
    if document is None:
        raise NotFound(_("No such document."))
    patient = db.session.get(PatientRow, document.patient_id)
    if patient is not None and security.can_see_identifying_data(actor, patient):
        return document
    panel = db.session.get(Panel, document.panel_id) if document.panel_id is not None else None
    if panel is not None and not document.held and security.can_see_panel(actor, panel):
        return document
    raise NotFound(_("No such document."))


def series_of(actor: User, document_id: int) -> list[Document]:
    """Every image of the series a document belongs to, in the same place and state, in slice order."""
    document = document_for(actor, document_id)
    if not document.series_uid:
        return [document]
    documents = db.session.scalars(
        select(Document).where(
            Document.patient_id == document.patient_id,
            Document.panel_id.is_(None) if document.panel_id is None else Document.panel_id == document.panel_id,
            Document.series_uid == document.series_uid,
            Document.status == document.status,
        )
    ).all()
    return sorted(documents, key=_slice_order)


def series_nearby(actor: User, document: Document) -> list[tuple[int, str, int]]:
    """The other image series beside this one (same panel, or same patient record): first image, label, count."""
    place = Document.panel_id.is_(None) if document.panel_id is None else Document.panel_id == document.panel_id
    rows = db.session.execute(
        select(func.min(Document.id), func.max(Document.series_label), func.count())
        .where(Document.patient_id == document.patient_id, place, Document.status == document.status, Document.media_type == DICOM)
        .group_by(Document.series_uid)
        .order_by(func.min(Document.id))
        .limit(50)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def _slice_order(document: Document) -> tuple[float, float, int]:
    position = (document.image or {}).get("position")
    return (
        document.instance_number if document.instance_number is not None else 1e9,
        position if position is not None else 0.0,
        document.id,
    )


def _held_series(actor: User, document_id: int) -> tuple[Panel, list[Document]]:
    """A series held for review, for someone of the patient's centre (who alone may share or discard it)."""
    documents = series_of(actor, document_id)
    first = documents[0]
    patient = db.session.get(PatientRow, first.patient_id)
    if not first.held or first.panel_id is None or patient is None or not security.can_see_identifying_data(actor, patient):
        raise NotFound(_("No series is waiting for review here."))
    panel = db.session.get(Panel, first.panel_id)
    assert panel is not None
    if panel.closed:
        raise Conflict(_("Panel %(title)s is closed: it can no longer change.", title=panel.title))
    return panel, documents


def share_reviewed(actor: User, document_id: int, origin: RequestInfo) -> Panel:
    """Someone of the centre looked at every image of a held series and found no identifying text: share it."""
    with transaction():
        panel, documents = _held_series(actor, document_id)
        for document in documents:
            document.status, document.reviewed_by_id, document.reviewed_at = SHARED, actor.id, utcnow()
        label = documents[0].series_label
        shared = N_("%(name)s reviewed and shared %(count)s image(s): %(label)s")
        timeline.add(panel, "document", shared, actor, name=actor.full_name, count=len(documents), label=label)
        audit.record(actor, "document.shared_after_review", "panel", panel.id, origin, images=len(documents))
        return panel


def discard_held(actor: User, document_id: int, origin: RequestInfo) -> Panel:
    """Remove a held series that shows identifying text (the stored contents stay until no document uses them)."""
    with transaction():
        panel, documents = _held_series(actor, document_id)
        for document in documents:
            db.session.delete(document)
        audit.record(actor, "document.discarded_after_review", "panel", panel.id, origin, images=len(documents))
        return panel


def _series_label(dataset: Dataset) -> str:
    """How a series is named to the panel, from the de-identified file: its description where the ERN cleans descriptors
    (else the profile removed it), otherwise the body part and the series number."""
    parts = [str(dataset.get("Modality") or "")]
    if description := str(dataset.get("SeriesDescription") or ""):
        parts.append(description)
    else:
        parts.append(str(dataset.get("BodyPartExamined") or "").lower())
        number = dataset.get("SeriesNumber")
        parts.append(_("series %(n)s", n=number) if number not in (None, "") else "")
    return " ".join(part for part in parts if part).strip()


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
    """Who the images are about (their CPMS ID and what identifies them, to find it in text) and the ERN's options."""
    return Patient(str(patient.cpms_id), secret, patient.identity()), _options(patient.ern_id)


@dataclass
class UploadSummary:
    """What became of the files of one upload: attached, held for review, or refused (name and reason)."""

    attached: int = 0
    held: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # Files stored without active content or hidden text: name, what was removed, whether any of it could run.
    cleaned: list[tuple[str, str, bool]] = field(default_factory=list)

    def add(self, document: Document, prepared: Prepared) -> None:
        self.attached += 1
        self.held += document.held
        if prepared.removed:
            could_run = bool(prepared.removed - {pdf_safety.METADATA, pdf_safety.REVISIONS})
            self.cleaned.append((prepared.title, _removed_text(prepared.removed), could_run))


MAX_ZIP_MEMBERS = 5000


def attach_many(
    actor: User, where: Where, files: list[tuple[str, BinaryIO]], kind: str, storage: Storage, limit: int, origin: RequestInfo
) -> UploadSummary:
    """Attach several files, each on its own (zips opened member by member); a refused file never stops the others."""
    summary = UploadSummary()
    for name, stream in files:
        if _is_zip(stream):
            attach_zip(actor, where, stream, storage, limit, origin, summary)
            continue
        try:
            attach(actor, where, stream, name, kind, storage, limit, origin, summary)
        except InvalidInput as error:
            summary.skipped.append((name, error.message))
    return summary


def _is_zip(stream: BinaryIO) -> bool:
    head = stream.read(4)
    stream.seek(0)
    return head == b"PK\x03\x04"


def attach_zip(
    actor: User, where: Where, stream: BinaryIO, storage: Storage, limit: int, origin: RequestInfo, summary: UploadSummary
) -> None:
    """Attach every file of a zipped study (DICOM de-identified; DICOMDIRs and refused files listed, not stored)."""
    _destination(actor, where)
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError):
        summary.skipped.append((_("zip file"), _("This zip file cannot be read; nothing was stored.")))
        return
    members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
    if len(members) > MAX_ZIP_MEMBERS:
        summary.skipped.append((_("zip file"), _("The zip file holds more than %(n)d files; split it.", n=MAX_ZIP_MEMBERS)))
        return
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
                attach(actor, where, content, name, "document", storage, limit, origin, summary)  # type: ignore[arg-type]
        except InvalidInput as error:
            summary.skipped.append((name, error.message))
        except (zipfile.BadZipFile, OSError, RuntimeError):
            summary.skipped.append((name, _("damaged inside the zip file")))


def import_folder(
    actor: User, cpms_id: str, folder: Path, storage: Storage, limit: int, origin: RequestInfo, progress: Any
) -> UploadSummary:
    """Attach every file under a folder to a patient's record at their centre (the bulk road for large studies)."""
    patient = db.session.scalar(select(PatientRow).where(PatientRow.cpms_id == cpms_id))
    if patient is None:
        raise NotFound(_("No patient has the CPMS ID %(cpms_id)s.", cpms_id=cpms_id))
    where = Where(patient_id=patient.id)
    _destination(actor, where)
    summary = UploadSummary()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        with path.open("rb") as stream:
            if path.name.upper() == "DICOMDIR":
                summary.skipped.append((str(path.relative_to(folder)), _("a DICOMDIR: its files are imported one by one")))
            else:
                try:
                    attach(actor, where, stream, path.name, "document", storage, limit, origin, summary)
                except InvalidInput as error:
                    summary.skipped.append((str(path.relative_to(folder)), error.message))
        progress(path)
    return summary


def options_for_ern(actor: User, ern_id: int) -> Options:
    """The ERN's de-identification options, for its managers (and administrators)."""
    if not security.manages_ern(actor, ern_id):
        raise NotAllowed(_("Only the ERN's managers choose its de-identification options."))
    return _options(ern_id)


def _options(ern_id: int) -> Options:
    settings = db.session.get(ErnSettings, ern_id)
    if settings is None:
        return Options()
    return Options(
        clean_descriptors=settings.clean_descriptors,
        retain_patient_characteristics=settings.retain_patient_characteristics,
        retain_device_identity=settings.retain_device_identity,
    )


def set_options_for_ern(actor: User, ern_id: int, options: Options, origin: RequestInfo) -> None:
    """Choose the optional parts of the profile for the ERN's future uploads (files already stored stay as they are)."""
    with transaction():
        options_for_ern(actor, ern_id)
        settings = db.session.get(ErnSettings, ern_id)
        if settings is None:
            settings = ErnSettings(ern_id=ern_id)
            db.session.add(settings)
        settings.clean_descriptors = options.clean_descriptors
        settings.retain_patient_characteristics = options.retain_patient_characteristics
        settings.retain_device_identity = options.retain_device_identity
        audit.record(
            actor,
            "ern.deidentification_options",
            "ern",
            ern_id,
            origin,
            clean_descriptors=options.clean_descriptors,
            retain_patient_characteristics=options.retain_patient_characteristics,
            retain_device_identity=options.retain_device_identity,
        )
