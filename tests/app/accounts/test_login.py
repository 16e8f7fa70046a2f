import time

import pyotp
import pytest
from sqlalchemy import select

from app.accounts.models import RecoveryCode
from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.database import db
from tests import factories


@pytest.fixture
def member(world):
    """A real (non-training) account: it needs a second factor."""
    return factories.make_user("real@leuven.example", [(world.ern, world.leuven, Role.MEMBER_EXPERT)], "Rita", "Real", training=False)


def sign_in(client, user, password=factories.PASSWORD):
    return client.post("/login", data={"email": user.email, "password": password})


def secret_from_set_up_page(client):
    page = client.get("/login/set-up")
    assert page.status_code == 200 and 'src="data:image/svg+xml' in page.text
    return page.text.split('<code class="user-select-all">')[1].split("<")[0]


def code_for(secret, offset_steps=0, at=None):
    totp = pyotp.TOTP(secret)
    return totp.at((time.time() if at is None else at) + offset_steps * totp.interval)


def test_a_training_account_signs_in_with_a_password_in_demo_mode(world, client):
    response = sign_in(client, world.clinician)
    assert response.headers["Location"].endswith("/")
    assert client.get("/").status_code == 200


def test_a_training_account_needs_a_second_factor_outside_demo_mode(app, world, client):
    app.config["DEMO_MODE"] = False
    try:
        assert sign_in(client, world.clinician).headers["Location"].endswith("/login/set-up")
    finally:
        app.config["DEMO_MODE"] = True


def test_first_sign_in_enrols_an_authenticator_and_shows_ten_recovery_codes_once(member, client):
    assert sign_in(client, member).headers["Location"].endswith("/login/set-up")
    assert client.get("/").status_code == 302  # not signed in yet
    secret = secret_from_set_up_page(client)
    wrong = client.post("/login/set-up", data={"code": "000000" if code_for(secret) != "000000" else "111111"})
    assert wrong.status_code == 422 and "Enter the 6-digit code" in wrong.text
    done = client.post("/login/set-up", data={"code": code_for(secret)})
    assert done.status_code == 200
    codes = done.text.split('aria-label="Recovery codes">')[1].split("</ul>")[0].count("<li>")
    assert codes == 10
    assert client.get("/").status_code == 200
    db.session.refresh(member)
    assert member.totp_secret == secret
    assert len(db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == member.id)).all()) == 10
    assert client.get("/login/set-up").status_code == 302  # shown once; no second enrolment


ENROLLED_AT = {}  # secret → when its enrolment code was made: the step a replay must reuse


def enrolled(client, member):
    sign_in(client, member)
    secret = secret_from_set_up_page(client)
    ENROLLED_AT[secret] = time.time()
    page = client.post("/login/set-up", data={"code": code_for(secret, at=ENROLLED_AT[secret])})
    recovery = page.text.split('aria-label="Recovery codes">')[1].split("</ul>")[0].split("<li>")[1].split("</li>")[0]
    client.post("/logout")
    return secret, recovery


def test_later_sign_ins_ask_for_a_fresh_code_and_refuse_a_replayed_one(member, client):
    secret, _recovery = enrolled(client, member)
    assert sign_in(client, member).headers["Location"].endswith("/login/code")
    # The step used at enrolment, even when the clock has passed into the next step since (a 30-second boundary).
    replay = client.post("/login/code", data={"code": code_for(secret, at=ENROLLED_AT[secret])})
    assert replay.status_code == 422 and "already used" in replay.text
    fresh = code_for(secret, offset_steps=1, at=ENROLLED_AT[secret])  # the next step: within the window either way
    assert client.post("/login/code", data={"code": fresh}).status_code == 302
    assert client.get("/").status_code == 200


def test_a_recovery_code_works_once(member, client):
    _secret, recovery = enrolled(client, member)
    sign_in(client, member)
    assert client.post("/login/code", data={"code": recovery.upper()}).status_code == 302
    client.post("/logout")
    sign_in(client, member)
    assert client.post("/login/code", data={"code": recovery}).status_code == 422


@pytest.mark.parametrize("code", ["", "abcdef", "12345", "1234567", "１２３４５６", "<script>alert(1)</script>", "9" * 50])
def test_malformed_codes_get_a_message_and_sign_nobody_in(member, client, code):
    enrolled(client, member)
    sign_in(client, member)
    response = client.post("/login/code", data={"code": code})
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in response.text
    assert client.get("/").status_code == 302


