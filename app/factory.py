"""Building the app: config → extensions → blueprints → CLI → error handlers; create_app at the top wires everything."""

from __future__ import annotations

import os
import threading
from typing import Any

import click
from flask import Flask
from flask import current_app
from flask import request
from flask.wrappers import Response

from app import cli
from app import identifying
from app import models  # noqa: F401  (registers every table)
from app import security
from app import templating
from app.accounts import identity_provider
from app.accounts.passkey_routes import bp as passkeys_bp
from app.accounts.routes import bp as accounts_bp
from app.accounts.sessions import enforce_time_outs
from app.api import auth as api_auth
from app.api import setup as api_setup
from app.api.account_routes import bp as api_account_bp
from app.api.docs_routes import bp as api_docs_bp
from app.api.documents_routes import bp as api_documents_bp
from app.api.panels_routes import bp as api_panels_bp
from app.api.patients_routes import bp as api_patients_bp
from app.api.reports_routes import bp as api_reports_bp
from app.api.tasks_routes import bp as api_tasks_bp
from app.api.token_routes import bp as api_tokens_bp
from app.audit.routes import bp as audit_bp
from app.config import load_config
from app.config import uses_development_key
from app.documents.routes import bp as documents_bp
from app.ernsettings.routes import bp as ernsettings_bp
from app.errors import register_error_handlers
from app.expertise.routes import bp as expertise_bp
from app.extensions import babel
from app.extensions import csrf
from app.extensions import db
from app.extensions import login_manager
from app.extensions import migrate
from app.formdesign.routes import bp as formdesign_bp
from app.i18n import language_changed
from app.i18n import select_locale
from app.i18n import select_timezone
from app.interop.export_routes import bp as outcome_export_bp
from app.interop.import_routes import bp as ips_import_bp
from app.logsafe import safe_traceback
from app.mail.routes import bp as mail_bp
from app.main.routes import bp as main_bp
from app.meetings.poll_routes import bp as polls_bp
from app.meetings.routes import bp as meetings_bp
from app.notifications.routes import bp as notifications_bp
from app.observability.routes import bp as observability_bp
from app.observability.setup import setup as setup_observability
from app.organisations.routes import bp as organisations_bp
from app.panels.routes import bp as panels_bp
from app.patients.rights_routes import bp as patient_rights_bp
from app.patients.routes import bp as patients_bp
from app.processes.routes import bp as processes_bp
from app.queues.routes import bp as queues_bp
from app.recognition.routes import bp as recognition_bp
from app.reports.routes import bp as reports_bp
from app.requests import IdConverter
from app.research.routes import bp as research_bp
from app.scheduler import start_scheduler
from app.tasks.routes import bp as tasks_bp
from app.terminology.catalogue import start_building as start_building_terminology
from app.terminology.routes import bp as terminology_bp
from app.wiring import wire_workflows

BLUEPRINTS = (
    main_bp,
    accounts_bp,
    passkeys_bp,
    expertise_bp,
    organisations_bp,
    patients_bp,
    patient_rights_bp,
    panels_bp,
    meetings_bp,
    polls_bp,
    reports_bp,
    research_bp,
    recognition_bp,
    tasks_bp,
    ips_import_bp,
    outcome_export_bp,
    audit_bp,
    notifications_bp,
    terminology_bp,
    formdesign_bp,
    documents_bp,
    queues_bp,
    ernsettings_bp,
    processes_bp,
    mail_bp,
    observability_bp,
    api_tokens_bp,
    api_docs_bp,
)
# The REST API's resources: registered through flask-smorest, which writes the OpenAPI document from them.
API_BLUEPRINTS = (api_account_bp, api_patients_bp, api_panels_bp, api_documents_bp, api_tasks_bp, api_reports_bp)


# How long a browser keeps a static file whose URL names its content (a year: the longest HTTP/1.1 intends).
STATIC_MAX_AGE = 365 * 24 * 3600


class ConsiliumFlask(Flask):
    def send_static_file(self, filename: str) -> Response:
        """A static file asked for by its content (templating.static_url) is kept by the browser, unasked, for a
        year: a changed file has another URL. Any other request of it is checked again each time (no-cache)."""
        response = super().send_static_file(filename)
        if templating.is_fingerprinted(str(self.static_folder), filename, request.args.get("v")):
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = STATIC_MAX_AGE
            response.cache_control.immutable = True
        return response

    def log_exception(self, exc_info: Any) -> None:
        """Log unhandled errors without the values they may carry (see app/logsafe.py)."""
        error = exc_info[1]
        self.logger.error("Exception on %s [%s]\n%s", request.path, request.method, safe_traceback(error))


def build(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: config → extensions → blueprints → CLI → error handlers. No work at import time."""
    app = ConsiliumFlask("app", instance_relative_config=True)  # named after the package: paths, logger, templates
    app.url_map.converters["int"] = IdConverter  # before any route is added: every <int:…> is a bounded id
    load_config(app.config, app.instance_path, overrides)
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)
    identity_provider.configure(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"
    setup_observability(app)  # first request hooks: the request's id and timing frame the others

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    api_setup.register(app, API_BLUEPRINTS)
    for blueprint in API_BLUEPRINTS:
        csrf.exempt(blueprint)  # a token in a header, never a cookie: nothing for a forged request to ride on
    app.before_request(_refuse_development_key)
    app.before_request(language_changed)  # a fresh choice of language per request, even in an app context kept around
    app.before_request(api_auth.authenticate)  # before the session's time-outs and the access rules read the user
    app.before_request(enforce_time_outs)
    app.before_request(security.enforce_declared_access)
    app.after_request(_security_headers)

    wire_workflows()
    templating.register(app)
    cli.register(app)
    register_error_handlers(app)

    if app.config["SCHEDULER_ENABLED"]:
        start_scheduler(app)
    if _serves_requests(app):
        # In the background, so that the first search and the first check of a written text answer as fast as the next.
        start_building_terminology()
        threading.Thread(target=identifying.prepare, name="identifying-patterns", daemon=True).start()
    return app


def _serves_requests(app: Flask) -> bool:
    """Whether this process is a server (a WSGI server, or ``flask run``). Not tests, nor the other CLI commands
    (``flask db upgrade``, ``flask run-scheduler``): they build the terminology index only if they come to use it,
    as HPO and the index take a few hundred megabytes."""
    command = click.get_current_context(silent=True)
    return not app.testing and (command is None or command.info_name == "run")


def _refuse_development_key() -> None:
    if uses_development_key(current_app.config):
        raise RuntimeError("Set SECRET_KEY (or CONSILIUM_SECRET_KEY): the development key is only for demo mode.")


def _security_headers(response: Any) -> Any:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
