"""Uploaded PDFs never run anything: active content is cut out at upload, previews are pictures, files go out inert."""

import io
from io import BytesIO

import pytest
from PIL import Image
from pypdf import PdfReader
from pypdf import PdfWriter
from pypdf.generic import ArrayObject
from pypdf.generic import DictionaryObject
from pypdf.generic import NameObject
from pypdf.generic import NumberObject
from pypdf.generic import TextStringObject
from sqlalchemy import select

from app.database import db
from app.documents import pdf_pages
from app.documents import pdf_safety
from app.documents.models import Document
from app.documents.storage import LocalStorage
from app.panels.models import Panel
from tests import factories

SCRIPT = "void stolenSecretMarker"  # plain letters: pypdf writes them unescaped
PAYLOAD = b"MZ-PAYLOAD-OF-AN-EMBEDDED-PROGRAM"
ACTIVE_NAMES = (b"/JavaScript", b"/JS", b"/AA", b"/Launch", b"/EmbeddedFile", b"/SubmitForm", b"/XFA")


def _name(text):
    return NameObject(text)


def _dictionary(**entries):
    return DictionaryObject({_name(f"/{key}"): value for key, value in entries.items()})


def _javascript(code=SCRIPT):
    return _dictionary(S=_name("/JavaScript"), JS=TextStringObject(code))


def _launch(program="calculator"):
    return _dictionary(S=_name("/Launch"), F=TextStringObject(program))


def _writer(pages=2):
    return PdfWriter(clone_from=PdfReader(BytesIO(factories.pdf(pages))))


def _bytes(writer):
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _link(action):
    rectangle = ArrayObject([NumberObject(0), NumberObject(0), NumberObject(612), NumberObject(792)])
    return _dictionary(Type=_name("/Annot"), Subtype=_name("/Link"), Rect=rectangle, A=action)


def open_action_javascript():
    writer = _writer()
    writer.root_object[_name("/OpenAction")] = _javascript()
    return _bytes(writer)


def additional_actions_on_a_page():
    writer = _writer()
    writer.pages[1][_name("/AA")] = _dictionary(O=_javascript())  # runs when page 2 is shown
    return _bytes(writer)


def document_level_javascript():
    writer = _writer()
    tree = _dictionary(Names=ArrayObject([TextStringObject("init"), _javascript()]))
    writer.root_object[_name("/Names")] = _dictionary(JavaScript=tree)
    return _bytes(writer)


def embedded_file():
    writer = _writer()
    writer.add_attachment("payload.exe", PAYLOAD)
    return _bytes(writer)


def launch_action_on_a_link():
    writer = _writer()
    writer.pages[0][_name("/Annots")] = ArrayObject([_link(_launch())])
    return _bytes(writer)


HOSTILE = {
    "OpenAction JavaScript": (open_action_javascript, SCRIPT.encode(), "JavaScript"),
    "additional actions": (additional_actions_on_a_page, SCRIPT.encode(), "actions run on opening a page or field"),
    "Names JavaScript": (document_level_javascript, SCRIPT.encode(), "JavaScript"),
    "embedded file": (embedded_file, PAYLOAD, "embedded files"),
    "Launch action": (launch_action_on_a_link, b"calculator", "actions that start programs or open other files"),
}


