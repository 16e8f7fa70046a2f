"""Passkeys (WebAuthn) over HTTP, answered by a small software authenticator: an ES256 key that signs the
authenticator data and the client data as a browser and its authenticator would."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import timedelta

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func
from sqlalchemy import select
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers import bytes_to_base64url

from app.accounts import passkeys
from app.accounts.models import Passkey
from app.accounts.models import Role
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.database import db
from app.database import utcnow
from tests import factories

SITE = "https://consilium.test"


class Authenticator:
    """One passkey on one device: it answers navigator.credentials.create() and .get() for the options it is given."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0
        self.user_handle: bytes | None = None

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}).encode()

    def create(self, options: dict, origin: str = SITE, rp_id: str | None = None) -> dict:
        self.user_handle = base64url_to_bytes(options["user"]["id"])
        rp_hash = hashlib.sha256((rp_id or options["rp"]["id"]).encode()).digest()
        attested = bytes(16) + len(self.credential_id).to_bytes(2, "big") + self.credential_id + self._cose_key()
        auth_data = rp_hash + bytes([0x45]) + self.sign_count.to_bytes(4, "big") + attested  # UP, UV, AT
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        cid = bytes_to_base64url(self.credential_id)
        return {
            "id": cid,
            "rawId": cid,
            "type": "public-key",
            "response": {
                "clientDataJSON": bytes_to_base64url(self._client_data("webauthn.create", options["challenge"], origin)),
                "attestationObject": bytes_to_base64url(attestation),
                "transports": ["internal"],
            },
        }

    def get(self, options: dict, origin: str = SITE, rp_id: str | None = None, sign_count: int | None = None) -> dict:
        self.sign_count = self.sign_count + 1 if sign_count is None else sign_count
        rp_hash = hashlib.sha256((rp_id or options["rpId"]).encode()).digest()
        auth_data = rp_hash + bytes([0x05]) + self.sign_count.to_bytes(4, "big")  # UP, UV
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        cid = bytes_to_base64url(self.credential_id)
        return {
            "id": cid,
            "rawId": cid,
            "type": "public-key",
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "authenticatorData": bytes_to_base64url(auth_data),
                "signature": bytes_to_base64url(signature),
                "userHandle": bytes_to_base64url(self.user_handle or b""),
            },
        }


@pytest.fixture(autouse=True)
def site(app):
    """The site's public address: its origin and RP ID are what passkeys answer for."""
    before = app.config["PUBLIC_URL"]
    app.config["PUBLIC_URL"] = SITE + "/"
    yield
    app.config["PUBLIC_URL"] = before


@pytest.fixture
def member(world):
    """A real (non-training) account without an authenticator app."""
    return factories.make_user("real@leuven.example", [(world.ern, world.leuven, Role.MEMBER_EXPERT)], "Rita", "Real", training=False)


def register(client, authenticator: Authenticator, name: str = "Work laptop", **answer):
    options = client.post("/preferences/passkeys/options", json={})
    assert options.status_code == 200
    return client.post("/preferences/passkeys", json={"name": name, "credential": authenticator.create(options.get_json(), **answer)})


def with_passkey(login, user, name: str = "Work laptop") -> tuple[Authenticator, object]:
    client = login(user)
    authenticator = Authenticator()
    assert register(client, authenticator, name).status_code == 200
    client.post("/logout")
    return authenticator, client


def passwordless(client, authenticator: Authenticator, **answer):
    options = client.post("/login/passkey/options", json={"mode": "passwordless"}).get_json()
    assert options["userVerification"] == "required" and options.get("allowCredentials", []) == []
    return client.post(
        "/login/passkey", json={"mode": "passwordless", "next": "/panels/", "credential": authenticator.get(options, **answer)}
    )


def second_factor(client, authenticator: Authenticator, **answer):
    options = client.post("/login/passkey/options", json={"mode": "second_factor"}).get_json()
    return client.post("/login/passkey", json={"mode": "second_factor", "credential": authenticator.get(options, **answer)})


def failures() -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action.in_(["login.failed", "second_factor.failed"]))
    )


def test_the_relying_party_is_the_public_address():
    assert passkeys.relying_party("https://consilium.example.org/") == passkeys.RelyingParty(
        "consilium.example.org", "https://consilium.example.org"
    )
    assert passkeys.relying_party("http://localhost:8123") == passkeys.RelyingParty("localhost", "http://localhost:8123")
    assert passkeys.relying_party("https://Consilium.example.org:443/x").origin == "https://consilium.example.org"


