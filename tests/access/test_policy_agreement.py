"""Each access predicate and its SQL twin agree on every demo user × every demo object: a list never shows what a
page refuses, and a page never refuses what a list shows (app/security.py)."""

import pytest
from sqlalchemy import select

from app import security
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.database import db
from app.panels import queries as panel_queries
from app.panels.models import Panel
from app.patients.models import Patient
from app.tasks.models import OpenTask
from tests.conftest import database_on_demo

database = pytest.fixture(database_on_demo)  # the demo data seeded once for the module


@pytest.fixture
def demo(database):
    users = list(db.session.scalars(select(User).order_by(User.id)))
    assert len(users) >= 9
    return users


def _selected(model, condition):
    return set(db.session.scalars(select(model.id).where(condition)))


def _agree(demo, model, predicate, sql_filter):
    """For every demo user, the rows the SQL filter selects are exactly those the predicate allows."""
    rows = list(db.session.scalars(select(model)))
    assert len(rows) >= 5
    for user in demo:
        by_predicate = {row.id for row in rows if predicate(user, row)}
        assert _selected(model, sql_filter(user, model)) == by_predicate, user.email


def test_who_sees_a_panel_in_a_list_sees_it_on_its_page(demo):
    _agree(demo, Panel, security.can_see_panel, security.panel_filter)


def test_who_finds_a_patient_by_name_may_read_their_identifying_data(demo):
    _agree(demo, Patient, security.can_see_identifying_data, security.identifying_data_filter)


def test_the_accounts_a_coordinator_lists_are_those_they_may_manage(demo):
    _agree(demo, User, security.can_manage_account, security.managed_accounts_filter)


def test_the_tasks_waiting_on_someone_are_the_ones_they_may_complete(demo):
    """All but one kind: the lead may answer an invitation on an invitee's behalf, but it does not wait on the lead."""
    tasks = list(db.session.scalars(select(OpenTask)))
    assert len(tasks) >= 5
    for user in demo:
        waiting = _selected(OpenTask, security.open_task_filter(user, OpenTask))
        allowed = {task.id for task in tasks if security.can_complete(user, task)}
        on_behalf = {task.id for task in tasks if task.role == "invitee" and task.assignee_id != user.id}
        assert waiting <= allowed, user.email
        assert allowed - waiting <= on_behalf, user.email


def test_the_audit_entries_listed_are_the_ones_one_may_read(demo):
    _agree(demo, AuditEntry, security.can_read_entry, security.audit_filter)


def test_who_may_take_a_task_is_who_may_complete_it_once_it_is_theirs(demo):
    """The people a coordinator may reassign a task to are those who could complete it if it were assigned to them."""
    tasks = list(db.session.scalars(select(OpenTask)))
    for user in demo:
        for task in tasks:
            assigned, task.assignee_id = task.assignee_id, user.id
            assert security.can_complete(user, task)
            task.assignee_id = None
            assert security.could_take(user, task) == security.can_complete(user, task), (user.email, task.name)
            task.assignee_id = assigned


def test_the_leads_offered_for_a_panel_are_the_people_who_may_lead_it(demo):
    for panel in db.session.scalars(select(Panel)):
        offered = {user.id for user in panel_queries.possible_leads(panel)}
        assert offered == {user.id for user in demo if user.active and security.may_lead(user, panel)}, panel.id