@pytest.fixture
def panel_id(world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    return factories.open_panel(world.clinician, patient)


def _upload(client, panel_id, data, name="report.pdf", json_answer=False):
    headers = {"Accept": "application/json"} if json_answer else {}
    url = f"/panels/{panel_id}/documents"
    return client.post(
        url, data={"file": (BytesIO(data), name)}, content_type="multipart/form-data", headers=headers, follow_redirects=True
    )


def _stored(app, document):
    with LocalStorage(app.config["STORAGE_DIR"]).open(document.content_hash) as stored:
        return stored.read()


def _assert_inert(response, disposition):
    assert response.headers["Content-Disposition"].startswith(disposition)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = [part.strip() for part in response.headers["Content-Security-Policy"].split(";")]
    assert "sandbox" in policy and "default-src 'none'" in policy  # no allow-scripts: nothing in it may run


@pytest.mark.parametrize("kind", HOSTILE)
def test_active_content_is_cut_out_at_upload_the_uploader_is_told_and_the_pdf_goes_out_inert(app, world, login, panel_id, kind):
    build, marker, removed = HOSTILE[kind]
    original = build()
    assert marker in original
    client = login(world.clinician)
    page = _upload(client, panel_id, original)
    assert page.status_code == 200 and f"report.pdf is attached without its {removed}" in page.text

    document = db.session.scalar(select(Document))
    stored = _stored(app, document)
    assert document.size == len(stored) and stored != original
    assert marker not in stored and not [name for name in ACTIVE_NAMES if name in stored]
    assert len(PdfReader(BytesIO(stored)).pages) == 2  # the document itself is kept

    _assert_inert(client.get(f"/documents/{document.id}/download"), "attachment")
    preview = client.get(f"/documents/{document.id}/preview")
    assert preview.mimetype == "text/html" and b"%PDF" not in preview.data
    assert f"/documents/{document.id}/pages/1.png" in preview.text and f"/documents/{document.id}/download" in preview.text
    picture = client.get(f"/documents/{document.id}/pages/1.png")
    assert picture.mimetype == "image/png" and Image.open(io.BytesIO(picture.data)).size == pdf_pages.Page(612, 792).pixels()


def test_a_harmless_pdf_is_stored_byte_for_byte_and_previews_every_page_as_a_picture(app, world, login, panel_id):
    original = factories.pdf(pages=3)
    client = login(world.clinician)
    page = _upload(client, panel_id, original)
    assert "is attached without" not in page.text
    document = db.session.scalar(select(Document))
    assert _stored(app, document) == original

    preview = client.get(f"/documents/{document.id}/preview")
    assert preview.status_code == 200 and "3 pages" in preview.text and "Download the PDF" in preview.text
    assert "Content-Disposition" not in preview.headers  # a page of the app: the PDF itself is not in it
    for number in range(3):
        assert f'src="/documents/{document.id}/pages/{number}.png"' in preview.text
        picture = client.get(f"/documents/{document.id}/pages/{number}.png")
        assert picture.status_code == 200 and picture.data.startswith(b"\x89PNG")
    first, last = (client.get(f"/documents/{document.id}/pages/{n}.png").data for n in (0, 2))
    assert first != last  # "Page 1" and "Page 3"
    missing = client.get(f"/documents/{document.id}/pages/3.png", headers={"Accept": "application/json"})
    assert missing.status_code == 422 and "there is no page 4" in missing.json["error"]
    _assert_inert(client.get(f"/documents/{document.id}/download"), "attachment")
    assert client.get(f"/documents/{document.id}/download").data == original


def test_the_uploader_script_hears_what_was_removed_and_the_page_it_reloads_says_it(world, login, panel_id):
    client = login(world.clinician)
    answer = _upload(client, panel_id, open_action_javascript(), "letter.pdf", json_answer=True)
    assert answer.json["attached"] == 1 and answer.json["cleaned"] == [{"name": "letter.pdf", "removed": "JavaScript"}]
    assert "letter.pdf is attached without its JavaScript" in client.get(f"/panels/{panel_id}?tab=contributions").text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n", "This PDF cannot be read"),
        ("locked", "This PDF is locked with a password"),
    ],
)
def test_a_pdf_that_cannot_be_checked_is_refused_with_a_message(world, login, panel_id, data, message):
    if data == "locked":
        writer = _writer()
        writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-256")
        data = _bytes(writer)
    answer = _upload(login(world.clinician), panel_id, data, json_answer=True)
    assert answer.status_code == 422 and message in answer.json["error"] and "nothing was stored" in answer.json["error"]
    assert db.session.scalar(select(Document)) is None


def test_a_stored_pdf_no_one_can_draw_gets_a_message_and_the_download_link(app, world, login, panel_id):
    # Files stored before uploads were checked may not be readable PDFs at all.
    stored = LocalStorage(app.config["STORAGE_DIR"]).put(BytesIO(b"%PDF-1.4\n%%EOF\n"), 1000)
    panel = db.session.get(Panel, panel_id)
    document = Document(
        patient_id=panel.patient_id,
        panel_id=panel_id,
        kind="document",
        title="old.pdf",
        media_type="application/pdf",
        content_hash=stored.content_hash,
        size=stored.size,
        uploaded_by_id=world.clinician.id,
    )
    db.session.add(document)
    db.session.flush()
    client = login(world.clinician)
    preview = client.get(f"/documents/{document.id}/preview")
    assert preview.status_code == 200 and "This PDF cannot be shown here (it cannot be read)" in preview.text
    assert f"/documents/{document.id}/download" in preview.text


