"""De-identification of DICOM datasets by DICOM PS3.15 Annex E, Table E.1-1 (edition 2026d).

Basic Application Level Confidentiality Profile with the option Retain Longitudinal Temporal
Information with Modified Dates, and, as an ERN chooses, Clean Descriptors, Retain Patient
Characteristics and Retain Device Identity. Every attribute at every nesting depth is handled:

- X removed; Z emptied; D replaced by a dummy valid for the VR; U replaced by a UID derived from
  (secret, patient, original UID): the same original gives the same new UID for the same patient in
  every upload, never the original; C cleaned (dates shifted by one secret offset per patient; a
  text kept only when nothing in it may identify anyone: no date, nothing shaped like an
  identifier, none of the patient's values, else removed whole); K kept, sequences cleaned recursively.
- Without Clean Descriptors (the default) descriptions and comments are removed, as the profile says.
- Where the table allows a choice (X/Z, X/D, Z/D, X/Z/D, X/Z/U*) the last one is taken, so that the
  result stays valid for any IOD (Type 2 attributes are kept empty, references get new UIDs).
- Private attributes are removed (the safe list is empty), curves and overlay data/comments too.
- Beyond the table (its gaps: ``consilium_additions.json``): attributes that name issuers, facilities,
  contacts or write birth dates in other calendars are removed, comments too; every person name is
  removed; every date is shifted; any kept text that holds one of the patient's values (from the
  record and from the file itself: names, birth date in any spelling, identifiers, address, phone)
  is emptied.
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
from collections.abc import Hashable
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import timedelta
from functools import cache
from functools import lru_cache
from pathlib import Path
from typing import Any
from typing import cast

from pydicom import config
from pydicom.charset import default_encoding
from pydicom.datadict import DicomDictionary
from pydicom.datadict import dictionary_VR
from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataelem import RawDataElement
from pydicom.dataelem import convert_raw_data_element
from pydicom.dataset import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.sr.codedict import codes
from pydicom.tag import BaseTag
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID
from pydicom.uid import UID
from pydicom.uid import generate_uid
from pydicom.valuerep import EXPLICIT_VR_LENGTH_32
from pydicom.valuerep import STANDARD_VR
from pydicom.values import convert_value

from app.documents import pydicom_raw
from app.identifying import Identity
from app.identifying import doubtful
from app.identifying import mentions_patient

TABLE = Path(__file__).with_name("data") / "ps315_table_e1_1.json"
ADDITIONS = Path(__file__).with_name("data") / "consilium_additions.json"
UID_ROOT = "2.25."  # derived UIDs below the UUID arc; generate_uid turns the hash into a UUID-sized integer
MAX_SHIFT_DAYS = 3650
UNDEFINED_LENGTH = 0xFFFFFFFF
# Where a file names its patient: Patient's Name, Other Patient Names, Person Names to Use, Patient's Birth Name,
# Patient's Mother's Birth Name; their birth date; their identifiers, address, phone, and the issuing institution.
IDENTIFYING_NAMES = (0x00100010, 0x00101001, 0x00100011, 0x00101005, 0x00101060)
IDENTIFYING_DATES = (0x00100030,)
IDENTIFYING_OTHERS = (
    0x00100020,  # Patient ID
    0x00101000,  # Other Patient IDs
    0x00100021,  # Issuer of Patient ID
    0x00101040,  # Patient's Address
    0x00102154,  # Patient's Telephone Numbers
    0x00102155,  # Patient's Telecom Information
    0x00101090,  # Medical Record Locator
    0x00100033,  # Patient's Birth Date in Alternative Calendar
    0x00380010,  # Admission ID
    0x00080050,  # Accession Number
    0x00080080,  # Institution Name
    0x00080081,  # Institution Address
)
OTHER_PATIENT_IDS_SEQUENCE = 0x00101002
# Kept values of these VRs are searched for the patient's values (text and the codes a name or ID may be written in).
_SEARCHED_VRS = {"LO", "LT", "SH", "ST", "UC", "UT", "CS", "AE", "UR"}
SOP_CLASS_UID, SOP_INSTANCE_UID = 0x00080016, 0x00080018
METHOD_CODES = 0x00120064  # De-identification Method Code Sequence
MEDIA_STORAGE_SOP_CLASS_UID, MEDIA_STORAGE_SOP_INSTANCE_UID, TRANSFER_SYNTAX_UID = 0x00020002, 0x00020003, 0x00020010
IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME = 0x00020012, 0x00020013


@dataclass(frozen=True)
class Options:
    clean_descriptors: bool = False
    retain_patient_characteristics: bool = False
    retain_device_identity: bool = False

    def enabled(self) -> tuple[str, ...]:
        names = ["retain_longitudinal_modified_dates"]
        if self.clean_descriptors:
            names.append("clean_descriptors")
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
    """Table E.1-1, then Consilium's additions for attributes it does not list, then every other person name
    (removed) and date (shifted) of the dictionary."""
    table = json.loads(TABLE.read_text(encoding="utf-8"))
    exact: dict[int, tuple[str, dict[str, str]]] = {}
    masked = []
    for row in table["rules"] + additions():
        tag = row["tag"]
        if tag == "PRIVATE":
            continue  # handled by group parity
        if "x" in tag.lower():
            mask = int("".join("0" if c in "xX" else "F" for c in tag), 16)
            value = int("".join("0" if c in "xX" else c for c in tag), 16)
            masked.append((mask, value, row["basic"]))
        else:
            exact[int(tag, 16)] = (row["basic"], row["options"])
    for tag, (vr, *_rest) in DicomDictionary.items():
        if tag not in exact and vr == "PN":
            exact[tag] = ("X", {})
        elif tag not in exact and vr in ("DA", "DT"):
            exact[tag] = ("X", {"retain_longitudinal_modified_dates": "C"})
    return Rules(exact, tuple(masked))


@cache
def additions() -> list[dict[str, Any]]:
    """Consilium's rows for attributes that Table E.1-1 does not list but that can identify someone (with why)."""
    return list(json.loads(ADDITIONS.read_text(encoding="utf-8"))["rules"])


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
    identity: Identity = Identity()

    def shift(self) -> timedelta:
        return _shift(self.secret, self.cpms_id)

    def uid(self, original: str) -> str:
        return _derived_uid(self.secret, self.cpms_id, original)


