"""Appointing and revoking roles, deactivating and reactivating accounts: who may, what changes at once, the audit."""

import pytest
from sqlalchemy import select

from app.accounts import services as account_services
from app.accounts.models import Membership
from app.accounts.models import Role
from app.accounts.models import SignIn
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.database import db
from app.queues import services as queue_services
from app.tasks.models import OpenTask
from tests import factories
from tests.factories import ORIGIN


@pytest.fixture
def manager(world):
    user = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    db.session.commit()
    return user


@pytest.fixture
def admin(world):
    user = factories.make_user("admin@consilium.example", [], "Ada", "Admin")
    user.is_admin = True
    db.session.commit()
    return user


def roles_of(user):
    db.session.expire(user, ["memberships"])
    return sorted(((m.ern.code, m.centre.code if m.centre else None, m.role.value) for m in user.memberships), key=str)


def actions():
    return [entry.action for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_an_ern_manager_appoints_a_panel_manager_for_one_centre_and_revokes_it(world, manager, login):
    client = login(manager)
    page = client.get(f"/members/{world.clinician.id}")
    assert page.status_code == 200 and "Appoint a role" in page.text and "EuroBloodNet at BE10 - University Hospital Leuven" in page.text
    response = client.post(
        f"/members/{world.clinician.id}/roles", data={"role": "panel-manager", "scope": f"{world.ern.id}-{world.leuven.id}"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/members/{world.clinician.id}")
    page = client.get(response.headers["Location"])
    assert "Hanna Peeters is now Panel manager in EuroBloodNet @ BE10." in page.text
    assert roles_of(world.clinician) == [("EuroBloodNet", "BE10", "member_expert"), ("EuroBloodNet", "BE10", "panel_manager")]

    membership = db.session.scalar(select(Membership).where(Membership.role == Role.PANEL_MANAGER))
    response = client.post(f"/members/{world.clinician.id}/roles/{membership.id}/revoke")
    assert "The role Panel manager in EuroBloodNet @ BE10 was revoked." in client.get(response.headers["Location"]).text
    assert roles_of(world.clinician) == [("EuroBloodNet", "BE10", "member_expert")]
    assert actions()[-2:] == ["role.appointed", "role.revoked"]


def test_an_ern_manager_appoints_coordinators_dispatchers_and_whole_ern_panel_managers(world, manager):
    from app.accounts.appointments import appoint_role

    for role in ("coordinator", "dispatcher", "panel_manager"):
        appoint_role(manager, world.researcher.id, role, world.ern.id, None, ORIGIN)
    assert roles_of(world.researcher) == [
        ("EuroBloodNet", None, "coordinator"),
        ("EuroBloodNet", None, "dispatcher"),
        ("EuroBloodNet", None, "panel_manager"),
        ("EuroBloodNet", None, "researcher"),
    ]


@pytest.mark.parametrize(
    ("who", "role", "scope", "message"),
    [
        ("coordinator", "panel-manager", "whole", "Only the network&#39;s ERN managers appoint"),
        ("coordinator", "coordinator", "whole", "Only the network&#39;s ERN managers appoint"),
        ("manager", "ern-manager", "whole", "Only a system administrator appoints or revokes ERN managers."),
        ("manager", "assistant", "leuven", "Only the network&#39;s coordinators appoint or revoke assistants."),
        ("manager", "dispatcher", "other_ern", "Only the network&#39;s ERN managers appoint"),
    ],
)
def test_a_role_appointed_by_someone_not_allowed_is_refused_and_nothing_changes(world, manager, login, who, role, scope, message):
    actor = manager if who == "manager" else world.coordinator
    scopes = {"whole": str(world.ern.id), "leuven": f"{world.ern.id}-{world.leuven.id}", "other_ern": str(world.other_ern.id)}
    before = roles_of(world.clinician)
    response = login(actor).post(f"/members/{world.clinician.id}/roles", data={"role": role, "scope": scopes[scope]})
    assert response.status_code == 403 and message in response.text
    assert roles_of(world.clinician) == before
    assert "role.appointed" not in actions()


def test_nobody_appoints_themselves(world, manager, login):
    response = login(manager).post(f"/members/{manager.id}/roles", data={"role": "coordinator", "scope": str(world.ern.id)})
    assert response.status_code == 403 and "You cannot appoint yourself" in response.text
    assert roles_of(manager) == [("EuroBloodNet", None, "ern_manager")]


def test_people_outside_ones_networks_are_not_found_and_others_cannot_appoint(world, manager, login):
    outsider_ern = factories.make_ern("ERKNet", ("Kidney",))
    outsider = factories.make_user("kidney@elsewhere.example", [(outsider_ern, None, Role.ERN_MANAGER)])
    db.session.commit()
    data = {"role": "coordinator", "scope": str(world.ern.id)}
    for user in (outsider, world.brno_clinician, world.researcher):
        client = login(user)
        assert client.get(f"/members/{world.clinician.id}").status_code == 404
        assert client.post(f"/members/{world.clinician.id}/roles", data=data).status_code == 404
        client.post("/logout")
    assert roles_of(world.clinician) == [("EuroBloodNet", "BE10", "member_expert")]


def test_the_system_administrator_appoints_an_ern_manager(world, admin):
    from app.accounts.appointments import appoint_role

    appoint_role(admin, world.researcher.id, "ern_manager", world.ern.id, None, ORIGIN)
    assert ("EuroBloodNet", None, "ern_manager") in roles_of(world.researcher)


def test_a_coordinator_appoints_an_assistant_at_a_centre_of_the_network(world, login):
    client = login(world.coordinator)
    response = client.post(
        f"/members/{world.researcher.id}/roles", data={"role": "assistant", "scope": f"{world.ern.id}-{world.leuven.id}"}
    )
    assert response.status_code == 302
    assert ("EuroBloodNet", "BE10", "assistant") in roles_of(world.researcher)


@pytest.mark.parametrize(
    ("actor", "role", "scope"),
    [
        ("coordinator", "assistant", "whole"),  # an assistant works at a centre
        ("manager", "coordinator", "leuven"),  # a coordinator serves the whole network
        ("manager", "panel-manager", "brno_in_vascern"),  # Brno is not a VASCERN centre
        ("manager", "panel-manager", "nonsense"),
        ("manager", "member-expert", "whole"),  # memberships come from account requests
    ],
)
def test_a_role_in_the_wrong_place_is_refused_with_what_to_choose(world, manager, login, actor, role, scope):
    scopes = {
        "whole": str(world.ern.id),
        "leuven": f"{world.ern.id}-{world.leuven.id}",
        "brno_in_vascern": f"{world.other_ern.id}-{world.brno.id}",
        "nonsense": "1-x",
    }
    client = login(world.coordinator if actor == "coordinator" else manager)
    before = roles_of(world.clinician)
    response = client.post(f"/members/{world.clinician.id}/roles", data={"role": role, "scope": scopes[scope]})
    assert response.status_code == 422 and ("Choose where the role applies." in response.text or "Choose a role" in response.text)
    assert roles_of(world.clinician) == before


def test_a_role_held_already_is_not_appointed_twice(world, manager, login):
    client = login(manager)
    data = {"role": "dispatcher", "scope": str(world.ern.id)}
    client.post(f"/members/{world.researcher.id}/roles", data=data)
    response = client.post(f"/members/{world.researcher.id}/roles", data=data)
    assert "Rui Researcher holds this role already." in client.get(response.headers["Location"]).text
    assert roles_of(world.researcher).count(("EuroBloodNet", None, "dispatcher")) == 1


def test_memberships_from_account_requests_are_not_revoked_here(world, manager, login):
    membership = world.clinician.memberships[0]
    response = login(world.coordinator).post(f"/members/{world.clinician.id}/roles/{membership.id}/revoke")
    assert response.status_code == 403 and "deactivate the account instead" in response.text
    assert roles_of(world.clinician) == [("EuroBloodNet", "BE10", "member_expert")]


def waiting_review(world):
    """An account request: its review waits on the ERN's coordinators (a task of the coordinator's lane)."""
    account_services.request_account(
        account_services.AccountApplication(
            "nora@brno.example", "Nora", "Newcomer", world.ern.id, world.brno.id, "member_expert", "Haematologist", "Rare lymphomas."
        ),
        ORIGIN,
    )
    return db.session.scalar(select(OpenTask).where(OpenTask.name == "review_account_request"))


def test_revoking_a_role_hands_back_the_tasks_it_was_needed_for_and_only_those(world, manager):
    from app.accounts.appointments import appoint_role
    from app.accounts.appointments import revoke_role

    task = waiting_review(world)
    queue_services.claim(world.coordinator, task.engine_task_id, ORIGIN)
    dispatcher = appoint_role(manager, world.coordinator.id, "dispatcher", world.ern.id, None, ORIGIN)
    assert revoke_role(manager, world.coordinator.id, dispatcher.id, ORIGIN).tasks_handed_back == 0
    db.session.refresh(task)
    assert task.assignee_id == world.coordinator.id  # still a coordinator: the task stays theirs

    coordinator = next(m for m in world.coordinator.memberships if m.role == Role.COORDINATOR)
    assert revoke_role(manager, world.coordinator.id, coordinator.id, ORIGIN).tasks_handed_back == 1
    db.session.refresh(task)
    assert task.assignee_id is None  # back in the queue for the ERN's coordinators
    handed_back = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "task.handed_back"))
    assert handed_back.target_id == task.engine_task_id and handed_back.details["reason"] == "role revoked"


def test_a_deactivated_account_is_signed_out_at_once_and_its_tasks_go_back_to_the_queue(world, login):
    from app.accounts.appointments import deactivate_account

    task = waiting_review(world)
    colleague = factories.make_user("second@ern.example", [(world.ern, None, Role.COORDINATOR)], "Cleo", "Second")
    db.session.commit()
    queue_services.claim(colleague, task.engine_task_id, ORIGIN)
    client = login(colleague)
    assert client.get("/").status_code == 200

    assert deactivate_account(world.coordinator, colleague.id, ORIGIN) == 1
    assert "/login" in client.get("/").headers["Location"]  # the open session ended at once
    assert db.session.scalar(select(SignIn).where(SignIn.user_id == colleague.id, SignIn.ended_at.is_(None))) is None
    db.session.refresh(task)
    assert task.assignee_id is None
    refused = client.post("/login", data={"email": colleague.email, "password": factories.PASSWORD})
    assert "Wrong e-mail or password." in refused.text
    assert [m.role for m in colleague.memberships] == [Role.COORDINATOR]  # history and roles kept
    assert actions()[-3:] == ["task.handed_back", "account.deactivated", "login.failed"]

    coordinator = login(world.coordinator)
    page = coordinator.get(f"/members/{colleague.id}").text
    assert "Deactivated: cannot sign in." in page and "Reactivate the account" in page
    response = coordinator.post(f"/members/{colleague.id}/reactivate")
    assert "The account is active again" in coordinator.get(response.headers["Location"]).text
    response = coordinator.post(f"/members/{colleague.id}/deactivate")
    page = coordinator.get(response.headers["Location"]).text
    assert "The account is deactivated: its sessions ended and it cannot sign in. 0 open tasks went back to the queue." in page
    coordinator.post(f"/members/{colleague.id}/reactivate")
    coordinator.post("/logout")
    assert login(colleague).get("/").status_code == 200


def test_only_administrators_and_the_members_coordinators_deactivate_accounts(world, manager, login):
    for user, status in ((manager, 403), (world.brno_clinician, 404), (world.colleague, 404)):
        client = login(user)
        assert client.post(f"/members/{world.clinician.id}/deactivate").status_code == status
        client.post("/logout")
    db.session.refresh(world.clinician)
    assert world.clinician.active
    assert login(world.coordinator).post(f"/members/{world.coordinator.id}/deactivate").status_code == 403  # not oneself


def test_an_administrator_deactivates_and_reactivates_any_account(world, admin):
    from app.accounts.appointments import deactivate_account
    from app.accounts.appointments import reactivate_account

    deactivate_account(admin, world.coordinator.id, ORIGIN)
    assert not db.session.get(User, world.coordinator.id).active
    reactivate_account(admin, world.coordinator.id, ORIGIN)
    assert db.session.get(User, world.coordinator.id).active
