"""Sign-in through a real OpenID Connect provider started on loopback (oidc-provider-mock)."""

import re
from urllib.parse import urlsplit

import httpx
import pytest
from oidc_provider_mock import User as ProviderUser
from oidc_provider_mock import run_server_in_thread

from app.accounts import identity_provider
from app.accounts.models import Role
from tests import factories


@pytest.fixture(scope="module")
def provider():
    users = [
        ProviderUser(sub="rita", claims={"email": "real@leuven.example", "email_verified": True}),
        ProviderUser(sub="hanna", claims={"email": "hp@leuven.example", "email_verified": True}),
        ProviderUser(sub="unverified", claims={"email": "real@leuven.example", "email_verified": False}),
        ProviderUser(sub="stranger", claims={"email": "stranger@elsewhere.example", "email_verified": True}),
    ]
    with run_server_in_thread(user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def with_provider(app, provider):
    app.config.update(OIDC_ISSUER=provider, OIDC_CLIENT_ID="consilium", OIDC_CLIENT_SECRET="test-secret")
    identity_provider.configure(app)
    yield
    app.config["OIDC_ISSUER"] = ""


def sign_in_at_provider(client, sub):
    """Start at Consilium, choose the user at the provider's form, come back with the code."""
    start = client.get("/login/identity-provider")
    assert start.status_code == 302
    authorize = start.headers["Location"]
    answer = httpx.post(authorize, data={"sub": sub}, follow_redirects=False)
    assert answer.status_code in (302, 303), answer.text
    back = urlsplit(answer.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def test_the_login_page_offers_the_identity_provider(with_provider, client, world):
    assert "Sign in with EU Login" in client.get("/login").text


def test_a_training_account_linked_by_verified_email_is_signed_in(with_provider, client, world):
    response = sign_in_at_provider(client, "hanna")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert "Hanna Peeters" in client.get("/").text


def test_a_real_account_still_sets_up_its_second_factor(with_provider, client, world):
    factories.make_user("real@leuven.example", [(world.ern, world.leuven, Role.MEMBER_EXPERT)], "Rita", "Real", training=False)
    response = sign_in_at_provider(client, "rita")
    assert response.headers["Location"].endswith("/login/set-up")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("sub", ["unverified", "stranger"])
def test_unverified_or_unknown_addresses_are_refused(with_provider, client, world, sub):
    factories.make_user("real@leuven.example", [(world.ern, world.leuven, Role.MEMBER_EXPERT)], "Rita", "Real", training=False)
    response = sign_in_at_provider(client, sub)
    assert response.status_code == 403
    assert re.search(r"No active Consilium account uses the verified e-mail", response.text)
    assert client.get("/").status_code == 302


def test_a_forged_callback_is_refused(with_provider, client, world):
    client.get("/login/identity-provider")
    response = client.get("/login/identity-provider/callback?code=forged&state=forged")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get("/").status_code == 302
