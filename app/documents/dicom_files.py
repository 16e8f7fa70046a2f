"""De-identifying DICOM files on disk (bulk import, the role FTP plays in the system ERNs use today).

Each file is read, de-identified by ``deidentify`` and written under new names only (study, series
and instance UIDs after de-identification); DICOMDIRs and non-DICOM files are reported, not copied.
No Flask here.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import BinaryIO

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import BytesLengthException
from pydicom.errors import InvalidDicomError
from pydicom.pixels.utils import get_expected_length

from app.documents.deidentify import Options
from app.documents.deidentify import Patient
from app.documents.deidentify import deidentify

DICOMDIR_CLASS = "1.2.840.10008.1.3.10"
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
    if "PixelData" not in dataset or syntax is None or syntax.is_compressed:
        return ""
    try:
        expected = get_expected_length(dataset)
    except (AttributeError, KeyError, TypeError, ValueError):
        return "the image description is incomplete"
    actual = len(dataset.PixelData)
    return f"truncated: {actual} of {expected} bytes of pixel data" if actual < expected else ""


def deidentify_folder(
    source: Path, target: Path, patient: Patient, options: Options, progress: Callable[[Path], None] = lambda _path: None
) -> Summary:
    """De-identify every DICOM file under ``source`` into ``target``/<study>/<series>/<instance>.dcm."""
    summary = Summary()
    for path in files_under(source):
        progress(path)
        try:
            dataset = read(path)
        except UNREADABLE as error:
            summary.skipped.append((path, f"not a readable DICOM file ({type(error).__name__})"))
            continue
        if (
            str(getattr(dataset.get("file_meta", None), "MediaStorageSOPClassUID", "")) == DICOMDIR_CLASS
            or "DirectoryRecordSequence" in dataset
        ):
            summary.dicomdirs.append(path)  # its referenced files are in the tree; the directory itself names originals
            continue
        if problem := truncation(dataset):
            summary.skipped.append((path, problem))
            continue
        try:
            deidentify(dataset, patient, options)
            study = str(dataset.get("StudyInstanceUID", "unknown-study"))
            series = str(dataset.get("SeriesInstanceUID", "unknown-series"))
            instance = str(dataset.get("SOPInstanceUID", f"instance-{len(summary.written) + 1}"))
            out = target / study / series / f"{instance}.dcm"
            out.parent.mkdir(parents=True, exist_ok=True)
            dataset.save_as(out, enforce_file_format=True)
        except UNREADABLE as error:
            summary.skipped.append((path, f"could not be de-identified ({type(error).__name__}: {str(error)[:120]})"))
            continue
        summary.written.append(out)
    return summary
