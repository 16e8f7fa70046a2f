"""A canary patient: identifying values unusual enough that finding one anywhere means it leaked, each in the
spellings people and systems write it in, and DICOM files with those values planted in every text attribute."""

from __future__ import annotations

import re
from datetime import date
from functools import cache

FIRST_NAME = "Quillonette"
LAST_NAME = "Vandersnoot"
BIRTH_DATE = date(1931, 7, 13)
RECORD_LABEL = "Vandersnoot, Quillonette DOB: 13/07/1931 (F)"
ADDRESS = "12 Zwaluwenstraat, 3000 Kesselhoven"
MRN = "MRN-88417263"
PHONE = "+32 16 55 01 77"
BIRTH_PLACE = "Oostmalderveld"

MONTHS = {7: ("July", "Jul", "juillet", "Juli", "luglio", "julio", "juli", "lipca", "července")}


def date_spellings(day: date) -> list[str]:
    """A date as people write it: day-first, ISO, compact, with month names, US order, two-digit years."""
    d, m, y, yy = day.day, day.month, day.year, f"{day.year % 100:02d}"
    numeric = []
    for dd in {f"{d:02d}", str(d)}:
        for mm in {f"{m:02d}", str(m)}:
            for sep in "/.-":
                numeric += [f"{dd}{sep}{mm}{sep}{y}", f"{mm}{sep}{dd}{sep}{y}", f"{dd}{sep}{mm}{sep}{yy}"]
    named = []
    for month in MONTHS.get(m, (day.strftime("%B"), day.strftime("%b"))):
        named += [f"{d:02d}/{month}/{y}", f"{d} {month} {y}", f"{month} {d}, {y}", f"{d:02d}-{month}-{y}"]
    return numeric + named + [f"{y}-{m:02d}-{d:02d}", f"{y}{m:02d}{d:02d}", f"{y}.{m:02d}.{d:02d}", f"{y}/{m:02d}/{d:02d}"]


def spellings() -> dict[str, list[str]]:
    """Every canary value (by what it is) in its common spellings."""
    return {
        "first name": [FIRST_NAME],
        "last name": [LAST_NAME],
        "birth date": date_spellings(BIRTH_DATE),
        "address": [ADDRESS, "Zwaluwenstraat", "Kesselhoven"],
        "identifier": [MRN, "88417263"],
        "phone": [PHONE, "+3216550177", "016 55 01 77"],
        "place of birth": [BIRTH_PLACE],
    }


@cache
def pattern() -> re.Pattern[str]:
    """One case-insensitive pattern for every spelling (digits must not be part of a longer number)."""
    alternatives = []
    for values in spellings().values():
        for value in values:
            escaped = re.escape(value)
            alternatives.append(rf"(?<![0-9]){escaped}(?![0-9])" if value[:1].isdigit() or value[-1:].isdigit() else escaped)
    return re.compile("|".join(sorted(alternatives, key=len, reverse=True)), re.IGNORECASE)


def hits(text: str) -> list[str]:
    """The canary spellings found in ``text``."""
    return sorted({match.group(0) for match in pattern().finditer(text)})


def hits_in_bytes(data: bytes) -> list[str]:
    """The canary spellings found in raw bytes, read as UTF-8 and as Latin-1 (DICOM's common character sets)."""
    return sorted(set(hits(data.decode("utf-8", "replace"))) | set(hits(data.decode("latin-1"))))


def free_text() -> str:
    """A clinician's note that names the patient every way at once (what a careless comment field holds)."""
    return (
        f"{LAST_NAME}^{FIRST_NAME}, born {BIRTH_DATE:%d/%m/%Y} ({BIRTH_DATE:%Y-%m-%d}, {BIRTH_DATE:%d.%m.%Y}, {BIRTH_DATE:%Y%m%d}) "
        f"in {BIRTH_PLACE}; lives at {ADDRESS}; {MRN}; phone {PHONE}"
    )


# DICOM: the canaries planted in every text attribute of PS3.15 Table E.1-1, at the top and two sequence levels down.
UID = "1.2.826.0.1.19310713.88417263"
NESTING = (0x52009229, 0x00082218)  # Shared Functional Groups Sequence > Anatomic Region Sequence: both kept by the profile
PATIENT_MODULE = {
    0x00100010: f"{LAST_NAME}^{FIRST_NAME}",
    0x00100020: MRN,
    0x00100030: f"{BIRTH_DATE:%Y%m%d}",
    0x00101040: ADDRESS,
    0x00102154: PHONE,
    0x00101000: "88417263",
}


def dicom_value(vr: str) -> object | None:
    """A canary value valid for ``vr`` (None for binary and numeric VRs that cannot carry one)."""
    text = free_text()
    return {
        "PN": f"{LAST_NAME}^{FIRST_NAME}",
        "LO": text[:64],
        "SH": LAST_NAME[:16],
        "CS": LAST_NAME.upper()[:16],
        "AE": LAST_NAME.upper()[:16],
        "LT": text,
        "ST": text,
        "UT": text,
        "UC": text,
        "DA": f"{BIRTH_DATE:%Y%m%d}",
        "DT": f"{BIRTH_DATE:%Y%m%d}101500",
        "UI": UID,
        "UR": f"http://{BIRTH_PLACE.lower()}.example/{LAST_NAME}",
        "IS": "88417263",
        "DS": "88417263",
        "OB": text.encode() + b"\0" * (len(text.encode()) % 2),
        "UN": text.encode() + b"\0" * (len(text.encode()) % 2),
    }.get(vr)


def table_tags() -> list[int]:
    """Every attribute Table E.1-1 names by an exact tag (the shipped data file, the one the code applies)."""
    import json

    from app.documents.deidentify import TABLE

    rules = json.loads(TABLE.read_text(encoding="utf-8"))["rules"]
    return [int(rule["tag"], 16) for rule in rules if rule["tag"] != "PRIVATE" and "x" not in rule["tag"].lower()]


def plant(dataset: object, tags: list[int] | None = None) -> object:
    """``dataset`` with the canaries in the patient module and in every listed text attribute, at every depth."""
    from pydicom.datadict import DicomDictionary
    from pydicom.datadict import dictionary_VR
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    assert isinstance(dataset, Dataset)

    def fill(target: Dataset) -> None:
        for tag in tags if tags is not None else table_tags():
            vr = dictionary_VR(tag) if tag in DicomDictionary else "LO"  # newer than pydicom's dictionary: text, as a sender writes it
            if tag >> 16 in (0x0002, 0x0000, 0xFFFE) or tag in NESTING:
                continue
            if vr == "SQ":
                item = Dataset()
                item.add_new(0x00100010, "PN", f"{LAST_NAME}^{FIRST_NAME}")
                item.add_new(0x00080104, "LO", free_text()[:64])
                target.add_new(tag, "SQ", Sequence([item]))
                continue
            value = dicom_value(vr)
            if vr == "UI" and tag in target:
                continue  # the file's own UIDs name its instances: the same canary UID in every file would make them one
            if value is not None:
                target.add_new(tag, vr, value)
        for tag, value in PATIENT_MODULE.items():
            target.add_new(tag, dictionary_VR(tag), value)

    inner = Dataset()
    fill(inner)
    middle = Dataset()
    fill(middle)
    middle.add_new(NESTING[1], "SQ", Sequence([inner]))
    fill(dataset)
    dataset.add_new(NESTING[0], "SQ", Sequence([middle]))
    return dataset
