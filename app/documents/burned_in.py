"""Which DICOM files may carry text burned into their pixels, which no header de-identification removes.

Such files are held for a person of the patient's centre to look at before a panel sees them.
The rule is deliberately broad: the file says so (Burned In Annotation = YES), or its modality or
SOP class is one where burned-in names, dates and IDs are common. No Flask here.
"""

from __future__ import annotations

from pydicom.dataset import Dataset

# Modalities whose images routinely carry text in the pixels (screen captures of a device).
MODALITIES = {
    "US": "ultrasound",
    "IVUS": "intravascular ultrasound",
    "XC": "external-camera photograph",
    "ES": "endoscopy",
    "GM": "microscopy photograph",
    "OT": "other (often a screen capture)",
    "DOC": "scanned document",
}

# SOP classes (by prefix) that are captures of screens, films or documents.
SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.7": "secondary capture",
    "1.2.840.10008.5.1.4.1.1.77.1.4": "photograph",
    "1.2.840.10008.5.1.4.1.1.104.1": "encapsulated PDF",
}


def reason(dataset: Dataset) -> str:
    """Why this file may show identifying text in its pixels ("" when there is no known reason)."""
    if str(dataset.get("BurnedInAnnotation", "")).upper() == "YES":
        return "the file says it has burned-in annotation"
    modality = str(dataset.get("Modality", "")).upper()
    if modality in MODALITIES:
        return f"{MODALITIES[modality]} images often show names and dates in the picture"
    sop_class = str(dataset.get("SOPClassUID", ""))
    for prefix, label in SOP_CLASSES.items():
        if sop_class == prefix or sop_class.startswith(prefix + "."):
            return f"a {label} often shows names and dates in the picture"
    return ""
