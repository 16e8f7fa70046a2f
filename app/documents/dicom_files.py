"""De-identifying DICOM files on disk (bulk import, the role FTP plays in the system ERNs use today).

Each file is read, de-identified by ``deidentify`` and written under new names only (study, series
and instance UIDs after de-identification); DICOMDIRs and non-DICOM files are reported, not copied.
Files that may show identifying text in their pixels (``burned_in``) are held as an upload is: listed
with the reason, never written out as de-identified (attach them through the app, where the patient's
centre reviews them before a panel sees them).
No Flask here.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import BinaryIO
from typing import cast

from pydicom import dcmread
from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataelem import RawDataElement
from pydicom.dataelem import convert_raw_data_element
from pydicom.dataset import Dataset
from pydicom.errors import BytesLengthException
from pydicom.errors import InvalidDicomError
from pydicom.pixels.utils import get_expected_length

from app.documents import burned_in
from app.documents import pydicom_raw
from app.documents.deidentify import Options
from app.documents.deidentify import Patient
from app.documents.deidentify import deidentify

DICOMDIR_CLASS = "1.2.840.10008.1.3.10"
DIRECTORY_RECORD_SEQUENCE = 0x00041220
PIXEL_DATA = 0x7FE00010
SAMPLES_PER_PIXEL, PHOTOMETRIC_INTERPRETATION, NUMBER_OF_FRAMES = 0x00280002, 0x00280004, 0x00280008
ROWS, COLUMNS, BITS_ALLOCATED = 0x00280010, 0x00280011, 0x00280100
# What a damaged or odd file raises while it is read, checked or written (lazily parsed values included).
UNREADABLE = (
    InvalidDicomError,
    BytesLengthException,
    EOFError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    NotImplementedError,
    OSError,
)


@dataclass
class Summary:
    written: list[Path] = field(default_factory=list)
    dicomdirs: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    held: list[tuple[Path, str]] = field(default_factory=list)  # may show identifying text in the pixels: not written


def files_under(root: Path) -> list[Path]:
    """Every regular file below ``root`` (subfolders included), in a stable order; links are not followed."""
    return sorted(path for path in root.rglob("*") if path.is_file() and not path.is_symlink())


def read(source: Path | BinaryIO) -> Dataset:
    """Read a DICOM file; pydicom's warnings about sloppy encodings (common in real files) are not errors here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return dcmread(source)


def truncation(dataset: Dataset) -> str:
    """Why uncompressed pixel data is incomplete, or ''."""
    syntax = getattr(getattr(dataset, "file_meta", None), "TransferSyntaxUID", None)
    if PIXEL_DATA not in dataset or syntax is None or syntax.is_compressed:
        return ""
    try:
        expected = _expected_length(dataset)
    except (AttributeError, KeyError, TypeError, ValueError):
        return "the image description is incomplete"
    actual = len(dataset.get_item(PIXEL_DATA).value)  # the bytes read, raw or decoded alike
    return f"truncated: {actual} of {expected} bytes of pixel data" if actual < expected else ""


def _expected_length(dataset: Dataset) -> int:
    """``get_expected_length``, worked out from the raw bytes where the image description is the usual
    one (single unsigned shorts, a plain frame count): decoding it costs more than the whole check, and
    undecoded it is written back as its bytes. Any other description goes to pydicom's function."""
    numbers = [_unsigned_short(dataset.get_item(tag)) for tag in (ROWS, COLUMNS, SAMPLES_PER_PIXEL, BITS_ALLOCATED)]
    frames = _frames(dataset.get_item(NUMBER_OF_FRAMES))
    photometric = dataset.get_item(PHOTOMETRIC_INTERPRETATION)
    if None in numbers or frames is None or not _raw_of(photometric, "CS"):
        return get_expected_length(dataset)
    rows, columns, samples, bits = cast(list[int], numbers)
    length = rows * columns * samples * frames
    length = length // 8 + (length % 8 > 0) if bits == 1 else length * (bits // 8)
    return length // 3 * 2 if photometric.value.rstrip(b" \0") == b"YBR_FULL_422" else length


def _raw_of(element: DataElement | RawDataElement | None, vr: str) -> bool:
    """Whether ``element`` is still raw, of ``vr`` (explicit, or implicit: the dictionary's VR of the tags read here)."""
    return element is not None and element.is_raw and element.VR in (vr, None) and isinstance(element.value, bytes)


def _unsigned_short(element: DataElement | RawDataElement | None) -> int | None:
    if not _raw_of(element, "US") or len(element.value) != 2:
        return None
    return int.from_bytes(element.value, "little" if element.is_little_endian else "big")


def _frames(element: DataElement | RawDataElement | None) -> int | None:
    """1 without Number of Frames; None where its value is not plain digits (pydicom warns about some)."""
    if element is None:
        return 1
    if not _raw_of(element, "IS") or not re.fullmatch(rb"[1-9][0-9]{0,8} ?", element.value):
        return None
    return int(element.value)


def deidentify_folder(
    source: Path, target: Path, patient: Patient, options: Options, progress: Callable[[Path], None] = lambda _path: None
) -> Summary:
    """De-identify every DICOM file under ``source`` into ``target``/<study>/<series>/<instance>.dcm."""
    summary = Summary()
    folders: set[Path] = set()  # made already
    for path in files_under(source):
        progress(path)
        try:
            dataset = read(path)
        except UNREADABLE as error:
            summary.skipped.append((path, f"not a readable DICOM file ({type(error).__name__})"))
            continue
        if (
            str(getattr(dataset.get("file_meta", None), "MediaStorageSOPClassUID", "")) == DICOMDIR_CLASS
            or DIRECTORY_RECORD_SEQUENCE in dataset
        ):
            summary.dicomdirs.append(path)  # its referenced files are in the tree; the directory itself names originals
            continue
        try:
            with warnings.catch_warnings():  # odd original values: the outcome says what happened, not noise
                warnings.simplefilter("ignore")
                if problem := truncation(dataset):
                    summary.skipped.append((path, problem))
                    continue
                if reason := burned_in.reason(dataset):
                    summary.held.append((path, reason))
                    continue
                deidentify(dataset, patient, options)
                study = _text(dataset, "StudyInstanceUID", "unknown-study")
                series = _text(dataset, "SeriesInstanceUID", "unknown-series")
                instance = _text(dataset, "SOPInstanceUID", f"instance-{len(summary.written) + 1}")
                out = target / study / series / f"{instance}.dcm"
                if out.parent not in folders:
                    out.parent.mkdir(parents=True, exist_ok=True)
                    folders.add(out.parent)
                dataset.save_as(out, enforce_file_format=True)
        except UNREADABLE as error:
            summary.skipped.append((path, f"could not be de-identified ({type(error).__name__}: {str(error)[:120]})"))
            continue
        summary.written.append(out)
    return summary


def _text(dataset: Dataset, keyword: str, default: str) -> str:
    """``str(dataset.get(keyword, default))``; a raw element is decoded without being stored, so that it is written as its bytes."""
    element = dataset.get_item(tag_for_keyword(keyword))
    if element is None:
        return default
    if element.is_raw:
        element = convert_raw_data_element(element, encoding=pydicom_raw.decoding_character_set(dataset), ds=dataset)
    return str(element.value)
