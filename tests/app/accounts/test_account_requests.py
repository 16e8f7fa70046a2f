"""Account requests end to end, with mail delivered to a real SMTP server on loopback."""

import re
import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from app.accounts.models import AccountRequest
from app.accounts.models import PasswordToken
from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.mail.services import SmtpSettings
from app.mail.services import send_pending_mail
from app.tasks.models import OpenTask
from app.workflows.services import fire_due_timers
from tests.smtp import deliver


def application(world, **changes):
    data = {
        "first_name": "Nora",
        "last_name": "Newcomer",
        "email": "nora@brno.example",
        "ern": world.ern.id,
        "centre": world.brno.id,
        "role": "member_expert",
        "specialisation": "Haematologist",
        "reason": "I treat patients with rare lymphomas.",
    }
    data.update(changes)
    return data


def review_task_for(client):
    page = client.get("/tasks/")
    match = re.search(r'href="/tasks/([0-9a-f-]{36})">Review account request', page.text)
    assert match, page.text
    return match.group(1)


def test_a_new_user_requests_an_account_is_approved_sets_a_password_and_a_second_factor(world, client, login, inbox):
    assert client.post("/account/request", data=application(world)).status_code == 302
    request = db.session.scalar(select(AccountRequest))
    assert request.status == "waiting"

    coordinator = login(world.coordinator)
    task_id = review_task_for(coordinator)
    page = coordinator.get(f"/tasks/{task_id}")
    assert "Nora Newcomer" in page.text and "I treat patients with rare lymphomas." in page.text
    assert coordinator.post(f"/tasks/{task_id}", data={"decision": "approve"}).status_code == 302
    coordinator.post("/logout")

    [(recipients, body)] = deliver(inbox)
    assert recipients == ["nora@brno.example"]
    link = re.search(r"/account/password/(\S+)", body).group(0)
    assert client.post(link, data={"password": "a long enough secret", "confirm": "a long enough secret"}).status_code == 302
    assert client.post(link, data={"password": "another long secret", "confirm": "another long secret"}).status_code == 403  # used

    assert (
        client.post("/login", data={"email": "nora@brno.example", "password": "a long enough secret"})
        .headers["Location"]
        .endswith("/login/set-up")
    )
    page = client.get("/login/set-up")
    secret = page.text.split('<code class="user-select-all">')[1].split("<")[0]
    assert client.post("/login/set-up", data={"code": pyotp.TOTP(secret).now()}).status_code == 200
    assert "Nora Newcomer" in client.get("/").text
    user = db.session.scalar(select(User).where(User.email == "nora@brno.example"))
    assert [(m.ern_id, m.centre_id, m.role.value) for m in user.memberships] == [(world.ern.id, world.brno.id, "member_expert")]


def test_a_rejected_applicant_is_told_why(world, client, login, inbox):
    client.post("/account/request", data=application(world))
    coordinator = login(world.coordinator)
    task_id = review_task_for(coordinator)
    missing_reason = coordinator.post(f"/tasks/{task_id}", data={"decision": "reject"})
    assert missing_reason.status_code == 422 and "Reason given to the applicant is required" in missing_reason.text
    coordinator.post(f"/tasks/{task_id}", data={"decision": "reject", "reason": "Please apply through your centre's ERN representative."})
    [(recipients, body)] = deliver(inbox)
    assert recipients == ["nora@brno.example"] and "your centre's ERN representative" in body
    assert db.session.scalar(select(AccountRequest)).status == "rejected"
    assert db.session.scalar(select(User).where(User.email == "nora@brno.example")) is None


def test_coordinators_are_reminded_when_a_request_waits_over_a_day(world, client, inbox):
    client.post("/account/request", data=application(world))
    assert fire_due_timers(utcnow() + timedelta(hours=23)) == 0
    assert fire_due_timers(utcnow() + timedelta(hours=25)) == 1
    [(recipients, body)] = deliver(inbox)
    assert recipients == ["coordinator@ern.example"] and "waited over 24 hours" in body
    assert db.session.scalar(select(OpenTask).where(OpenTask.name == "review_account_request")) is not None  # still waiting


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"centre": "999999"}, "Not a valid choice"),
        ({"email": "not an address"}, "Invalid email address"),
        ({"reason": "x" * 2001}, "2000"),
        ({"role": "coordinator"}, "Not a valid choice"),
        ({"role": "guest_expert"}, "Guest experts join the guest centre"),
        ({"first_name": ""}, "This field is required"),
        ({"first_name": "No\x00ra"}, "control characters"),
        ({"reason": "bad\x00reason"}, "control characters"),
    ],
)
def test_bad_requests_get_a_message_and_start_nothing(world, client, changes, message):
    response = client.post("/account/request", data=application(world, **changes))
    assert response.status_code == 422 and message in response.text
    assert db.session.scalar(select(AccountRequest)) is None