@lru_cache(maxsize=64)
def _shift(secret: bytes, cpms_id: str) -> timedelta:
    digest = hmac.new(secret, f"date-shift|{cpms_id}".encode(), hashlib.sha256).digest()
    days = int.from_bytes(digest[:4], "big") % (2 * MAX_SHIFT_DAYS) - MAX_SHIFT_DAYS
    return timedelta(days=days or 1)  # never zero: a shift of nothing would keep the real dates


@lru_cache(maxsize=4096)
def _derived_uid(secret: bytes, cpms_id: str, original: str) -> str:
    """Cached: every file of a study repeats its study, series and frame of reference UIDs."""
    key = hmac.new(secret, f"uid|{cpms_id}|{original}".encode(), hashlib.sha256).hexdigest()
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
WrittenForm = tuple[tuple[bool, bool], Hashable]  # (implicit VR, little endian), Specific Character Set
_RAW_VRS = {vr.value for vr in STANDARD_VR} - {"SQ", "UN"}
_TEXT_VALUE_VRS = _TEXT_VRS | {"UI", "DA", "DT", "TM"}  # decoded from raw bytes for D, U and C (whatever their length)


def deidentify(dataset: Dataset, patient: Patient, options: Options) -> Dataset:
    """De-identify ``dataset`` in place (every depth) and mark it; returns it."""
    patient = replace(patient, identity=patient.identity.merged(identity_of(dataset)))
    _clean(dataset, patient, options)
    written = _written_form(dataset)
    _set(dataset, "PatientName", patient.cpms_id, written)
    _set(dataset, "PatientID", patient.cpms_id, written)
    _set(dataset, "PatientIdentityRemoved", "YES", written)
    _set(dataset, "LongitudinalTemporalInformationModified", "MODIFIED", written)
    methods = ["Basic"] + [name for name in options.enabled()]
    _set(dataset, "DeidentificationMethod", ("PS3.15 E.1-1 2026d: " + ", ".join(_short(m) for m in methods))[:64], written)
    _add_method_codes(dataset, options, written)
    _rebuild_file_meta(dataset)
    return dataset


