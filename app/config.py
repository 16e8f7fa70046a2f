"""Configuration: embedded defaults, then CONSILIUM_* environment variables, then overrides.

Every key is documented here. Environment variables use the prefix, e.g. CONSILIUM_SECRET_KEY;
DATABASE_URL and SECRET_KEY are also read unprefixed because hosting platforms set them that way.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Config:
    # Signs sessions and CSRF tokens. The default is for development only; set SECRET_KEY in production.
    SECRET_KEY = "dev-only-change-me"  # noqa: S105 - refused outside demo mode (load_config)
    # SQLAlchemy URL. Default: SQLite under instance/. Production: postgresql+psycopg://user@host/db
    SQLALCHEMY_DATABASE_URI = ""
    # Where uploaded files are kept (a local folder by default).
    STORAGE_DIR = ""
    # Largest file accepted, and largest request (a larger one is refused with a 413 page). A request
    # may carry a zipped study: Werkzeug spools uploads to temporary files, never to memory.
    MAX_FILE_BYTES = 50 * 1024 * 1024
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024 * 1024
    # Secret behind de-identified DICOM UIDs and date shifts (keep it stable: the same patient must
    # get the same UIDs in every upload). Empty: derived from SECRET_KEY.
    DEIDENTIFICATION_SECRET = ""
    # Folders holding the shipped process and form definitions.
    BPMN_DIR = str(ROOT / "bpmn")
    FORMS_DIR = str(ROOT / "forms")
    # Training environment: fake data, a banner on every page, password-only demo accounts.
    # Off unless asked for (`make run` turns it on).
    DEMO_MODE = False
    # Start the APScheduler timer job inside the app process (off in tests and CLI commands).
    SCHEDULER_ENABLED = False
    # How often the scheduler looks for due timers, in seconds.
    SCHEDULER_INTERVAL_SECONDS = 30
    # Sign-in through an OpenID Connect identity provider (EU Login speaks OIDC). Off while the
    # issuer is empty. Accounts are linked by verified e-mail; the second factor is still asked.
    OIDC_ISSUER = ""
    OIDC_CLIENT_ID = ""
    OIDC_CLIENT_SECRET = ""
    OIDC_NAME = "EU Login"
    # Outgoing mail (SMTP, no authentication: a local relay) and the address links in mails point to.
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 8025
    MAIL_SENDER = "Consilium <no-reply@consilium.invalid>"
    PUBLIC_URL = "http://127.0.0.1:5000"
    # Guest accounts expire after this many days unless a coordinator extends them.
    GUEST_ACCOUNT_DAYS = 90
    # Links to set or reset a password are valid this long, once.
    PASSWORD_LINK_HOURS = 48
    # Patients per page in lists.
    PAGE_SIZE = 50
    # Panels per page in the ERN and centre panel lists.
    PANEL_PAGE_SIZE = 25
    # Time zone shown to users who have not chosen one.
    DEFAULT_TIMEZONE = "Europe/Brussels"
    BABEL_DEFAULT_LOCALE = "en"
    # -- Mail delivery and timers --
    # Queued mail is sent by a job of its own, this often (seconds), so that a slow relay never delays the timers.
    MAIL_INTERVAL_SECONDS = 15
    # A run of the mail job takes no new mail after this many seconds; the rest waits for the next run.
    MAIL_BATCH_SECONDS = 20
    # How long the relay may take to answer one step, in seconds.
    MAIL_TIMEOUT_SECONDS = 10
    # A mail that fails is tried again this many seconds later, twice as late after each failure (at most a day),
    # and after MAIL_MAX_ATTEMPTS failures it is undeliverable: listed for administrators at /admin/mail/undeliverable.
    MAIL_RETRY_SECONDS = 60
    MAIL_MAX_ATTEMPTS = 8
    # -- Serving and observability --
    # Log format: "text" (Flask's default) or "json", one object per line with the request id (`make serve` sets json).
    LOG_FORMAT = "text"
    # Bearer token that opens GET /metrics to a Prometheus server. Empty: no metrics page (404).
    METRICS_TOKEN = ""
    # -- Object storage and backups --
    # Uploaded files go to an S3-compatible object store (AWS S3, SeaweedFS, MinIO…) when a bucket is named here;
    # otherwise to STORAGE_DIR. The bucket must exist. URL empty: AWS's own endpoint for the region. Key and secret
    # empty: boto3's usual sources (environment, instance role). A store that does not answer fails a page with 503.
    OBJECT_STORAGE_BUCKET = ""
    OBJECT_STORAGE_URL = ""
    OBJECT_STORAGE_ACCESS_KEY = ""
    OBJECT_STORAGE_SECRET_KEY = ""
    OBJECT_STORAGE_REGION = ""
    BABEL_DEFAULT_TIMEZONE = "UTC"
    # Failed sign-ins (password or second factor) allowed per window: per account from one address,
    # and per address over all accounts. Per account *and address*, so that nobody can lock a
    # colleague out from elsewhere.
    LOGIN_WINDOW_MINUTES = 15
    LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
    LOGIN_FAILURES_PER_ADDRESS = 30
    # Sign-in sessions end after this much inactivity, and in any case after this many hours.
    SESSION_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_HOURS = 12
    PERMANENT_SESSION_LIFETIME = 30 * 60
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None
    # -- REST API (/api/v1) --
    # Requests one personal access token may make per minute (counted in the shared database); then 429.
    API_RATE_LIMIT_PER_MINUTE = 300
    # Longest life a new token may be given, in days.
    API_TOKEN_MAX_DAYS = 365
    # Items per page of an API list when the client asks for none, and the most it may ask for.
    API_PAGE_SIZE = 50
    API_MAX_PAGE_SIZE = 200
    # Bound parameters can hold identifying data: never put them in error messages or logs.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"hide_parameters": True}


def uses_development_key(app_config: dict[str, object]) -> bool:
    """Serving requests with the published development key is allowed in demo mode only."""
    return not app_config["DEMO_MODE"] and app_config["SECRET_KEY"] == Config.SECRET_KEY


def load_config(app_config: dict[str, object], instance_path: str, overrides: dict[str, object] | None) -> None:
    """Fill ``app_config`` from Config, the environment and ``overrides``, in that order."""
    app_config.from_object(Config)  # type: ignore[attr-defined]
    for plain, key in (("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"), ("SECRET_KEY", "SECRET_KEY")):
        if os.environ.get(plain):
            app_config[key] = os.environ[plain]
    app_config.from_prefixed_env("CONSILIUM")  # type: ignore[attr-defined]
    if os.environ.get("CONSILIUM_DATABASE_URL"):
        app_config["SQLALCHEMY_DATABASE_URI"] = os.environ["CONSILIUM_DATABASE_URL"]
    app_config.update(overrides or {})
    if not app_config["SQLALCHEMY_DATABASE_URI"]:
        app_config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(instance_path) / 'consilium.sqlite'}"
    if not app_config["STORAGE_DIR"]:
        app_config["STORAGE_DIR"] = str(Path(instance_path) / "storage")
    uri = str(app_config["SQLALCHEMY_DATABASE_URI"])
    if uri.startswith("postgresql://"):
        app_config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
