"""Personal access tokens through their page: created only with a fresh second-factor code, shown once, stored
hashed, scoped, expiring, revocable; and the per-token rate limit."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from app.accounts import services as account_services
from app.api import tokens
from app.api.models import ApiToken
from app.audit.models import AuditEntry
from app.database import db
from app.database import utcnow
from tests import factories

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture
def secret_key(world):
    secret = pyotp.random_base32()
    world.clinician.totp_secret = secret
    db.session.commit()
    return secret


def _create(client, code: str, **changes):
    form = {"name": "Hospital record system", "scope": "write", "days": "30", "code": code, **changes}
    return client.post("/preferences/api-tokens/", data=form)


def _shown_secret(page: str) -> str:
    found = re.search(r'id="token-secret"[^>]*value="(csm_[^"]+)"', page)
    assert found, page
    return found.group(1)


def test_a_token_is_created_with_a_fresh_code_shown_once_and_stored_hashed(client, login, world, secret_key):
    signed_in = login(world.clinician)
    created = _create(signed_in, pyotp.TOTP(secret_key).now())
    assert created.status_code == 201
    secret = _shown_secret(created.text)
    token = db.session.scalars(select(ApiToken)).one()
    assert token.token_hash == tokens.hash_of(secret) and secret not in token.token_hash and token.scope == "write"
    assert secret not in signed_in.get("/preferences/api-tokens/").text  # listed by its start only
    assert signed_in.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json["id"] == world.clinician.id
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token.created")).one()
    assert secret not in str(audit.details)


def test_without_the_right_code_no_token_is_made_and_the_failure_counts(client, login, world, secret_key):
    signed_in = login(world.clinician)
    refused = _create(signed_in, "000000")
    assert refused.status_code == 422 and "code" in refused.text
    assert db.session.scalars(select(ApiToken)).all() == []
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "second_factor.failed")).all()


def test_a_code_already_used_cannot_make_a_second_token(client, login, world, secret_key):
    signed_in = login(world.clinician)
    code = pyotp.TOTP(secret_key).now()
    assert _create(signed_in, code).status_code == 201
    assert _create(signed_in, code, name="again").status_code == 422
    assert len(db.session.scalars(select(ApiToken)).all()) == 1


def test_an_account_without_a_second_factor_is_told_to_set_one_up(client, login, world):
    signed_in = login(world.clinician)
    assert "no second factor" in signed_in.get("/preferences/api-tokens/").text
    assert _create(signed_in, "123456").status_code == 422
    assert db.session.scalars(select(ApiToken)).all() == []


@pytest.mark.parametrize(("field", "value"), [("name", ""), ("scope", "admin"), ("days", "0"), ("days", "9999"), ("days", "abc")])
def test_bad_token_settings_are_refused_by_the_field(client, login, world, secret_key, field, value):
    refused = _create(login(world.clinician), pyotp.TOTP(secret_key).now(), **{field: value})
    assert refused.status_code == 422 and f'id="{"days" if field == "days" else field}-error"' in refused.text
    assert db.session.scalars(select(ApiToken)).all() == []


def test_a_revoked_or_expired_token_opens_nothing(client, login, world):
    secret = factories.api_token(world.clinician)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token = db.session.scalars(select(ApiToken)).one()
    assert login(world.clinician).post(f"/preferences/api-tokens/{token.id}/revoke").status_code == 302
    client.post("/logout")
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    expired = factories.api_token(world.clinician)
    db.session.scalars(select(ApiToken).where(ApiToken.revoked_at.is_(None))).one().expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401


def test_someone_elses_token_cannot_be_revoked(client, login, world):
    factories.api_token(world.clinician)
    token = db.session.scalars(select(ApiToken)).one()
    assert login(world.brno_clinician).post(f"/preferences/api-tokens/{token.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_a_deactivated_account_loses_its_tokens_use(client, world):
    secret = factories.api_token(world.clinician)
    world.clinician.active = False
    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_a_token_is_limited_per_minute(app, client, world):
    headers = {"Authorization": f"Bearer {factories.api_token(world.clinician)}"}
    app.config["API_RATE_LIMIT_PER_MINUTE"] = 3
    try:
        answers = [client.get("/api/v1/me", headers=headers) for _ in range(4)]
    finally:
        app.config["API_RATE_LIMIT_PER_MINUTE"] = 300
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert answers[3].status_code == 429 and 1 <= int(answers[3].headers["Retry-After"]) <= 60
    assert db.session.scalars(select(ApiToken)).one().last_used_at is not None


def test_resetting_a_lost_second_factor_ends_the_users_tokens(client, world, secret_key):
    secret = factories.api_token(world.clinician)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    account_services.reset_second_factor(world.coordinator, world.clinician.id, factories.ORIGIN)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token.revoked")).one().actor_id == world.coordinator.id


def test_the_page_showing_a_new_secret_is_not_kept_by_the_browser(client, login, world, secret_key):
    created = _create(login(world.clinician), pyotp.TOTP(secret_key).now())
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
