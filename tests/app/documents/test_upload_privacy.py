"""What an upload hides is left out before it is stored, and a PDF or title that names the patient stays at their centre:
refused on a panel, whose members outside the centre read it, accepted on the patient's record."""

import io
from io import BytesIO

import pytest
from fpdf import FPDF
from PIL import Image
from PIL import ImageCms
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader
from pypdf import PdfWriter
from pypdf.annotations import Text
from pypdf.generic import StreamObject
from sqlalchemy import select

from app.database import db
from app.documents.models import Document

XMP = (
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    '<rdf:Description rdf:about=""><dc:creator>XmpCreator Roger Addel</dc:creator></rdf:Description></rdf:RDF>'
)
PLAIN_INFO = {"/Producer", "/CreationDate", "/ModDate"}
REFUSED_PDF = "This PDF identifies the patient"
REFUSED_TITLE = "The document's title (or its file's name) identifies the patient"


def pdf(*pages, author="", title="", xmp="", producer=""):
    document = FPDF()
    document.set_font("helvetica", size=12)
    for text in pages or ("Pseudonymised haematology summary.",):
        document.add_page()
        document.multi_cell(0, 6, text)
    if author:
        document.set_author(author)
    if title:
        document.set_title(title)
    if xmp:
        document.set_xmp_metadata(xmp)
    if producer:
        document.set_producer(producer)
    return bytes(document.output())


def rewritten(data, change):
    writer = PdfWriter(clone_from=PdfReader(BytesIO(data)))
    change(writer)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(client, url, data, name="report.pdf", title="", json_answer=False, follow=False):
    headers = {"Accept": "application/json"} if json_answer else {}
    form = {"file": (BytesIO(data), name), **({"title": title} if title else {})}
    return client.post(url, data=form, content_type="multipart/form-data", headers=headers, follow_redirects=follow)


def downloaded(client, document):
    response = client.get(f"/documents/{document.id}/download")
    assert response.status_code == 200
    return response.data


def test_a_pdf_on_a_panel_is_stored_without_its_author_title_and_xmp_and_the_uploader_is_told(world, as_user, case):
    _patient, panel_id = case
    original = pdf(author="Roger Addel", title="Letter about Roger Addel", xmp=XMP)
    assert original.count(b"Addel") >= 3

    page = upload(as_user(world.clinician), f"/panels/{panel_id}/documents", original, follow=True)

    assert page.status_code == 200 and "report.pdf is attached without its hidden details (author, title" in page.text
    stored = downloaded(as_user(world.brno_clinician), db.session.scalar(select(Document)))
    assert b"Addel" not in stored and b"XmpCreator" not in stored
    reader = PdfReader(BytesIO(stored))
    assert set(reader.metadata or {}) <= PLAIN_INFO
    assert "/Metadata" not in reader.root_object
    assert "Pseudonymised haematology summary." in reader.pages[0].extract_text()


def test_a_pdf_saying_only_which_program_wrote_it_and_when_is_stored_byte_for_byte(world, as_user, case):
    _patient, panel_id = case
    original = pdf(producer="LibreOffice 24.2")
    assert set(PdfReader(BytesIO(original)).metadata) == {"/Producer", "/CreationDate"}

    page = upload(as_user(world.clinician), f"/panels/{panel_id}/documents", original, follow=True)

    assert page.status_code == 200 and "is attached without" not in page.text
    assert downloaded(as_user(world.brno_clinician), db.session.scalar(select(Document))) == original


@pytest.mark.parametrize(
    ("pages", "where"),
    [
        (("Summary.", "Patient: ROGER ADDEL, seen in March."), "on page 2"),
        (("Born 05/02/1976; relapse after first-line treatment.",), "on page 1"),
    ],
    ids=["name on page 2", "birth date on page 1"],
)
def test_a_pdf_whose_page_names_the_patient_is_refused_on_the_panel_but_kept_on_their_record(world, as_user, case, pages, where):
    patient, panel_id = case
    original = pdf(*pages)
    client = as_user(world.clinician)

    refused = upload(client, f"/panels/{panel_id}/documents", original, json_answer=True)

    assert refused.status_code == 422
    assert f"{REFUSED_PDF} {where}" in refused.json["error"] and "nothing was stored" in refused.json["error"]
    assert db.session.scalar(select(Document)) is None

    assert upload(client, f"/patients/{patient.id}/documents", original).status_code == 302
    kept = db.session.scalar(select(Document))
    assert kept.patient_id == patient.id and kept.panel_id is None
    assert downloaded(client, kept) == original
    assert as_user(world.brno_clinician).get(f"/documents/{kept.id}/download").status_code == 404


def _note(writer):
    writer.add_annotation(page_number=0, annotation=Text(rect=(50, 550, 200, 650), text="Call Mr Addel back"))


def _bookmark(writer):
    writer.add_outline_item(title="Addel, Roger: biopsy", page_number=0)


@pytest.mark.parametrize(
    ("change", "where"),
    [(_note, "on page 1"), (_bookmark, "in its form fields or bookmarks")],
    ids=["note on the page", "bookmark title"],
)
def test_a_pdf_naming_the_patient_only_in_a_note_or_a_bookmark_is_refused_on_the_panel(world, as_user, case, change, where):
    patient, panel_id = case
    original = rewritten(pdf(), change)
    assert "Addel" not in PdfReader(BytesIO(original)).pages[0].extract_text()
    client = as_user(world.clinician)

    refused = upload(client, f"/panels/{panel_id}/documents", original, json_answer=True)

    assert refused.status_code == 422 and f"{REFUSED_PDF} {where}" in refused.json["error"]
    assert db.session.scalar(select(Document)) is None
    assert upload(client, f"/patients/{patient.id}/documents", original).status_code == 302