def _set(dataset: Dataset, keyword: str, value: str, written: WrittenForm | None) -> None:
    """``setattr(dataset, keyword, value)``, but an attribute that is new, or still raw in its dictionary VR,
    is stored as the bytes pydicom writes for it (see ``_written_form``)."""
    tag = tag_for_keyword(keyword)
    vr = dictionary_VR(tag)
    current = dataset.get_item(tag)
    if written is None or current is not None and not (_undecoded(current) and current.VR == vr):
        setattr(dataset, keyword, value)
    else:
        pydicom_raw.store_raw(dataset, tag, vr, _written_text(tag, vr, value, *written), written[0])


def _add_method_codes(dataset: Dataset, options: Options, written: WrittenForm | None) -> None:
    """The profile's and the options' codes, after any already there. A new sequence is stored as written
    (see ``_written_form``): writing its fresh items would cost more than the whole rest of the file."""
    if written is not None and METHOD_CODES not in dataset:
        pydicom_raw.store_raw(dataset, METHOD_CODES, "SQ", _written_method_codes(options, *written), written[0])
        return
    items = list(dataset.get("DeidentificationMethodCodeSequence", Sequence()))
    items.extend(_code_items(options))
    dataset.DeidentificationMethodCodeSequence = Sequence(items)


def _written_form(dataset: Dataset) -> WrittenForm | None:
    """How ``dcmwrite`` encodes the dataset's own elements: the VR encoding and byte order of its transfer
    syntax, and its Specific Character Set (hashable); None without a transfer syntax pydicom knows.

    The elements added to every file are stored as these bytes, made once per value and form: decoding,
    setting and writing them for each file costs more than all its other elements. A dataset written in
    another form decodes them first, as any raw element."""
    syntax = getattr(getattr(dataset, "file_meta", None), "TransferSyntaxUID", None)
    encoding = _encoding_of(syntax) if isinstance(syntax, UID) else None
    if encoding is None:
        return None
    charset = dataset.get("SpecificCharacterSet", default_encoding)
    return encoding, charset if charset is None or isinstance(charset, str) else tuple(charset)


@lru_cache(maxsize=64)
def _encoding_of(syntax: UID) -> tuple[bool, bool] | None:
    return (syntax.is_implicit_VR, syntax.is_little_endian) if syntax.is_transfer_syntax else None


@lru_cache(maxsize=256)
def _written_text(tag: int, vr: str, value: str, encoding: tuple[bool, bool], charset: Hashable) -> bytes:
    return _written_value(DataElement(tag, vr, value), encoding, charset)


@lru_cache(maxsize=32)
def _written_method_codes(options: Options, encoding: tuple[bool, bool], charset: Hashable) -> bytes:
    return _written_value(DataElement(METHOD_CODES, "SQ", Sequence(_code_items(options))), encoding, charset)