def test_a_user_registers_named_passkeys_and_sees_them_listed(world, login):
    client = login(world.clinician)
    assert "You have no passkey yet." in client.get("/preferences/passkeys").text
    answer = register(client, Authenticator(), "Work laptop")
    assert answer.status_code == 200 and answer.get_json()["redirect"].endswith("/preferences/passkeys")
    assert register(client, Authenticator(), "Phone").status_code == 200
    page = client.get("/preferences/passkeys").text
    assert "Work laptop" in page and "Phone" in page and "Never" in page
    stored = db.session.scalars(select(Passkey).where(Passkey.user_id == world.clinician.id)).all()
    assert len(stored) == 2 and stored[0].user_handle == stored[1].user_handle  # one user handle per account
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "passkey.registered")).all()
    assert len(entries) == 2 and all(set(e.details) == {"passkey"} for e in entries)  # no key material in the log


def test_registration_needs_a_name_a_fresh_challenge_and_this_site(world, login):
    client = login(world.clinician)
    assert register(client, Authenticator(), " ").status_code == 422
    # The challenge serves once: the same answer again is refused.
    options = client.post("/preferences/passkeys/options", json={}).get_json()
    authenticator = Authenticator()
    credential = authenticator.create(options)
    assert client.post("/preferences/passkeys", json={"name": "A", "credential": credential}).status_code == 200
    again = client.post("/preferences/passkeys", json={"name": "A", "credential": credential})
    assert again.status_code == 422 and "No passkey request" in again.get_json()["error"]
    wrong_origin = register(client, Authenticator(), origin="https://consi1ium.example")
    assert wrong_origin.status_code == 422 and "another site" in wrong_origin.get_json()["error"]
    wrong_rp = register(client, Authenticator(), rp_id="consi1ium.example")
    assert wrong_rp.status_code == 422 and "another site" in wrong_rp.get_json()["error"]
    assert client.post("/preferences/passkeys", json={"name": "A"}).status_code == 400
    # The options exclude the passkeys the user has already.
    excluded = client.post("/preferences/passkeys/options", json={}).get_json()["excludeCredentials"]
    assert [item["id"] for item in excluded] == [bytes_to_base64url(authenticator.credential_id)]


def test_an_expired_challenge_is_refused(world, login, monkeypatch):
    client = login(world.clinician)
    options = client.post("/preferences/passkeys/options", json={}).get_json()
    monkeypatch.setattr(passkeys, "CHALLENGE_SECONDS", -1)
    answer = client.post("/preferences/passkeys", json={"name": "Late", "credential": Authenticator().create(options)})
    assert answer.status_code == 422 and "expired" in answer.get_json()["error"]


def test_a_passkey_signs_in_without_a_password(world, login):
    authenticator, client = with_passkey(login, world.clinician)
    assert client.get("/").status_code == 302
    answer = passwordless(client, authenticator)
    assert answer.status_code == 200 and answer.get_json() == {"redirect": "/panels/"}
    assert client.get("/").status_code == 200
    passkey = db.session.scalar(select(Passkey).where(Passkey.user_id == world.clinician.id))
    db.session.refresh(passkey)
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "login.succeeded")).all()[-1]
    assert entry.details == {"factor": "passkey", "passkey": passkey.id, "passwordless": True}


def test_a_passkey_of_another_site_or_origin_is_refused(world, login):
    authenticator, client = with_passkey(login, world.clinician)
    wrong_origin = passwordless(client, authenticator, origin="https://consilium.test.evil.example")
    assert wrong_origin.status_code == 403 and "another site" in wrong_origin.get_json()["error"]
    wrong_rp = passwordless(client, authenticator, rp_id="evil.example")
    assert wrong_rp.status_code == 403 and "another site" in wrong_rp.get_json()["error"]
    assert client.get("/").status_code == 302
    assert failures() == 2


def test_the_site_behind_another_public_address_refuses_the_passkey(app, world, login):
    authenticator, client = with_passkey(login, world.clinician)
    app.config["PUBLIC_URL"] = "https://other.example"
    answer = passwordless(client, authenticator, origin=SITE, rp_id="consilium.test")
    assert answer.status_code == 403 and "another site" in answer.get_json()["error"]