def test_the_code_page_needs_a_recent_password(member, client):
    enrolled(client, member)
    sign_in(client, member)
    with client.session_transaction() as session:
        session["pending_login"] = {**session["pending_login"], "since": time.time() - 3600}
    assert client.get("/login/code").headers["Location"].endswith("/login")


def test_signing_in_starts_a_new_session(world, client):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, world.clinician)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_signing_out_ends_the_session_on_the_server_too(world, client):
    """A response that was already on its way when the user signed out sets the old cookie again; so may a
    copied cookie. Neither signs anyone in; the same user's session in another browser goes on."""
    other_browser = client.application.test_client()
    with client.application.app_context():  # its own request globals: Flask-Login keeps the user there
        assert sign_in(other_browser, world.clinician).status_code == 302
    sign_in(client, world.clinician)
    cookie = client.get_cookie("session", domain="consilium.test")
    assert cookie is not None
    assert client.post("/logout").headers["Location"].endswith("/login")
    client.set_cookie("session", cookie.value, domain="consilium.test")
    assert client.get("/").headers["Location"].startswith("/login")
    with client.application.app_context():
        assert other_browser.get("/").status_code == 200
    ended = db.session.scalars(select(AuditEntry).where(AuditEntry.actor_id == world.clinician.id, AuditEntry.action == "login.ended"))
    assert [entry.details for entry in ended] == [{"reason": "signed out"}]


@pytest.mark.parametrize(("key", "age"), [("last_seen", 31 * 60), ("signed_in_at", 13 * 3600)])
def test_idle_and_absolute_time_outs_end_the_session(world, client, key, age):
    sign_in(client, world.clinician)
    with client.session_transaction() as session:
        session[key] = time.time() - age
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/").status_code == 302


def test_failed_codes_are_audited(member, client):
    enrolled(client, member)
    sign_in(client, member)
    client.post("/login/code", data={"code": "abcdef"})
    actions = [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.actor_id == member.id))]
    assert "second_factor.failed" in actions and "second_factor.enrolled" in actions


def from_address(client, address):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_five_wrong_passwords_block_that_account_from_that_address_only(world, client):
    attacker = from_address(client, "203.0.113.7")
    for _ in range(5):
        assert sign_in(attacker, world.clinician, password="wrong").status_code == 200
    blocked = sign_in(attacker, world.clinician)  # even the right password
    assert blocked.status_code == 429 and "Too many failed sign-ins for this account" in blocked.text
    colleague = from_address(client.application.test_client(), "198.51.100.20")
    assert sign_in(colleague, world.clinician).status_code == 302  # the real user elsewhere still gets in


def test_one_address_trying_many_accounts_is_stopped(app, world, client):
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = 8
    try:
        attacker = from_address(client, "203.0.113.9")
        for index in range(8):
            client.post("/login", data={"email": f"nobody{index}@nowhere.example", "password": "x"})
        assert sign_in(attacker, world.colleague).status_code == 429
    finally:
        app.config["LOGIN_FAILURES_PER_ADDRESS"] = 30


def test_wrong_second_factor_codes_count_towards_the_limit(member, client):
    enrolled(client, member)
    from_address(client, "203.0.113.11")
    sign_in(client, member)
    for _ in range(5):
        client.post("/login/code", data={"code": "abcdef"})
    assert client.post("/login/code", data={"code": "abcdef"}).status_code == 429


def test_a_coordinator_resets_a_lost_second_factor_and_the_member_enrols_again(world, member, client, login):
    enrolled(client, member)
    coordinator = login(world.coordinator)
    assert "Rita Real" in coordinator.get("/members").text
    assert coordinator.post(f"/members/{member.id}/reset-second-factor").status_code == 302
    coordinator.post("/logout")
    db.session.refresh(member)
    assert member.totp_secret is None
    assert db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == member.id)).all() == []
    assert sign_in(client, member).headers["Location"].endswith("/login/set-up")


def test_nobody_else_can_reset_a_second_factor(world, member, client, login):
    enrolled(client, member)
    outsider_ern = factories.make_ern("ERKNet", ("Kidney",))
    outsider = factories.make_user("nephro@elsewhere.example", [(outsider_ern, None, Role.COORDINATOR)])
    for user in (world.colleague, outsider):
        other = login(user)
        assert other.post(f"/members/{member.id}/reset-second-factor").status_code == 404
        other.post("/logout")
    db.session.refresh(member)
    assert member.totp_secret is not None


def test_control_characters_in_the_sign_in_form_get_a_message(world, client):
    response = client.post("/login", data={"email": "hp\x00@leuven.example", "password": "x"})
    assert response.status_code == 200 and "control characters" in response.text