def _written_value(element: DataElement, encoding: tuple[bool, bool], charset: Hashable) -> bytes:
    """The value of ``element`` as ``write_data_element`` writes it in a dataset of that form (without the tag, VR and length)."""
    buffer = DicomBytesIO()
    buffer.is_implicit_VR, buffer.is_little_endian = encoding
    write_data_element(buffer, element, list(charset) if isinstance(charset, tuple) else charset)
    return buffer.getvalue()[12 if not encoding[0] and element.VR in EXPLICIT_VR_LENGTH_32 else 8 :]


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
    chosen = [cid.BasicApplicationConfidentialityProfile, cid.RetainLongitudinalTemporalInformationModifiedDatesOption]
    if options.clean_descriptors:
        chosen.append(cid.CleanDescriptorsOption)
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
    """Apply each attribute's action. The elements are walked in the dataset's own dict, where they are
    still raw as read: pydicom's iteration would decode every one, which costs more than the rest of
    the work, and a raw element is written back as its bytes."""
    actions = _actions(options)
    elements = pydicom_raw.elements(dataset)
    for tag in list(elements):
        if tag >> 16 & 1:  # odd group: private
            del dataset[tag]
            continue
        key = int(tag)  # a plain int: looking a BaseTag up compares it in Python
        action = actions.get(key) or actions.setdefault(key, action_for(key, options))
        element = elements[tag]
        if _undecoded(element):
            if action == "K":
                if element.VR in _SEARCHED_VRS and element.length and mentions_patient(_raw_text(dataset, element), patient.identity):
                    elements[tag] = pydicom_raw.replace_raw(element, b"")
                continue
            if _apply_to_raw(dataset, element, action, patient):
                continue
        _apply(dataset, tag, action, patient, options)


@lru_cache(maxsize=8)
def _actions(options: Options) -> dict[int, str]:
    """``action_for`` memoised per options in a plain dict keyed by tag (cheaper than hashing ``Options`` per element)."""
    return {}


def _undecoded(element: DataElement | RawDataElement) -> bool:
    """Whether ``element`` is raw bytes in an explicit standard VR (implicit and UN ones take the dictionary's
    VR when decoded, unknown ones are refused), not a sequence (its items are cleaned) and of defined length."""
    return element.is_raw and element.VR in _RAW_VRS and element.length != UNDEFINED_LENGTH


def _apply_to_raw(dataset: Dataset, raw: RawDataElement, action: str, patient: Patient) -> bool:
    """Apply ``action`` (not K) to a raw element: without decoding it where its value does not matter, decoding
    only its value where it does, and storing new bytes where they need no character set; False where only
    ``_apply`` can."""
    tag, vr = raw.tag, cast(str, raw.VR)
    if action == "C" and vr == "TM":  # times of day are kept (see _cleaned)
        return True
    if action == "X":
        del dataset[tag]
    elif action == "Z":
        pydicom_raw.elements(dataset)[tag] = pydicom_raw.replace_raw(raw, b"")
    elif action == "D" and vr != "UI":
        pydicom_raw.elements(dataset)[tag] = _dummy(dataset, raw)
    elif action in ("D", "U", "C") and vr in _TEXT_VALUE_VRS:
        value = _raw_value(dataset, raw)
        new = _cleaned(vr, value, patient) if action == "C" else _new_uids(value, patient)
        encoded = _encoded(vr, new)
        pydicom_raw.elements(dataset)[tag] = DataElement(tag, vr, new) if encoded is None else pydicom_raw.replace_raw(raw, encoded)
    else:
        return False
    return True


def _dummy(dataset: Dataset, raw: RawDataElement) -> DataElement | RawDataElement:
    """D: the dummy for the VR, as raw bytes unless it is text in a character set other than the default."""
    vr = cast(str, raw.VR)
    if vr in _TEXT_VRS and pydicom_raw.character_set(dataset) != default_encoding:
        return DataElement(raw.tag, vr, _DUMMIES.get(vr))
    return pydicom_raw.replace_raw(raw, _dummy_bytes(vr))


@cache
def _dummy_bytes(vr: str) -> bytes:
    """The dummy for ``vr`` as pydicom writes it, text in the default character set (numbers are zeros, the same in either byte order)."""
    buffer = DicomBytesIO()
    buffer.is_little_endian, buffer.is_implicit_VR = True, True
    write_data_element(buffer, DataElement(0x00080080, vr, _DUMMIES.get(vr)))
    return buffer.getvalue()[8:]  # after the tag and the length


