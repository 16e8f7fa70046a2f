"""An ERN's model consent forms: its managers upload one PDF per language (checked and defused as documents are),
replace and delete them on the settings page; its members download them from the enrolment form."""

from io import BytesIO

import pytest
from flask import render_template
from pypdf import PdfReader
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject
from pypdf.generic import NameObject
from pypdf.generic import TextStringObject
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.database import db
from app.ernsettings import consent_forms
from app.ernsettings.models import ConsentForm
from app.tasks import queries as task_queries
from tests import factories

SETTINGS = "/erns/EuroBloodNet/settings"


@pytest.fixture
def manager(world):
    user = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    db.session.commit()
    return user


def as_user(login, client, user):
    """The same browser, now signed in as ``user``."""
    client.post("/logout")
    return login(user)


def upload(client, language, data, name="consent.pdf"):
    return client.post(
        f"{SETTINGS}/consent-forms", data={"language": language, "file": (BytesIO(data), name)}, content_type="multipart/form-data"
    )


def with_javascript() -> bytes:
    """A PDF that runs a script when it is opened."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(factories.pdf())))
    script = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("void openedMarker")})
    writer.root_object[NameObject("/OpenAction")] = script
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def stored(world, language):
    return db.session.scalar(select(ConsentForm).where(ConsentForm.ern_id == world.ern.id, ConsentForm.language == language))


def test_a_manager_uploads_a_consent_form_per_language_and_the_ern_members_download_it(world, login, manager):
    client = login(manager)
    assert upload(client, "fr", factories.pdf(), "consentement.pdf").status_code == 302
    page = client.get(SETTINGS).text
    assert "French (français)" in page and "consentement.pdf" in page and "/erns/EuroBloodNet/consent-forms/fr" in page

    for member in (world.clinician, world.brno_clinician, world.researcher):
        response = as_user(login, client, member).get("/erns/EuroBloodNet/consent-forms/fr")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data == factories.pdf()  # nothing to remove: kept byte for byte
        assert response.headers["Content-Disposition"] == 'attachment; filename="consent-form-EuroBloodNet-fr.pdf"'
    assert client.get("/erns/EuroBloodNet/consent-forms/de").status_code == 404
    stranger = factories.make_user("hp@vascern.example", [(world.other_ern, world.leuven, Role.MEMBER_EXPERT)])
    db.session.commit()
    assert as_user(login, client, stranger).get("/erns/EuroBloodNet/consent-forms/fr").status_code == 403


def test_uploading_again_for_a_language_replaces_its_form_and_deleting_removes_it(world, login, manager):
    client = login(manager)
    upload(client, "cs", factories.pdf())
    assert upload(client, "cs", factories.pdf(pages=2), "souhlas-v2.pdf").status_code == 302
    form = stored(world, "cs")
    assert form.file_name == "souhlas-v2.pdf" and form.content == factories.pdf(pages=2)
    assert db.session.scalars(select(ConsentForm.language)).all() == ["cs"]
    details = db.session.scalars(select(AuditEntry.details).where(AuditEntry.action == "ern.consent_form_uploaded")).all()
    assert [d["replaced"] for d in details] == [False, True]

    assert client.post(f"{SETTINGS}/consent-forms/cs/delete").status_code == 302
    assert stored(world, "cs") is None and "No consent forms yet." in client.get(SETTINGS).text
    assert client.post(f"{SETTINGS}/consent-forms/cs/delete").status_code == 404
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "ern.consent_form_deleted")).details == {"language": "cs"}


def test_only_pdfs_are_taken_and_what_could_run_in_them_is_removed(world, login, manager):
    client = login(manager)
    refused = upload(client, "en", factories.png(), "consent.pdf")
    assert refused.status_code == 422 and "A consent form is a PDF file" in refused.text
    assert '<option value="en" selected>' in refused.text and 'id="consent-file-error"' in refused.text  # the choice stays
    assert upload(client, "xx", factories.pdf()).status_code == 422
    assert upload(client, "", factories.pdf()).status_code == 422
    assert upload(client, "en", b"").status_code == 422
    assert db.session.scalar(select(ConsentForm)) is None

    assert upload(client, "en", with_javascript()).status_code == 302
    page = client.get(SETTINGS).text
    assert "The consent form in English is saved." in page and "were removed from the PDF before it was kept" in page
    content = stored(world, "en").content
    assert content.startswith(b"%PDF-") and b"/JavaScript" not in content and b"openedMarker" not in content


def test_only_the_erns_managers_change_its_consent_forms(world, login, manager):
    client = login(manager)
    upload(client, "de", factories.pdf())
    client = as_user(login, client, world.clinician)
    assert upload(client, "de", factories.pdf(pages=3)).status_code == 403
    assert client.post(f"{SETTINGS}/consent-forms/de/delete").status_code == 403
    assert stored(world, "de").content == factories.pdf()


def test_the_enrolment_form_offers_the_erns_consent_forms(app, world, login, manager):
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    task = task_queries.open_task(task_id)
    assert consent_forms.for_enrolment(task, None) is None  # none uploaded: nothing to show
    client = login(manager)
    upload(client, "fr", factories.pdf())
    upload(client, "en", factories.pdf())
    offered = consent_forms.for_enrolment(task, None)
    assert [(o.language, o.name) for o in offered] == [("en", "English"), ("fr", "French (français)")]
    with app.test_request_context():
        html = render_template("ernsettings/_consent_forms.html", material=offered)
    assert 'href="http://consilium.test/erns/EuroBloodNet/consent-forms/fr"' in html or 'href="/erns/EuroBloodNet/consent-forms/fr"' in html
    assert "French (français)" in html and "English" in html
