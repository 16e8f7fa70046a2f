"""Sign-in through an OpenID Connect identity provider (EU Login), configured from the environment."""

from __future__ import annotations

from flask import Flask

from app.extensions import oauth


def configure(app: Flask) -> None:
    """Register the provider of OIDC_ISSUER (discovery document, client id and secret)."""
    if not app.config["OIDC_ISSUER"]:
        return
    oauth.init_app(app)
    oauth.register(
        "idp",
        server_metadata_url=str(app.config["OIDC_ISSUER"]).rstrip("/") + "/.well-known/openid-configuration",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        client_kwargs={"scope": "openid email profile"},
        overwrite=True,
    )
