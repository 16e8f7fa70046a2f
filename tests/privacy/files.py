"""Files of every type the app accepts, carrying the canary patient's identity where each type holds text a reader does not
see: PDF metadata (and, for the centre's own letter, the page itself), PNG text chunks, JPEG comment and EXIF, and DICOM
headers (every text attribute of PS3.15 Table E.1-1, at the top and inside sequences)."""

from __future__ import annotations

import io
import zipfile
from functools import cache

from fpdf import FPDF
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from pydicom import dcmread
from pydicom.data import get_testdata_file

from tests.privacy import canaries

NAME = f"{canaries.LAST_NAME}^{canaries.FIRST_NAME}"


def pdf(page_text: str) -> bytes:
    """A one-page PDF showing ``page_text``, with the canary patient in every metadata field (info dictionary and XMP)."""
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=11)
    document.multi_cell(0, 6, page_text)
    document.set_title(f"Letter about {canaries.FIRST_NAME} {canaries.LAST_NAME}")
    document.set_author(NAME)
    document.set_subject(canaries.free_text())
    document.set_keywords(f"{canaries.MRN} {canaries.BIRTH_DATE:%d/%m/%Y} {canaries.BIRTH_PLACE}")
    document.set_creator(canaries.ADDRESS)
    document.set_xmp_metadata(
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<rdf:Description rdf:about=""><dc:creator>{NAME}</dc:creator><dc:description>{canaries.PHONE}</dc:description>'
        "</rdf:Description></rdf:RDF>"
    )
    return bytes(document.output())


def plain_pdf() -> bytes:
    """A PDF with nothing identifying in it, not even in its metadata."""
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=11)
    document.multi_cell(0, 6, "Pseudonymised haematology summary.")
    return bytes(document.output())


def letter_pdf() -> bytes:
    """The centre's own letter about the patient: their identity on the page (right in the centre section)."""
    return pdf(f"Referral letter. Patient: {canaries.free_text()}")


def clean_pdf() -> bytes:
    """A pseudonymised document for a panel: nothing identifying on the page, the canary patient in its metadata."""
    return pdf("Pseudonymised haematology summary: relapse after first-line treatment.")


def png() -> bytes:
    """A small PNG with the canary patient in text chunks (tEXt and uncompressed iTXt)."""
    info = PngInfo()
    info.add_text("Author", NAME)
    info.add_text("Description", canaries.free_text())
    info.add_itxt("Comment", f"{canaries.MRN}, {canaries.BIRTH_DATE:%d.%m.%Y}", zip=False)
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 40, 40)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def jpeg() -> bytes:
    """A small JPEG with the canary patient in a comment segment and in EXIF (image description, artist)."""
    exif = Image.Exif()
    exif[0x010E] = canaries.free_text()  # ImageDescription
    exif[0x013B] = NAME  # Artist
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (40, 40, 200)).save(out, "JPEG", exif=exif.tobytes(), comment=canaries.free_text().encode())
    return out.getvalue()


@cache
def dicom(instance: int, series: int = 1, *, burned_in: bool = False) -> bytes:
    """One CT image (pydicom's test file) with the canaries planted in every text attribute; ``burned_in`` says the
    pixels carry text, so that the upload is held for the centre's review."""
    dataset = dcmread(get_testdata_file("CT_small.dcm"))
    canaries.plant(dataset)
    dataset.SeriesInstanceUID = f"{canaries.UID}.{series}"
    dataset.SOPInstanceUID = f"{canaries.UID}.{series}.{instance}"
    dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    dataset.InstanceNumber = instance
    if burned_in:
        dataset.BurnedInAnnotation = "YES"
    out = io.BytesIO()
    dataset.save_as(out, enforce_file_format=True)
    return out.getvalue()


def zipped_study(series: int, instances: range) -> bytes:
    """A zipped study of planted DICOM images (as a CD export is uploaded)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for instance in instances:
            archive.writestr(f"STUDY/SERIES{series}/IM{instance:04d}", dicom(instance, series))
    return out.getvalue()