def _raw_value(dataset: Dataset, raw: RawDataElement) -> Any:
    """The value of a raw element of a text VR, decoded as ``dataset[tag]`` would, without storing a DataElement.
    UIDs are split and stripped as pydicom does, but not checked (they are replaced)."""
    if raw.VR == "UI":
        uids = [uid.strip() for uid in cast(bytes, raw.value).decode(default_encoding).rstrip(" \0").split("\\")]
        return uids[0] if len(uids) == 1 else uids
    if raw.VR == "DA" and b"\\" not in cast(bytes, raw.value) and not config.datetime_conversion:
        return cast(bytes, raw.value).decode(default_encoding).rstrip(" \0")  # a single date, as pydicom decodes it
    return convert_value(cast(str, raw.VR), raw, pydicom_raw.decoding_character_set(dataset))


def _encoded(vr: str, value: Any) -> bytes | None:
    """A new value as pydicom would write it, where that needs no character set: UIDs made here and
    shifted dates, padded to even length. None for others, which go in a DataElement."""
    if vr == "UI" and value is not None:
        text, padding = (value if isinstance(value, str) else "\\".join(value)), "\0"
    elif vr == "DA" and isinstance(value, str) and len(value) in (0, 8):
        text, padding = value, " "
    else:
        return None
    return (text + padding * (len(text) % 2)).encode("ascii")


def _apply(dataset: Dataset, tag: BaseTag, action: str, patient: Patient, options: Options) -> None:
    """Apply ``action`` to the element decoded as pydicom decodes it (sequences, implicit and UN VRs, decoded ones)."""
    raw = dataset.get_item(tag)
    if action == "K" and raw is not None and raw.VR not in (None, "SQ", "UN"):
        if not raw.is_raw and raw.VR in _SEARCHED_VRS and _mentions_patient(raw.value, patient):
            raw.value = None
        return  # kept as it is: decoded already, or raw in a VR that is not a standard one
    element = _explicit_sequence(dataset, raw) if raw is not None and raw.is_raw and raw.VR == "SQ" else dataset[tag]
    if element.VR == "SQ":
        _sequence(dataset, element, action, patient, options)
        return
    if action == "X":
        del dataset[tag]
    elif action == "Z":
        element.value = None if element.VR not in ("OB", "OW", "UN") else b""
    elif action == "D":
        element.value = _new_uids(element.value, patient) if element.VR == "UI" else _DUMMIES.get(element.VR, None)
    elif action == "U":
        element.value = _new_uids(element.value, patient)
    elif action == "C":
        element.value = _cleaned(element.VR, element.value, patient)
    elif action == "K" and element.VR in _SEARCHED_VRS and _mentions_patient(element.value, patient):
        element.value = None


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple, MultiValue)) else [value]


def _mentions_patient(value: Any, patient: Patient) -> bool:
    return value not in (None, "") and any(mentions_patient(str(v), patient.identity) for v in _values(value))


def _raw_text(dataset: Dataset, raw: RawDataElement) -> str:
    """A raw text value as text: Latin-1 (a superset of the default repertoire) unless the dataset names another set."""
    charset = pydicom_raw.decoding_character_set(dataset)
    if charset in (default_encoding, [default_encoding], "latin_1", ["latin_1"]):
        return cast(bytes, raw.value).decode("latin-1")
    return str(convert_value(cast(str, raw.VR), raw, charset))


def _explicit_sequence(dataset: Dataset, raw: RawDataElement) -> DataElement:
    """A sequence read with its VR (explicit VR transfer syntaxes), decoded as ``dataset[tag]`` would, without
    the look-up's hooks: those decode the parent's Pixel Representation for the items' ambiguous VRs, which an
    explicit VR has resolved already. Its items stay raw as read."""
    element = convert_raw_data_element(raw, encoding=pydicom_raw.decoding_character_set(dataset), ds=dataset)
    pydicom_raw.elements(dataset)[raw.tag] = element
    return element


def _sequence(dataset: Dataset, element: DataElement, action: str, patient: Patient, options: Options) -> None:
    if action == "X":
        del dataset[element.tag]
    elif action in ("Z", "D"):
        element.value = Sequence()
    else:  # K, C, U: keep the items, each cleaned like a dataset
        for item in element.value:
            _clean(item, patient, options)


