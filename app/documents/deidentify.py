"""De-identification of DICOM datasets by DICOM PS3.15 Annex E, Table E.1-1 (edition 2026d).

Basic Application Level Confidentiality Profile with the options Retain Longitudinal Temporal
Information with Modified Dates and Clean Descriptors, and optionally Retain Patient
Characteristics and Retain Device Identity. Every attribute at every nesting depth is handled:

- X removed; Z emptied; D replaced by a dummy valid for the VR; U replaced by a UID derived from
  (secret, patient, original UID): the same original gives the same new UID for the same patient in
  every upload, never the original; C cleaned (dates shifted by one secret offset per patient; text
  cleared of the patient's names and identifiers); K kept, sequences cleaned recursively.
- Where the table allows a choice (X/Z, X/D, Z/D, X/Z/D, X/Z/U*) the last one is taken, so that the
  result stays valid for any IOD (Type 2 attributes are kept empty, references get new UIDs).
- Private attributes are removed (the safe list is empty), curves and overlay data/comments too.
- Patient Name and Patient ID become the CPMS ID; Patient Identity Removed, De-identification
  Method (and its code sequence) and Longitudinal Temporal Information Modified are set; the file
  meta information is rebuilt with the transfer syntax kept, so compressed pixel data stays as is.

No Flask here: the upload service and the command line call it.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import timedelta
from functools import cache
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.sr.codedict import codes
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID
from pydicom.uid import generate_uid

TABLE = Path(__file__).with_name("data") / "ps315_table_e1_1.json"
UID_ROOT = "2.25."  # derived UIDs below the UUID arc; generate_uid turns the hash into a UUID-sized integer
MAX_SHIFT_DAYS = 3650


@dataclass(frozen=True)
class Options:
    retain_patient_characteristics: bool = False
    retain_device_identity: bool = False

    def enabled(self) -> tuple[str, ...]:
        names = ["retain_longitudinal_modified_dates", "clean_descriptors"]
        if self.retain_patient_characteristics:
            names.append("retain_patient_characteristics")
        if self.retain_device_identity:
            names.append("retain_device_identity")
        return tuple(names)


@dataclass(frozen=True)
class Rules:
    exact: dict[int, tuple[str, dict[str, str]]]
    masked: tuple[tuple[int, int, str], ...]  # (mask, value, action) for the xx wildcards


@cache
def rules() -> Rules:
    table = json.loads(TABLE.read_text(encoding="utf-8"))
    exact: dict[int, tuple[str, dict[str, str]]] = {}
    masked = []
    for row in table["rules"]:
        tag = row["tag"]
        if tag == "PRIVATE":
            continue  # handled by group parity
        if "x" in tag.lower():
            mask = int("".join("0" if c in "xX" else "F" for c in tag), 16)
            value = int("".join("0" if c in "xX" else c for c in tag), 16)
            masked.append((mask, value, row["basic"]))
        else:
            exact[int(tag, 16)] = (row["basic"], row["options"])
    return Rules(exact, tuple(masked))


@lru_cache(maxsize=4096)
def action_for(tag: int, options: Options) -> str:
    """The one action for an attribute: the options' (clean beats keep), else the basic profile's,
    choices resolved to their last alternative. K for attributes the table does not list."""
    found = rules().exact.get(tag)
    if found is None:
        for mask, value, action in rules().masked:
            if tag & mask == value:
                return action
        return "K"
    basic, by_option = found
    chosen = [by_option[name] for name in options.enabled() if name in by_option]
    if "C" in chosen:
        return "C"
    if "K" in chosen:
        return "K"
    return basic.split("/")[-1].rstrip("*")


@dataclass(frozen=True)
class Patient:
    """What identifies the patient in the data (for cleaning text), and their pseudonym."""

    cpms_id: str
    secret: bytes
    identifiers: tuple[str, ...] = ()

    def shift(self) -> timedelta:
        digest = hmac.new(self.secret, f"date-shift|{self.cpms_id}".encode(), hashlib.sha256).digest()
        days = int.from_bytes(digest[:4], "big") % (2 * MAX_SHIFT_DAYS) - MAX_SHIFT_DAYS
        return timedelta(days=days or 1)  # never zero: a shift of nothing would keep the real dates

    def uid(self, original: str) -> str:
        key = hmac.new(self.secret, f"uid|{self.cpms_id}|{original}".encode(), hashlib.sha256).hexdigest()
        return str(generate_uid(prefix=UID_ROOT, entropy_srcs=[key]))


_DUMMIES: dict[str, Any] = {
    "AE": "ANONYMOUS",
    "AS": "000D",
    "CS": "ANONYMOUS",
    "DA": "19000101",
    "DT": "19000101000000",
    "TM": "000000",
    "DS": "0",
    "IS": "0",
    "LO": "ANONYMOUS",
    "LT": "ANONYMOUS",
    "PN": "ANONYMOUS",
    "SH": "ANONYMOUS",
    "ST": "ANONYMOUS",
    "UC": "ANONYMOUS",
    "UT": "ANONYMOUS",
    "UR": "",
    "FL": 0.0,
    "FD": 0.0,
    "SL": 0,
    "SS": 0,
    "UL": 0,
    "US": 0,
    "SV": 0,
    "UV": 0,
    "OB": b"\x00\x00",
    "OW": b"\x00\x00",
    "UN": b"\x00\x00",
}
_TEXT_VRS = {"LO", "LT", "SH", "ST", "UC", "UT", "PN"}


def deidentify(dataset: Dataset, patient: Patient, options: Options) -> Dataset:
    """De-identify ``dataset`` in place (every depth) and mark it; returns it."""
    patient = replace(patient, identifiers=patient.identifiers + identifiers_of(dataset))
    _clean(dataset, patient, options)
    dataset.PatientName = patient.cpms_id
    dataset.PatientID = patient.cpms_id
    dataset.PatientIdentityRemoved = "YES"
    dataset.LongitudinalTemporalInformationModified = "MODIFIED"
    methods = ["Basic"] + [name for name in options.enabled()]
    dataset.DeidentificationMethod = ("PS3.15 E.1-1 2026d: " + ", ".join(_short(m) for m in methods))[:64]
    items = list(dataset.get("DeidentificationMethodCodeSequence", Sequence()))
    items.extend(_code_items(options))
    dataset.DeidentificationMethodCodeSequence = Sequence(items)
    _rebuild_file_meta(dataset)
    return dataset


def _short(option: str) -> str:
    return {
        "Basic": "Basic",
        "retain_longitudinal_modified_dates": "RtnLongModifDates",
        "clean_descriptors": "CleanDesc",
        "retain_patient_characteristics": "RtnPatChars",
        "retain_device_identity": "RtnDevId",
    }[option]


def _code_items(options: Options) -> list[Dataset]:
    return [copy.copy(item) for item in _code_item_templates(options)]


@lru_cache(maxsize=8)
def _code_item_templates(options: Options) -> tuple[Dataset, ...]:
    cid = codes.cid7050
    chosen = [
        cid.BasicApplicationConfidentialityProfile,
        cid.RetainLongitudinalTemporalInformationModifiedDatesOption,
        cid.CleanDescriptorsOption,
    ]
    if options.retain_patient_characteristics:
        chosen.append(cid.RetainPatientCharacteristicsOption)
    if options.retain_device_identity:
        chosen.append(cid.RetainDeviceIdentityOption)
    items = []
    for code in chosen:
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = code.value, code.scheme_designator, code.meaning
        items.append(item)
    return tuple(items)


def _clean(dataset: Dataset, patient: Patient, options: Options) -> None:
    for tag in list(dataset.keys()):
        if tag.is_private:
            del dataset[tag]
            continue
        action = action_for(int(tag), options)
        raw = dataset.get_item(tag)
        if action == "K" and raw is not None and raw.VR not in (None, "SQ", "UN"):
            continue  # kept as read: not even decoded (pixel data and most attributes pass through untouched)
        element = dataset[tag]
        if element.VR == "SQ":
            _sequence(dataset, element, action, patient, options)
            continue
        if action == "X":
            del dataset[tag]
        elif action == "Z":
            element.value = None if element.VR not in ("OB", "OW", "UN") else b""
        elif action == "D":
            element.value = _dummy(element, patient)
        elif action == "U":
            element.value = _new_uids(element.value, patient)
        elif action == "C":
            element.value = _cleaned(element, patient)


def _sequence(dataset: Dataset, element: DataElement, action: str, patient: Patient, options: Options) -> None:
    if action == "X":
        del dataset[element.tag]
    elif action in ("Z", "D"):
        element.value = Sequence()
    else:  # K, C, U: keep the items, each cleaned like a dataset
        for item in element.value:
            _clean(item, patient, options)


def _dummy(element: DataElement, patient: Patient) -> Any:
    if element.VR == "UI":
        return _new_uids(element.value, patient)
    return _DUMMIES.get(element.VR, None)


def _new_uids(value: Any, patient: Patient) -> Any:
    if value is None or value == "":
        return value
    if isinstance(value, (list, tuple)) or hasattr(value, "__iter__") and not isinstance(value, str):
        return [patient.uid(str(v)) for v in value]
    return patient.uid(str(value))


def _cleaned(element: DataElement, patient: Patient) -> Any:
    """C: dates keep their intervals (shifted), text loses the patient's identifiers, other values are emptied."""
    value = element.value
    if value in (None, ""):
        return value
    if element.VR == "DA":
        return _shift_date(str(value), patient)
    if element.VR == "DT":
        text = str(value)
        return _shift_date(text[:8], patient) + text[8:] if len(text) >= 8 else None
    if element.VR == "TM":
        return value  # times of day are kept; the date shift moves whole days
    if element.VR in _TEXT_VRS:
        return _without_identifiers(str(value), patient)
    if element.VR == "UI":
        return _new_uids(value, patient)
    return None


