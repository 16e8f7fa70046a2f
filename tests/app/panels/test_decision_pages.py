"""Every panel task page shows what is decided on it (issue 18 §1) and leads on without dead ends (§2)."""

from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import func
from sqlalchemy import select

from app.database import db
from app.database import utcnow
from app.errors import InvalidInput
from app.notifications.models import Notification
from app.panels import services
from app.panels.models import Contribution
from app.panels.models import InvitationStatus
from app.panels.models import Outcome
from app.panels.models import Panel
from app.panels.models import PanelMember
from app.patients.models import Patient
from app.tasks.models import OpenTask
from tests import factories
from tests.factories import ORIGIN
from tests.factories import complete
from tests.factories import task_of

OUTCOME = {"case_question": "Which treatment?", "recommendations": "Treatment Quokka B.", "diagnosis_codes": "", "follow_up": ""}


@pytest.fixture
def assessing(world):
    """A panel of Hanna's in assessment: Jan (Brno) accepted and contributed, Jan asked for data."""
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    for user in (world.clinician, world.colleague, world.brno_clinician):
        factories.give_areas(user, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    services.invite_experts(world.clinician, panel_id, [world.brno_clinician.id], ORIGIN)
    complete(world.brno_clinician, task_of(world.brno_clinician, "answer_invitation"), {"answer": "accept"})
    contribution = {"text": "Consider the Wombat protocol.", "hours": "0", "minutes": "45"}
    complete(world.brno_clinician, task_of(world.brno_clinician, "record_contribution"), contribution)
    services.request_additional_data(world.brno_clinician, panel_id, "Any cardiac MRI since March?", ORIGIN)
    complete(world.clinician, task_of(world.clinician, "select_experts"), {})
    return db.session.get(Panel, panel_id)


@pytest.fixture
def in_review(world, assessing):
    complete(world.clinician, task_of(world.clinician, "draft_outcome"), OUTCOME)
    return assessing


def _signed(panel: Panel) -> bool:
    outcome = db.session.scalar(select(Outcome).where(Outcome.panel_id == panel.id))
    return outcome is not None and outcome.signed_at is not None


def _sign_off_task(world) -> OpenTask:
    return db.session.scalar(select(OpenTask).where(OpenTask.engine_task_id == task_of(world.clinician, "sign_off_outcome")))


def test_the_sign_off_page_shows_the_outcome_the_review_comments_and_the_window(world, login, in_review):
    services.add_comment(world.brno_clinician, in_review.id, "Add the dose of B, please.", ORIGIN)
    page = login(world.clinician).get(f"/tasks/{task_of(world.clinician, 'sign_off_outcome')}").text
    assert "The outcome as it will be signed" in page and "Treatment Quokka B." in page
    assert "Add the dose of B, please." in page and "Jan Novak" in page
    assert "The review window is open until" in page
    assert 'id="reviewed-by">Jan Novak<' in page
    assert "Sign off early" in page


def test_signing_off_while_the_window_is_open_needs_every_review_or_the_early_tick(world, login, in_review):
    task_id = task_of(world.clinician, "sign_off_outcome")
    with pytest.raises(InvalidInput, match="Jan Novak did not review yet"):
        complete(world.clinician, task_id, {"decision": "sign_off"})
    response = login(world.clinician).post(f"/tasks/{task_id}", data={"decision": "sign_off"})
    assert response.status_code == 422 and "tick “Sign off early”" in response.text
    services.add_comment(world.brno_clinician, in_review.id, "Agreed.", ORIGIN)
    complete(world.clinician, task_id, {"decision": "sign_off"})
    assert _signed(in_review)


def test_the_early_tick_signs_off_at_once_and_after_the_window_no_tick_is_needed(world, in_review):
    complete(world.clinician, task_of(world.clinician, "sign_off_outcome"), {"decision": "sign_off", "sign_off_early": ["yes"]})
    assert _signed(in_review)


def test_after_the_review_window_the_lead_signs_off_without_the_tick(world, in_review):
    _sign_off_task(world).due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    complete(world.clinician, task_of(world.clinician, "sign_off_outcome"), {"decision": "sign_off"})
    assert _signed(in_review)


def test_revising_needs_no_tick(world, in_review):
    complete(world.clinician, task_of(world.clinician, "sign_off_outcome"), {"decision": "revise"})
    assert task_of(world.clinician, "draft_outcome")


def test_the_provide_data_page_shows_the_question_who_asked_and_takes_files(world, login, assessing):
    task_id = task_of(world.clinician, "provide_additional_data")
    page = login(world.clinician).get(f"/tasks/{task_id}").text
    assert "Any cardiac MRI since March?" in page and "Asked by Jan Novak" in page
    assert f'action="/panels/{assessing.id}/documents"' in page and f'name="return_to" value="/tasks/{task_id}"' in page


def test_the_invitation_and_contribution_pages_show_the_case_documents_and_contributions(world, login, assessing):
    factories.attach(world.clinician, assessing.id, factories.pdf())
    services.invite_experts(world.clinician, assessing.id, [world.colleague.id], ORIGIN)
    client = login(world.colleague)
    page = client.get(f"/tasks/{task_of(world.colleague, 'answer_invitation')}").text
    assert "Consultation form (read-only)" in page and "Which treatment next?" in page
    assert "Documents and images" in page and "/documents/" in page
    assert "Consider the Wombat protocol." in page
    complete(world.colleague, task_of(world.colleague, "answer_invitation"), {"answer": "accept"})
    page = client.get(f"/tasks/{task_of(world.colleague, 'record_contribution')}").text
    assert "Consider the Wombat protocol." in page and "Which treatment next?" in page


def test_the_draft_outcome_page_shows_every_contribution_and_the_data_requests_with_their_answers(world, login, assessing):
    complete(world.clinician, task_of(world.clinician, "provide_additional_data"), {"answer": "MRI of 12 May: no change."})
    page = login(world.clinician).get(f"/tasks/{task_of(world.clinician, 'draft_outcome')}").text
    assert "Consider the Wombat protocol." in page
    assert "Any cardiac MRI since March?" in page and "MRI of 12 May: no change." in page


def test_after_the_consultation_form_the_next_page_is_the_invitation_step_with_every_expert(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.give_areas(world.brno_clinician, world.ern, "Amyloidosis")
    factories.give_areas(world.colleague, world.ern, "Rare lymphomas")
    panel_id = factories.open_panel(world.clinician, patient, submit=False)
    client = login(world.clinician)
    response = client.post(f"/tasks/{task_of(world.clinician, 'fill_consultation')}", data=factories.CONSULTATION)
    assert response.status_code == 302
    assert response.location == f"/tasks/{task_of(world.clinician, 'select_experts')}"
    page = client.get(response.location).text
    assert f"Consultation form of panel #{panel_id} blue heron submitted: now invite the experts." in page
    assert "Invite experts" in page and "Start assessment" in page
    # Ranked for the case (issue 25): the expert of the panel's thematic area first, each with the reason.
    assert "ranked for this case" in page
    assert page.index("Jan Novak") < page.index("Elise Janssens")
    assert "Ask the coordinators to suggest experts" in page
    invited = client.post(
        f"/panels/{panel_id}/invite", data={"user_id": [world.brno_clinician.id, world.colleague.id], "return_to": response.location}
    )
    assert invited.location == response.location
    page = client.get(response.location).text
    assert "Jan Novak, Elise Janssens invited." in page or "Elise Janssens, Jan Novak invited." in page
    assert 'id="panel-people"' in page and page.count("— Invited") == 2


def test_an_invitation_redirect_stays_inside_the_application(world, login, assessing):
    response = login(world.clinician).post(
        f"/panels/{assessing.id}/invite", data={"user_id": [world.colleague.id], "return_to": "//evil.example/tasks/"}
    )
    assert response.location == f"/panels/{assessing.id}?tab=members"


def test_a_contribution_from_the_panel_page_completes_the_members_own_task(world, login, assessing):
    services.invite_experts(world.clinician, assessing.id, [world.colleague.id], ORIGIN)
    complete(world.colleague, task_of(world.colleague, "answer_invitation"), {"answer": "accept"})
    assert task_of(world.colleague, "record_contribution")
    response = login(world.colleague).post(
        f"/panels/{assessing.id}/contribute", data={"text": "Second opinion: agree.", "hours": "0", "minutes": "20"}
    )
    assert response.status_code == 302
    assert not [t for t in _open_of(world.colleague) if t.name == "record_contribution"]
    assert db.session.scalar(select(func.count()).select_from(Contribution).where(Contribution.author_id == world.colleague.id)) == 1


def _open_of(user):
    from app.tasks import queries as task_queries

    return task_queries.open_tasks_for(user)


def test_the_lead_answers_an_invitation_for_the_invitee_from_the_members_tab(world, login, assessing):
    services.invite_experts(world.clinician, assessing.id, [world.colleague.id], ORIGIN)
    client = login(world.clinician)
    page = client.get(f"/panels/{assessing.id}?tab=members").text
    task_id = task_of(world.colleague, "answer_invitation")
    assert "Answer for Elise Janssens" in page and f"/tasks/{task_id}" in page
    assert client.post(f"/tasks/{task_id}", data={"answer": "accept"}).status_code == 302
    member = db.session.scalar(select(PanelMember).where(PanelMember.user_id == world.colleague.id))
    assert member.status == InvitationStatus.ACCEPTED and member.answered_by_id == world.clinician.id


def test_closing_has_no_preselected_reason_and_refuses_none(world, login, assessing):
    client = login(world.clinician)
    page = client.get(f"/panels/{assessing.id}").text
    assert (
        '<option value="">Choose a reason</option>' in page and "selected" not in page.split('id="close-reason"')[1].split("</select>")[0]
    )
    response = client.post(f"/panels/{assessing.id}/close", data={"reason": "", "note": ""})
    assert response.status_code == 422 and "Choose a closing reason." in response.text
    assert not db.session.get(Panel, assessing.id).closed


def test_a_panel_opens_only_on_a_chosen_thematic_area(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    client = login(world.clinician)
    page = client.get(f"/patients/{patient.id}").text
    assert "Open a panel on" in page and "selected" not in page
    assert f'name="thematic_area_id" value="{world.ern.thematic_areas[0].id}">Amyloidosis</button>' in page
    response = client.post("/panels/open", data={"patient_id": patient.id, "thematic_area_id": ""})
    assert response.status_code == 422 and "Choose the thematic area the panel is about." in response.text
    assert db.session.scalar(select(func.count()).select_from(Panel)) == 0


def test_a_contribution_carries_its_authors_pdf_and_members_comments(world, login, assessing):
    contribution = db.session.scalar(select(Contribution).where(Contribution.panel_id == assessing.id))
    jan = login(world.brno_clinician)
    response = jan.post(
        f"/panels/{assessing.id}/contributions/{contribution.id}/documents",
        data={"file": (BytesIO(factories.pdf()), "wombat-protocol.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and response.location.endswith(f"#contribution-{contribution.id}")
    refused = jan.post(
        f"/panels/{assessing.id}/contributions/{contribution.id}/documents",
        data={"file": (BytesIO(factories.png()), "scan.png")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and "A contribution carries a PDF" in refused.text
    response = jan.post(f"/panels/{assessing.id}/contribution-comments", data={"contribution_id": contribution.id, "text": "  "})
    assert response.status_code == 422 and "cannot be empty" in response.text
    jan.post("/logout")
    hanna = login(world.clinician)
    refused = hanna.post(
        f"/panels/{assessing.id}/contributions/{contribution.id}/documents",
        data={"file": (BytesIO(factories.pdf()), "mine.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 403
    response = hanna.post(f"/panels/{assessing.id}/contribution-comments", data={"contribution_id": contribution.id, "text": "Which dose?"})
    assert response.status_code == 302
    page = hanna.get(f"/panels/{assessing.id}?tab=contributions").text
    article = page.split(f'id="contribution-{contribution.id}"')[1].split("</article>")[0]
    assert "wombat-protocol.pdf" in article and "Which dose?" in article and "Hanna Peeters" in article
    told = db.session.scalars(select(Notification.text).where(Notification.user_id == world.brno_clinician.id)).all()
    assert any("commented on your contribution" in text for text in told)


@pytest.mark.parametrize(
    ("task", "answers", "said"),
    [
        ("sign_off_outcome", {"decision": "revise"}, "Outcome of panel #{id} blue heron sent back for revision."),
        ("sign_off_outcome", {"decision": "sign_off", "sign_off_early": ["yes"]}, "Outcome of panel #{id} blue heron signed off."),
    ],
)
def test_a_confirmation_says_what_happened(world, login, in_review, task, answers, said):
    client = login(world.clinician)
    response = client.post(f"/tasks/{task_of(world.clinician, task)}", data=answers, follow_redirects=True)
    assert said.format(id=in_review.id) in response.text and ": done." not in response.text


def test_the_enrolment_confirmation_names_the_new_patient_by_cpms_id(world, login):
    client = login(world.clinician)
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    response = client.post(f"/tasks/{task_id}", data=factories.enrolment_answers(), follow_redirects=True)
    patient = db.session.scalar(select(Patient).order_by(Patient.id.desc()))
    assert f"Patient {patient.cpms_id} enrolled." in response.text


def test_once_signed_off_the_lead_closes_through_the_closing_form_only(world, login, in_review):
    complete(world.clinician, task_of(world.clinician, "sign_off_outcome"), {"decision": "sign_off", "sign_off_early": ["yes"]})
    page = login(world.clinician).get(f"/panels/{in_review.id}").text
    assert 'id="close-by-task"' in page and f"/tasks/{task_of(world.clinician, 'close_panel')}" in page
    assert 'id="close-reason"' not in page