def _new_uids(value: Any, patient: Patient) -> Any:
    if value is None or value == "":
        return value
    if isinstance(value, (list, tuple)) or hasattr(value, "__iter__") and not isinstance(value, str):
        return [patient.uid(str(v)) for v in value]
    return patient.uid(str(value))


def _cleaned(vr: str, value: Any, patient: Patient) -> Any:
    """C: dates keep their intervals (shifted), text loses the patient's identifiers, other values are emptied."""
    if value in (None, ""):
        return value
    if vr == "DA":
        return _shift_date(str(value), patient)
    if vr == "DT":
        text = str(value)
        return _shift_date(text[:8], patient) + text[8:] if len(text) >= 8 else None
    if vr == "TM":
        return value  # times of day are kept; the date shift moves whole days
    if vr in _TEXT_VRS:  # the whole value goes on any doubt: a part of it may still say who
        return None if any(doubtful(str(v), patient.identity) for v in _values(value)) else value
    if vr == "UI":
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


def _rebuild_file_meta(dataset: Dataset) -> None:
    """The elements are made as setting them by keyword would, without its look-ups, and UIDs already
    checked (when decoded, or pydicom's own) are not checked again."""
    old = getattr(dataset, "file_meta", None)
    values = {}
    if old is not None and TRANSFER_SYNTAX_UID in old:
        values[TRANSFER_SYNTAX_UID] = old[TRANSFER_SYNTAX_UID].value
    for tag, media_storage_tag in ((SOP_CLASS_UID, MEDIA_STORAGE_SOP_CLASS_UID), (SOP_INSTANCE_UID, MEDIA_STORAGE_SOP_INSTANCE_UID)):
        element = dataset.get_item(tag)
        if element is None:
            continue
        # A raw UID is read without being stored: decoded, it would no longer be written as its bytes.
        values[media_storage_tag] = _raw_value(dataset, element) if _undecoded(element) and element.VR == "UI" else dataset[tag].value
    values[IMPLEMENTATION_CLASS_UID] = PYDICOM_IMPLEMENTATION_UID
    elements = {BaseTag(tag): DataElement(tag, "UI", value, already_converted=isinstance(value, UID)) for tag, value in values.items()}
    elements[BaseTag(IMPLEMENTATION_VERSION_NAME)] = DataElement(IMPLEMENTATION_VERSION_NAME, "SH", "CONSILIUM", already_converted=True)
    dataset.file_meta = FileMetaDataset(elements)


def identity_of(dataset: Dataset) -> Identity:
    """The patient's identifying values found in the data itself (to find them in kept and cleaned text).
    Raw ones are decoded without being stored: they are emptied or replaced next, undecoded."""
    names = tuple(_found(dataset, IDENTIFYING_NAMES))
    others = _found(dataset, IDENTIFYING_OTHERS)
    for item in _items(dataset, OTHER_PATIENT_IDS_SEQUENCE):
        others += _found(item, (0x00100020,))
    dates = []
    for text in _found(dataset, IDENTIFYING_DATES):
        if re.fullmatch(r"\d{8}", text):
            try:
                dates.append(date(int(text[:4]), int(text[4:6]), int(text[6:8])))
            except ValueError:
                others.append(text)
    return Identity(names, tuple(dates), tuple(others))


def _found(dataset: Dataset, tags: tuple[int, ...]) -> list[str]:
    found = []
    for tag in tags:
        element = dataset.get_item(tag)
        if element is None or element.VR == "SQ":
            continue
        try:
            value = _raw_value(dataset, element) if _undecoded(element) and element.VR in _TEXT_VALUE_VRS else dataset[tag].value
        except (ValueError, TypeError, KeyError):
            continue  # a value pydicom cannot decode is removed or replaced anyway
        found.extend(str(v).replace("^", " ") for v in _values(value) if v)
    return found


def _items(dataset: Dataset, tag: int) -> list[Dataset]:
    try:
        element = dataset.get(tag)
    except (ValueError, TypeError, KeyError):
        return []
    return list(element.value) if element is not None and element.VR == "SQ" and element.value else []
