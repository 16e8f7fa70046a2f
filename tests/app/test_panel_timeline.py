"""A panel's timeline tells each event once: a new status the step that caused it already says gets no line of its own."""

from sqlalchemy import select

from app.database import db
from app.panels import services
from app.panels.models import Panel
from app.panels.models import TimelineEntry
from tests import factories
from tests.factories import ORIGIN
from tests.factories import complete
from tests.factories import task_of

OUTCOME = {"case_question": "Which treatment?", "recommendations": "Treatment B.", "diagnosis_codes": "", "follow_up": ""}


def _lines(panel_id: int) -> list[str]:
    entries = db.session.scalars(select(TimelineEntry).where(TimelineEntry.panel_id == panel_id).order_by(TimelineEntry.id))
    return [entry.text for entry in entries]


def test_each_step_of_a_panel_is_one_line_and_a_status_only_where_no_step_says_it(world):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.give_areas(world.brno_clinician, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    assert _lines(panel_id) == ["Panel opened by Hanna Peeters.", "Consultation form submitted."]
    services.invite_experts(world.clinician, panel_id, [world.brno_clinician.id], ORIGIN)
    complete(world.brno_clinician, task_of(world.brno_clinician, "answer_invitation"), {"answer": "accept"})
    complete(world.clinician, task_of(world.clinician, "select_experts"), {})  # no step line of its own: the status says it
    complete(world.clinician, task_of(world.clinician, "draft_outcome"), OUTCOME)
    complete(world.clinician, task_of(world.clinician, "sign_off_outcome"), {"decision": "revise"})
    complete(world.clinician, task_of(world.clinician, "draft_outcome"), OUTCOME)
    complete(world.clinician, task_of(world.clinician, "sign_off_outcome"), {"decision": "sign_off", "sign_off_early": ["yes"]})
    assert _lines(panel_id)[2:] == [
        "Jan Novak was invited.",
        "Jan Novak accepted the invitation.",
        "Status: Panel in progress",
        "Outcome drafted and sent to the members for review.",
        "Status: Panel in progress",
        "Outcome drafted and sent to the members for review.",
        "Outcome signed off.",
    ]
    assert db.session.get(Panel, panel_id).status_label == "Outcome signed off"