def test_a_centre_outside_the_chosen_network_is_refused(world, client):
    response = client.post("/account/request", data=application(world, ern=world.other_ern.id, centre=world.brno.id))
    assert response.status_code == 422 and "Choose a centre of that network" in response.text


def test_password_reset_mails_a_link_only_for_known_addresses_and_links_expire(world, client, inbox):
    assert client.post("/account/reset", data={"email": "nobody@nowhere.example"}).status_code == 302
    assert deliver(inbox) == []
    client.post("/account/reset", data={"email": world.clinician.email.upper()})
    [(recipients, body)] = deliver(inbox)
    assert recipients == [world.clinician.email]
    link = re.search(r"/account/password/(\S+)", body).group(0)
    assert client.post(link, data={"password": "short", "confirm": "short"}).status_code == 422
    db.session.scalar(select(PasswordToken)).expires_at = utcnow() - timedelta(minutes=1)
    db.session.flush()
    expired = client.post(link, data={"password": "a long enough secret", "confirm": "a long enough secret"})
    assert expired.status_code == 403 and "no longer valid" in expired.text


def test_mail_waits_in_the_outbox_while_the_server_is_down(world, client):
    client.post("/account/reset", data={"email": world.clinician.email})
    unreachable = SmtpSettings("127.0.0.1", 9, "x@consilium.example", timeout=0.5)
    assert send_pending_mail(unreachable) == 0
    from app.mail.models import OutgoingMail

    mail = db.session.scalar(select(OutgoingMail))
    assert mail.sent_at is None and mail.attempts == 1 and mail.last_error
    time.sleep(0)  # nothing else: the next scheduler tick retries


def test_an_approved_guest_expires_after_90_days_and_a_coordinator_can_extend(world, client, login, inbox):
    guest_centre = factories_guest_centre(world)
    client.post("/account/request", data=application(world, email="gil@elsewhere.example", centre=guest_centre.id, role="guest_expert"))
    coordinator = login(world.coordinator)
    coordinator.post(f"/tasks/{review_task_for(coordinator)}", data={"decision": "approve"})
    guest = db.session.scalar(select(User).where(User.email == "gil@elsewhere.example"))
    assert timedelta(days=89) < guest.expires_at - utcnow() <= timedelta(days=90)
    guest.expires_at = utcnow() - timedelta(minutes=1)
    db.session.flush()
    assert not guest.is_active
    assert coordinator.post(f"/members/{guest.id}/extend").status_code == 302
    db.session.refresh(guest)
    assert guest.is_active and guest.expires_at - utcnow() > timedelta(days=89)


def test_an_expired_account_cannot_sign_in(world, client):
    world.clinician.expires_at = utcnow() - timedelta(days=1)
    db.session.flush()
    response = client.post("/login", data={"email": world.clinician.email, "password": "correct horse battery staple"})
    assert response.status_code == 200 and "Wrong e-mail or password." in response.text


def factories_guest_centre(world):
    from tests import factories

    centre = factories.make_centre("GUEST-EuroBloodNet", [world.ern], "EuroBloodNet guest virtual centre")
    centre.is_guest = True
    db.session.flush()
    return centre


def test_an_account_that_expires_loses_its_open_session(world, login):
    client = login(world.clinician)
    assert client.get("/").status_code == 200
    world.clinician.expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_markup_in_a_request_is_shown_as_text_to_the_coordinator(world, client, login):
    client.post("/account/request", data=application(world, reason="<script>alert('x')</script> please"))
    coordinator = login(world.coordinator)
    page = coordinator.get(f"/tasks/{review_task_for(coordinator)}")
    assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text
