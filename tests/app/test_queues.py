"""Coordinators' queues: every open task of the ERN, pseudonymised; claim, reassign, remind; service levels."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy import update

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.database import db
from app.database import utcnow
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.i18n import display_datetime
from app.notifications.models import Notification
from app.panels import services as panel_services
from app.panels.models import Panel
from app.queues import queries
from app.queues import services
from app.tasks.models import OpenTask
from tests import factories
from tests.factories import ORIGIN


@pytest.fixture
def manager(world):
    user = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    db.session.commit()
    return user


@pytest.fixture
def tasks(world):
    """An enrolment waiting at Leuven and a panel whose lead must select experts."""
    enrolment = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.open_panel(world.clinician, patient)
    return enrolment, patient


def _task(name):
    return db.session.scalar(select(OpenTask).where(OpenTask.name == name))


def test_the_coordinator_sees_every_open_task_pseudonymised_with_counts_per_column(world, login, tasks):
    _enrolment, patient = tasks
    page = login(world.coordinator).get("/erns/EuroBloodNet/queue").text
    panel = db.session.scalar(select(Panel))
    assert "Finish panel selection" in page and panel.title in page and "BE10" in page and "Enrol patient" in page
    assert patient.last_name not in page and patient.first_name not in page
    assert '<option value="panel">Expert panel (1)</option>' in page and '<option value="enrolment">Enrolment (1)</option>' in page
    assert "<td>Expert panel</td>" in page and "Not assigned: for the panel&#39;s lead" in page
    selection = _task("select_experts").engine_task_id
    assert f'href="/queue/tasks/{selection}/reassign"' in page
    filtered = login(world.coordinator).get("/erns/EuroBloodNet/queue?process=panel").text.split("<tbody>")[1]
    assert "Finish panel selection" in filtered and "Enrol patient" not in filtered


def test_a_panels_tasks_carry_its_thematic_area_and_the_area_filter_keeps_them(world, login, tasks):
    panel = db.session.scalar(select(Panel))
    assert _task("select_experts").thematic_area_id == panel.thematic_area_id
    assert _task("enrol_patient").thematic_area_id is None
    client = login(world.coordinator)
    rows = client.get(f"/erns/EuroBloodNet/queue?area={panel.thematic_area_id}").text.split("<tbody>")[1]
    assert "Finish panel selection" in rows and "Enrol patient" not in rows


def _copy(task, **changes):
    """Another open task like this one (same instance), with these columns changed."""
    columns = {c.key: getattr(task, c.key) for c in OpenTask.__table__.columns if c.key not in ("id", "engine_task_id")}
    db.session.add(OpenTask(**(columns | changes), engine_task_id=str(uuid.uuid4())))


def test_each_column_is_counted_within_the_other_filters_and_the_check_boxes(world, tasks):
    selection, enrolment = _task("select_experts"), _task("enrol_patient")
    now, area = utcnow(), selection.thematic_area_id
    selection.sla_due_at = now - timedelta(days=1)  # panel, unassigned, overdue
    _copy(selection, name="draft_outcome", label="Draft outcome", assignee_id=world.clinician.id)  # panel, assigned, overdue
    _copy(
        selection,
        process_id="invitation",
        name="answer_invitation",
        label="Answer invitation",
        assignee_id=world.colleague.id,
        sla_due_at=None,
    )
    _copy(enrolment, centre_id=world.brno.id, created_at=now - timedelta(days=3))  # enrolment at Brno, unassigned
    db.session.commit()

    def counted(**filters):
        result = queries.queue(world.ern.id, queries.Filters(**filters), now)
        return result.total, {column: {value: n for value, _label, n in result.counts[column]} for column in result.counts}

    total, counts = counted()
    assert total == 5 and counts["overdue"] == {True: 2}
    assert counts["process"] == {"panel": 2, "enrolment": 2, "invitation": 1}
    assert counts["centre"] == {world.leuven.id: 4, world.brno.id: 1} and counts["area"] == {area: 3}
    total, counts = counted(process="panel")
    assert total == 2 and counts["task"] == {"select_experts": 1, "draft_outcome": 1}
    assert counts["process"] == {"panel": 2, "enrolment": 2, "invitation": 1}  # the process column ignores its own filter
    assert counts["centre"] == {world.leuven.id: 2} and counts["overdue"] == {True: 2}
    total, counts = counted(process="panel", unassigned=True)
    assert total == 1 and counts["overdue"] == {True: 1} and counts["process"] == {"panel": 1, "enrolment": 2}
    total, counts = counted(overdue=True, unassigned=True)
    assert total == 1 and counts["task"] == {"select_experts": 1}
    total, counts = counted(area_id=area, centre_id=world.leuven.id)
    assert total == 3 and counts["centre"] == {world.leuven.id: 3} and counts["area"] == {area: 3}
    unknown = queries.queue(world.ern.id, queries.Filters(), now, sort="no such column")
    assert unknown.sort == "due"
    assert [row.engine_task_id for row in unknown.rows] == [
        row.engine_task_id for row in queries.queue(world.ern.id, queries.Filters(), now).rows
    ]
    rows = queries.queue(world.ern.id, queries.Filters(), now, sort="age", per_page=2, page=2)
    assert rows.pages == 3 and len(rows.rows) == 2 and not rows.rows[0].overdue  # overdue first, then the oldest


def test_a_service_level_dates_open_tasks_and_overdue_ones_come_first_and_are_escalated_once(world, login, manager, tasks):
    services.set_rule(manager, world.ern.id, "select_experts", 3 * 24, ORIGIN)
    task = _task("select_experts")
    assert task.sla_due_at is not None and task.due_at is None
    db.session.execute(update(OpenTask).where(OpenTask.id == task.id).values(sla_due_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    page = login(world.coordinator).get("/erns/EuroBloodNet/queue").text
    first_row = page.split("<tbody>")[1].split("</tr>")[0]
    assert "Finish panel selection" in first_row and "overdue" in first_row and "1 overdue" in page
    assert services.escalate_overdue(utcnow()) == 1
    assert services.escalate_overdue(utcnow()) == 0  # once per task
    told = db.session.scalars(select(Notification).where(Notification.user_id == world.coordinator.id)).all()
    assert len(told) == 1 and "past their due date" in told[0].text and told[0].link == "/erns/EuroBloodNet/queue?overdue=1"
    services.set_rule(manager, world.ern.id, "select_experts", None, ORIGIN)
    assert _task("select_experts").sla_due_at is None


def test_only_managers_set_service_levels_within_bounds(world, manager):
    with pytest.raises(NotAllowed):
        services.set_rule(world.coordinator, world.ern.id, "select_experts", 3 * 24, ORIGIN)
    with pytest.raises(InvalidInput):
        services.set_rule(manager, world.ern.id, "select_experts", 0, ORIGIN)


def test_a_new_task_gets_its_due_date_from_the_service_level(world, manager):
    services.set_rule(manager, world.ern.id, "select_experts", 2 * 24, ORIGIN)
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.open_panel(world.clinician, patient)
    task = _task("select_experts")
    assert timedelta(days=1, hours=23) < task.sla_due_at - task.created_at <= timedelta(days=2)


def test_the_coordinator_reassigns_with_a_reason_only_to_someone_whose_role_allows_it(world, login, tasks):
    task = _task("select_experts")
    eligible = [user.id for user in services.candidates(task)]
    assert eligible == [world.clinician.id]  # the lead: the panel lead's task is for the lead
    enrolment = _task("enrol_patient")
    assert {u.id for u in services.candidates(enrolment)} >= {world.clinician.id, world.colleague.id}
    assert world.brno_clinician.id not in {u.id for u in services.candidates(enrolment)}
    with pytest.raises(InvalidInput):
        services.reassign(world.coordinator, enrolment.engine_task_id, world.colleague.id, "  ", ORIGIN)
    with pytest.raises(InvalidInput):
        services.reassign(world.coordinator, enrolment.engine_task_id, world.brno_clinician.id, "Brno has time", ORIGIN)
    client = login(world.coordinator)
    response = client.post(
        f"/queue/tasks/{enrolment.engine_task_id}/reassign", data={"assignee": str(world.colleague.id), "reason": "Hanna is on leave"}
    )
    assert response.status_code == 302
    assert db.session.get(OpenTask, enrolment.id).assignee_id == world.colleague.id
    told = db.session.scalar(select(Notification).where(Notification.user_id == world.colleague.id))
    assert "Hanna is on leave" in told.text
    with pytest.raises(NotAllowed):
        services.reassign(world.clinician, enrolment.engine_task_id, world.clinician.id, "mine", ORIGIN)


def test_a_colleague_claims_a_task_of_the_centre_and_it_shows_in_my_tasks(world, login, tasks):
    enrolment = _task("enrol_patient")
    client = login(world.colleague)
    assert client.post(f"/queue/tasks/{enrolment.engine_task_id}/claim").status_code == 302
    assert db.session.get(OpenTask, enrolment.id).assignee_id == world.colleague.id
    assert enrolment.label in client.get("/tasks/").text


def test_reminders_reach_the_people_a_task_waits_on(world, login, tasks):
    task = _task("select_experts")
    client = login(world.coordinator)
    response = client.post("/erns/EuroBloodNet/queue/remind", data={"task": [task.engine_task_id]})
    assert response.status_code == 302
    reminder = db.session.scalar(
        select(Notification).where(Notification.user_id == world.clinician.id, Notification.text.like("Reminder%"))
    )
    assert reminder is not None and reminder.link == f"/tasks/{task.engine_task_id}"


def test_every_sort_pages_through_each_task_once_overdue_first(world, tasks):
    selection, enrolment = _task("select_experts"), _task("enrol_patient")
    now = utcnow()
    for days in range(1, 7):  # every other one overdue, opened on different days
        _copy(enrolment if days % 2 else selection, created_at=now - timedelta(days=days), sla_due_at=now + timedelta(days=(-1) ** days))
    db.session.commit()
    every = 8
    for sort in queries.SORTS:
        for descending in (False, True):
            whole = queries.queue(world.ern.id, queries.Filters(), now, sort=sort, descending=descending, per_page=every).rows
            overdue = [row.overdue for row in whole]
            assert len(whole) == every and overdue == sorted(overdue, reverse=True) and sum(overdue) == 3
            if sort == "age":
                for part in (True, False):
                    ages = [row.created_at for row in whole if row.overdue is part]
                    assert ages == sorted(ages, reverse=descending)
            for per_page in (1, 3, 5):
                pages = -(-every // per_page)
                paged = [
                    row.engine_task_id
                    for page in range(1, pages + 1)
                    for row in queries.queue(
                        world.ern.id, queries.Filters(), now, sort=sort, descending=descending, page=page, per_page=per_page
                    ).rows
                ]
                assert paged == [row.engine_task_id for row in whole], (sort, descending, per_page)
    overdue_only = queries.queue(world.ern.id, queries.Filters(overdue=True), now, sort="age", per_page=2, page=2).rows
    assert len(overdue_only) == 1 and overdue_only[0].overdue


def test_take_it_is_offered_only_for_tasks_the_coordinator_may_take_and_others_are_refused(world, login, tasks):
    panel = db.session.scalar(select(Panel))
    panel_services.request_assistance(world.clinician, panel.id, ORIGIN)  # a task for the ERN's coordinators
    selection, suggestion = _task("select_experts"), _task("suggest_experts")
    client = login(world.coordinator)
    page = client.get("/erns/EuroBloodNet/queue").text
    assert f'action="/queue/tasks/{suggestion.engine_task_id}/claim"' in page  # the coordinators' own task
    assert f'action="/queue/tasks/{selection.engine_task_id}/claim"' not in page  # the panel lead's
    assert f'action="/queue/tasks/{_task("enrol_patient").engine_task_id}/claim"' not in page  # the centre's clinicians'
    assert client.post(f"/queue/tasks/{selection.engine_task_id}/claim").status_code == 403
    assert db.session.get(OpenTask, selection.id).assignee_id is None
    assert client.post(f"/queue/tasks/{suggestion.engine_task_id}/claim").status_code == 302
    assert db.session.get(OpenTask, suggestion.id).assignee_id == world.coordinator.id


def _statements_of_queue_page(client):
    executed = []
    connection = db.session.connection()
    listener = lambda *arguments: executed.append(arguments[2])  # noqa: E731
    event.listen(connection, "before_cursor_execute", listener)
    try:
        assert client.get("/erns/EuroBloodNet/queue").status_code == 200
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    return len(executed)


def test_the_queue_page_asks_as_many_statements_for_many_rows_as_for_few(world, login, tasks):
    client = login(world.coordinator)
    few = _statements_of_queue_page(client)
    for _ in range(6):
        factories.start_enrolment(world.clinician, world.leuven, world.ern)
    panel = db.session.scalar(select(Panel))
    panel_services.request_assistance(world.clinician, panel.id, ORIGIN)
    assert _statements_of_queue_page(client) == few


def test_the_reassign_page_says_what_the_task_is_who_holds_it_since_when_and_who_may_take_it(world, login, tasks):
    _enrolment, patient = tasks
    panel = db.session.scalar(select(Panel))
    selection = _task("select_experts")
    client = login(world.coordinator)
    page = client.get(f"/queue/tasks/{selection.engine_task_id}/reassign").text
    assert "Finish panel selection" in page and "Expert panel" in page
    assert f'<a href="/panels/{panel.id}">Panel {panel.title}</a>' in page and patient.cpms_id in page
    assert "EuroBloodNet" in page and panel.thematic_area.name in page and "BE10 - University Hospital Leuven" in page
    assert "Nobody yet: it waits for the panel&#39;s lead (Hanna Peeters)" in page
    assert display_datetime(selection.created_at) in page and "No due date" in page
    assert f'value="{world.clinician.id}"' in page and "Hanna Peeters, Haematologist" in page
    assert patient.last_name not in page
    enrolment = _task("enrol_patient")
    page = client.get(f"/queue/tasks/{enrolment.engine_task_id}/reassign").text
    assert "a patient being enrolled" in page and "Enrolment" in page
    for person in (world.clinician, world.colleague):
        assert f'value="{person.id}"' in page and person.full_name in page
    assert f'value="{world.brno_clinician.id}"' not in page and "Nobody in particular: the clinicians of the patient&#39;s centre" in page
    services.reassign(world.coordinator, enrolment.engine_task_id, world.colleague.id, "Hanna is on leave", ORIGIN)
    page = client.get(f"/queue/tasks/{enrolment.engine_task_id}/reassign").text
    given = db.session.scalar(select(AuditEntry.at).where(AuditEntry.action == "task.reassigned"))
    assert f'Elise Janssens <span class="text-body-secondary">since {display_datetime(given)}</span>' in page
    assert "holds it now" in page


def test_an_invitation_is_not_offered_for_reassignment(world, login, tasks):
    panel = db.session.scalar(select(Panel))
    factories.give_areas(world.brno_clinician, world.ern)
    panel_services.invite_experts(world.clinician, panel.id, [world.brno_clinician.id], ORIGIN)
    invitation = _task("answer_invitation")
    client = login(world.coordinator)
    page = client.get("/erns/EuroBloodNet/queue").text
    assert "Answer invitation" in page and f"/queue/tasks/{invitation.engine_task_id}/reassign" not in page
    page = client.get(f"/queue/tasks/{invitation.engine_task_id}/reassign").text
    assert "An invitation belongs to the invitee" in page and 'name="reason"' not in page