def test_a_page_that_takes_too_long_to_draw_gets_a_message(world, login, panel_id, monkeypatch):
    client = login(world.clinician)
    _upload(client, panel_id, factories.pdf())
    document = db.session.scalar(select(Document))
    monkeypatch.setattr(pdf_pages, "TIMEOUT_SECONDS", 0.001)
    answer = client.get(f"/documents/{document.id}/pages/0.png", headers={"Accept": "application/json"})
    assert answer.status_code == 422 and "it takes too long to draw" in answer.json["error"]


def _defused(writer):
    return pdf_safety.defuse(_bytes(writer))


def test_actions_are_found_behind_next_in_outlines_and_on_form_fields():
    writer = _writer()
    chained = _dictionary(S=_name("/GoTo"), D=ArrayObject([writer.pages[0].indirect_reference, _name("/Fit")]), Next=_javascript())
    writer.root_object[_name("/OpenAction")] = chained
    writer.add_outline_item(title="Submit", page_number=0)
    writer.root_object["/Outlines"]["/First"].get_object()[_name("/A")] = _dictionary(
        S=_name("/SubmitForm"), F=TextStringObject("https://example.org/collect")
    )
    field = _link(_dictionary(S=_name("/ImportData"), F=TextStringObject("data.fdf")))
    writer.pages[1][_name("/Annots")] = ArrayObject([field])
    writer.root_object[_name("/AcroForm")] = _dictionary(Fields=ArrayObject(), XFA=TextStringObject("<xdp/>"))
    defused = _defused(writer)
    assert defused.removed == {pdf_safety.JAVASCRIPT, pdf_safety.SUBMIT, pdf_safety.LAUNCH, pdf_safety.XFA}
    cleaned = PdfReader(BytesIO(defused.data))
    assert cleaned.trailer["/Root"]["/OpenAction"]["/S"] == "/GoTo" and "/Next" not in cleaned.trailer["/Root"]["/OpenAction"]
    assert "/A" not in cleaned.trailer["/Root"]["/Outlines"]["/First"]
    assert "/XFA" not in cleaned.trailer["/Root"]["/AcroForm"]


def test_links_to_the_web_stay_links_to_files_and_shares_go():
    writer = _writer()
    web = _link(_dictionary(S=_name("/URI"), URI=TextStringObject("https://www.ern-net.eu/")))
    share = _link(_dictionary(S=_name("/URI"), URI=TextStringObject("file://server/share/x.exe")))
    writer.pages[0][_name("/Annots")] = ArrayObject([web])
    harmless = _bytes(writer)
    assert pdf_safety.defuse(harmless).data == harmless
    writer.pages[0][_name("/Annots")] = ArrayObject([web, share])
    defused = _defused(writer)
    assert defused.removed == {pdf_safety.LAUNCH}
    links = PdfReader(BytesIO(defused.data)).pages[0]["/Annots"]
    assert links[0].get_object()["/A"]["/URI"] == "https://www.ern-net.eu/" and "/A" not in links[1].get_object()


def test_names_hidden_by_escapes_or_in_objects_outside_the_structure_are_removed_too():
    escaped = open_action_javascript().replace(b"/JavaScript", b"/J#61vaScript")
    assert b"/JavaScript" not in escaped
    defused = pdf_safety.defuse(escaped)
    assert defused.removed == {pdf_safety.JAVASCRIPT} and SCRIPT.encode() not in defused.data
    harmless = factories.pdf()
    orphan = harmless + b"99 0 obj\n<< /S /JavaScript /JS (app.alert(1)) >>\nendobj\n"  # a reader rebuilding the table finds it
    defused = pdf_safety.defuse(orphan)
    assert defused.removed == {pdf_safety.JAVASCRIPT} and b"app.alert" not in defused.data


def test_a_pdf_locked_only_against_changes_is_kept_as_it_is_unless_it_holds_scripts():
    writer = _writer()
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-256")
    locked = _bytes(writer)
    assert pdf_safety.defuse(locked).data == locked
    writer = _writer()
    writer.root_object[_name("/OpenAction")] = _javascript()
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-256")
    defused = pdf_safety.defuse(_bytes(writer))
    assert defused.removed == {pdf_safety.JAVASCRIPT} and "/OpenAction" not in PdfReader(BytesIO(defused.data)).trailer["/Root"]