def test_a_removed_passkey_no_longer_signs_in(world, login):
    authenticator, client = with_passkey(login, world.clinician)
    client = login(world.clinician)
    passkey = db.session.scalar(select(Passkey).where(Passkey.user_id == world.clinician.id))
    removed = client.post(f"/preferences/passkeys/{passkey.id}/remove")
    assert removed.status_code == 302
    assert "was removed" in client.get("/preferences/passkeys").text
    client.post("/logout")
    answer = passwordless(client, authenticator)
    assert answer.status_code == 403 and "not registered" in answer.get_json()["error"]
    assert client.get("/").status_code == 302


def test_a_counter_that_goes_backwards_is_refused(world, login):
    authenticator, client = with_passkey(login, world.clinician)
    assert passwordless(client, authenticator, sign_count=7).status_code == 200
    client.post("/logout")
    copied = passwordless(client, authenticator, sign_count=5)
    assert copied.status_code == 403 and "counter went backwards" in copied.get_json()["error"]
    same = passwordless(client, authenticator, sign_count=7)
    assert same.status_code == 403
    assert passwordless(client, authenticator, sign_count=8).status_code == 200


def test_someone_elses_passkey_is_no_second_factor_and_cannot_be_managed(app, world, login, member):
    theirs, client = with_passkey(login, world.colleague)
    mine, client = with_passkey(login, member)
    # Member's password, colleague's passkey: refused.
    assert client.post("/login", data={"email": member.email, "password": factories.PASSWORD}).headers["Location"].endswith("/login/code")
    answer = second_factor(client, theirs)
    assert answer.status_code == 403 and "not registered for your account" in answer.get_json()["error"]
    assert client.get("/").status_code == 302
    # A passkey whose user handle names another account is refused too.
    theirs.user_handle = mine.user_handle
    other = db.session.scalar(select(Passkey).where(Passkey.user_id == world.colleague.id))
    mine.user_handle = base64url_to_bytes(other.user_handle)
    assert passwordless(client, mine).status_code == 403
    # Nobody renames nor removes another's passkey.
    client = login(member)
    assert client.post(f"/preferences/passkeys/{other.id}/remove").status_code == 404
    assert client.post(f"/preferences/passkeys/{other.id}/rename", data={"name": "Mine now"}).status_code == 404
    db.session.refresh(other)
    assert other.name == "Work laptop"


def test_password_and_passkey_sign_in_an_account_without_an_authenticator_app(world, login, member):
    authenticator, client = with_passkey(login, member)
    step = client.post("/login", data={"email": member.email, "password": factories.PASSWORD})
    assert step.headers["Location"].endswith("/login/code")
    page = client.get("/login/code").text
    assert "Use a passkey" in page and 'name="code"' not in page
    answer = second_factor(client, authenticator)
    assert answer.status_code == 200 and answer.get_json() == {"redirect": "/"}
    assert client.get("/").status_code == 200
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "login.succeeded")).all()[-1]
    assert entry.details["passwordless"] is False


def test_a_password_alone_cannot_enrol_an_authenticator_app_beside_a_passkey(world, login, member):
    _authenticator, client = with_passkey(login, member)
    client.post("/login", data={"email": member.email, "password": factories.PASSWORD})
    for answer in (client.get("/login/set-up"), client.post("/login/set-up", data={"code": "123456"})):
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/login")
    db.session.refresh(member)
    assert member.totp_secret is None


def test_the_second_factor_needs_the_password_first(world, login):
    authenticator, client = with_passkey(login, world.clinician)
    answer = client.post("/login/passkey/options", json={"mode": "second_factor"})
    assert answer.status_code == 400 and answer.get_json()["redirect"].endswith("/login")
    # A password-less challenge does not serve as a second factor's.
    options = client.post("/login/passkey/options", json={}).get_json()
    answer = client.post("/login/passkey", json={"mode": "second_factor", "credential": authenticator.get(options)})
    assert answer.status_code == 400


def test_the_code_still_works_beside_a_passkey(world, login, member):
    member.totp_secret = "JBSWY3DPEHPK3PXP"
    db.session.commit()
    _authenticator, client = with_passkey(login, member)
    client.post("/login", data={"email": member.email, "password": factories.PASSWORD})
    page = client.get("/login/code").text
    assert "Use a passkey" in page and 'name="code"' in page