def _shift_date(text: str, patient: Patient) -> str:
    if not re.fullmatch(r"\d{8}", text):
        return ""
    try:
        day = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return ""
    return (day + patient.shift()).strftime("%Y%m%d")


def _without_identifiers(text: str, patient: Patient) -> str:
    cleaned = text
    for identifier in patient.identifiers:
        for part in re.split(r"[\s^,]+", identifier):
            if len(part) > 1:
                cleaned = re.sub(re.escape(part), "***", cleaned, flags=re.IGNORECASE)
    return cleaned


def _rebuild_file_meta(dataset: Dataset) -> None:
    old = getattr(dataset, "file_meta", None)
    meta = FileMetaDataset()
    if old is not None and "TransferSyntaxUID" in old:
        meta.TransferSyntaxUID = old.TransferSyntaxUID
    if "SOPClassUID" in dataset:
        meta.MediaStorageSOPClassUID = dataset.SOPClassUID
    if "SOPInstanceUID" in dataset:
        meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "CONSILIUM"
    dataset.file_meta = meta


def identifiers_of(dataset: Dataset) -> tuple[str, ...]:
    """The patient's identifying values found in the data itself (to clean them out of descriptions)."""
    found = []
    for keyword in ("PatientName", "PatientID", "OtherPatientIDs", "PatientBirthName", "PatientMotherBirthName"):
        value = dataset.get(keyword)
        if value:
            found.append(str(value))
    return tuple(found)