def test_a_pdf_redacted_in_a_later_revision_keeps_no_trace_of_the_patient_on_the_panel(world, as_user, case):
    """Saving an edited PDF (Acrobat's Ctrl+S) appends the change: the earlier revision, with the name, stays in the
    file, and any reader opens it by cutting the file at its first end marker."""
    _patient, panel_id = case
    first = pdf("Patient: Roger Addel, born 05/02/1976.")
    writer = PdfWriter(BytesIO(first), incremental=True)
    redacted = StreamObject()
    redacted.set_data(b"BT /F1 12 Tf 72 700 Td (Patient: XXXX) Tj ET")
    writer.pages[0].replace_contents(redacted)
    out = BytesIO()
    writer.write(out)
    edited = out.getvalue()
    assert "Addel" not in PdfReader(BytesIO(edited)).pages[0].extract_text()

    upload(as_user(world.clinician), f"/panels/{panel_id}/documents", edited)

    for document in db.session.scalars(select(Document)):  # refused, or stored without the earlier revision
        stored = downloaded(as_user(world.brno_clinician), document)
        earlier = stored[: stored.index(b"%%EOF") + len(b"%%EOF")]
        assert "Addel" not in PdfReader(BytesIO(earlier)).pages[0].extract_text()


@pytest.mark.parametrize(
    ("title", "name"), [("Echo report of R. Addel", "echo.pdf"), ("", "addel-roger-echo.pdf"), ("Echo 05.02.1976", "echo.pdf")]
)
def test_a_title_or_file_name_naming_the_patient_is_refused_on_a_panel_and_kept_on_their_record(world, as_user, case, title, name):
    patient, panel_id = case
    client = as_user(world.clinician)

    refused = upload(client, f"/panels/{panel_id}/documents", pdf(), name=name, title=title, json_answer=True)

    assert refused.status_code == 422 and REFUSED_TITLE in refused.json["error"] and "nothing was stored" in refused.json["error"]
    assert db.session.scalar(select(Document)) is None
    assert upload(client, f"/patients/{patient.id}/documents", pdf(), name=name, title=title).status_code == 302
    assert db.session.scalar(select(Document)).title == (title or name)


def _picture():
    image = Image.new("RGB", (16, 12))
    image.putdata([(x * 15, y * 20, (x * y * 7) % 256) for y in range(12) for x in range(16)])
    return image


def _exif():
    tags = Image.Exif()
    tags[0x013B] = "Dr ExifArtist"
    tags[0x010E] = "Roger Addel 05/02/1976"
    return tags


def _png():
    info = PngInfo()
    info.add_text("Author", "TextChunk Roger Addel")
    info.add_itxt("Comment", "ItxtChunk 05/02/1976", zip=True)
    out = io.BytesIO()
    _picture().save(out, "PNG", pnginfo=info, exif=_exif())
    return out.getvalue()


def _jpeg():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    _picture().save(out, "JPEG", quality=90, exif=_exif(), icc_profile=icc, comment=b"JpegComment Roger Addel")
    return out.getvalue()


@pytest.mark.parametrize(("build", "name"), [(_png, "photo.png"), (_jpeg, "photo.jpg")])
def test_a_picture_is_stored_without_its_hidden_text_and_shows_the_same_pixels(world, as_user, case, build, name):
    _patient, panel_id = case
    original = build()
    assert b"Addel" in original and b"ExifArtist" in original

    page = upload(as_user(world.clinician), f"/panels/{panel_id}/documents", original, name=name, follow=True)

    assert page.status_code == 200 and f"{name} is attached without its hidden details" in page.text
    document = db.session.scalar(select(Document))
    stored = downloaded(as_user(world.brno_clinician), document)
    assert document.size == len(stored) < len(original)
    assert not [marker for marker in (b"Addel", b"05/02/1976", b"ExifArtist", b"Exif\x00\x00", b"tEXt", b"iTXt") if marker in stored]
    assert Image.open(BytesIO(stored)).tobytes() == Image.open(BytesIO(original)).tobytes()
    assert Image.open(BytesIO(stored)).info.get("icc_profile") == Image.open(BytesIO(original)).info.get("icc_profile")


@pytest.mark.parametrize(("data", "name"), [(_png, "photo.png"), (_jpeg, "photo.jpg")])
def test_a_picture_cut_short_is_refused_with_a_message(world, as_user, case, data, name):
    _patient, panel_id = case
    response = upload(as_user(world.clinician), f"/panels/{panel_id}/documents", data()[:40], name=name, json_answer=True)
    assert response.status_code == 422 and "This picture is damaged" in response.json["error"]
    assert db.session.scalar(select(Document)) is None


@pytest.mark.parametrize(("data", "name"), [(_jpeg, "photo.jpg"), (lambda: pdf(author="Dr Peeters"), "letter.pdf")])
def test_the_uploader_hears_that_hidden_details_went_without_being_told_they_could_run(world, as_user, case, data, name):
    _patient, panel_id = case
    page = upload(as_user(world.clinician), f"/panels/{panel_id}/documents", data(), name=name, follow=True)
    assert f"{name} is attached without its hidden details" in page.text
    assert "could run or open files" not in page.text