def test_an_inactive_or_expired_account_cannot_sign_in_with_its_passkey(world, login):
    authenticator, client = with_passkey(login, world.clinician)
    world.clinician.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    answer = passwordless(client, authenticator)
    assert answer.status_code == 403 and "cannot sign in" in answer.get_json()["error"]
    world.clinician.expires_at, world.clinician.active = None, False
    db.session.commit()
    assert passwordless(client, authenticator).status_code == 403
    assert client.get("/").status_code == 302


def test_failed_passkeys_count_in_the_sign_in_throttle(app, world, login):
    authenticator, client = with_passkey(login, world.clinician)
    app.config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"] = 3
    try:
        for _ in range(3):
            assert passwordless(client, authenticator, origin="https://evil.example").status_code == 403
        throttled = passwordless(client, authenticator)  # even the right answer now
        assert throttled.status_code == 429 and "Too many failed sign-ins" in throttled.get_json()["error"]
    finally:
        app.config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"] = 5


def test_rename_and_remove_own_passkeys(world, login):
    client = login(world.clinician)
    register(client, Authenticator(), "Old name")
    passkey = db.session.scalar(select(Passkey).where(Passkey.user_id == world.clinician.id))
    assert client.post(f"/preferences/passkeys/{passkey.id}/rename", data={"name": "  New   name "}).status_code == 302
    db.session.refresh(passkey)
    assert passkey.name == "New name"
    client.post(f"/preferences/passkeys/{passkey.id}/rename", data={"name": ""})
    assert "at most 100 characters" in client.get("/preferences/passkeys").text
    assert client.post(f"/preferences/passkeys/{passkey.id}/remove").status_code == 302
    assert db.session.get(Passkey, passkey.id) is None


def test_a_coordinator_reset_removes_the_passkeys(world, login):
    authenticator, client = with_passkey(login, world.clinician)
    coordinator = login(world.coordinator)
    assert coordinator.post(f"/members/{world.clinician.id}/reset-second-factor").status_code == 302
    assert db.session.scalars(select(Passkey).where(Passkey.user_id == world.clinician.id)).all() == []
    coordinator.post("/logout")
    assert passwordless(coordinator, authenticator).status_code == 403


def test_deleting_an_account_deletes_its_passkeys(world, login):
    with_passkey(login, world.clinician)
    db.session.delete(db.session.get(User, world.clinician.id))
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(Passkey)) == 0


def test_a_sign_in_replayed_with_an_old_copy_of_the_cookie_is_refused(world, login, app):
    """The challenge travels in the session cookie: an old copy of it (a captured request) must not serve it again,
    even for a passkey whose counter stays at 0 (synced passkeys)."""
    authenticator, client = with_passkey(login, world.clinician)
    options = client.post("/login/passkey/options", json={"mode": "passwordless"}).get_json()
    cookie = next(c for c in client._cookies.values() if c.key == app.config["SESSION_COOKIE_NAME"])
    credential = authenticator.get(options, sign_count=0)
    assert client.post("/login/passkey", json={"mode": "passwordless", "credential": credential}).status_code == 200
    client.post("/logout")
    client.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    again = client.post("/login/passkey", json={"mode": "passwordless", "credential": credential})
    assert again.status_code == 403 and client.get("/").status_code == 302


@pytest.mark.parametrize("response", ["x", ["a"], 5])
def test_an_answer_of_the_wrong_shape_is_refused_not_a_crash(world, login, response):
    authenticator, client = with_passkey(login, world.clinician)
    client.post("/login/passkey/options", json={"mode": "passwordless"})
    credential_id = bytes_to_base64url(authenticator.credential_id)
    shaped = {"id": credential_id, "rawId": credential_id, "type": "public-key", "response": response}
    assert client.post("/login/passkey", json={"mode": "passwordless", "credential": shaped}).status_code in (400, 403)


def test_registration_with_transports_of_the_wrong_shape_keeps_none(world, login):
    client = login(world.clinician)
    options = client.post("/preferences/passkeys/options", json={}).get_json()
    credential = Authenticator().create(options)
    credential["response"]["transports"] = 5
    assert client.post("/preferences/passkeys", json={"name": "Laptop", "credential": credential}).status_code == 200
