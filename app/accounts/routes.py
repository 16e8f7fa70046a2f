from __future__ import annotations

from urllib.parse import urlsplit

from authlib.integrations.base_client import OAuthError
from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from app import security
from app.accounts import appointments
from app.accounts import passkeys
from app.accounts import queries as account_queries
from app.accounts import roles
from app.accounts import second_factor
from app.accounts import services
from app.accounts import sessions
from app.accounts import throttling
from app.accounts.forms import AccountRequestForm
from app.accounts.forms import AppointForm
from app.accounts.forms import CodeForm
from app.accounts.forms import LoginForm
from app.accounts.forms import PasswordForm
from app.accounts.forms import ResetForm
from app.accounts.models import Membership
from app.accounts.models import Role
from app.accounts.models import User
from app.errors import Conflict
from app.errors import InvalidInput
from app.extensions import db
from app.extensions import login_manager
from app.extensions import oauth
from app.organisations import queries as organisation_queries
from app.queues.display import role_name
from app.requests import origin
from app.requests import row_id
from app.security import LOGIN
from app.security import public
from app.security import requires

bp = Blueprint("accounts", __name__)
_PENDING_TOTP_KEY = "totp_setup"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    token = sessions.sign_in_token()
    return account_queries.signed_in_user(int(user_id), token) if user_id.isdigit() and token else None


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        checked = services.check_password(
            form.email.data or "",
            form.password.data or "",
            origin(),
            training_mode=bool(current_app.config["DEMO_MODE"]),
            limits=_limits(),
        )
        if checked is None:
            flash(_("Wrong e-mail or password."), "danger")
        else:
            user, step = checked
            return _continue_sign_in(user, step, _next_url())
    return render_template("accounts/login.html", form=form)


@bp.route("/login/identity-provider")
@public
def identity_provider() -> Response:
    if not current_app.config["OIDC_ISSUER"]:
        abort(404)
    session["oidc_next"] = _next_url()
    return oauth.idp.authorize_redirect(url_for("accounts.identity_provider_callback", _external=True))  # type: ignore[no-any-return]


@bp.route("/login/identity-provider/callback")
@public
def identity_provider_callback() -> Response:
    if not current_app.config["OIDC_ISSUER"]:
        abort(404)
    try:
        token = oauth.idp.authorize_access_token()
    except OAuthError:
        flash(_("The identity provider did not sign you in. Try again."), "danger")
        return redirect(url_for("accounts.login"))
    next_url = session.pop("oidc_next", url_for("main.dashboard"))
    user, step = services.check_identity_provider(
        dict(token.get("userinfo") or {}), origin(), training_mode=bool(current_app.config["DEMO_MODE"])
    )
    return _continue_sign_in(user, step, next_url)


@bp.route("/login/code", methods=["GET", "POST"])
@public
def verify() -> str | Response | tuple[str, int]:
    pending = sessions.pending_login()
    if pending is None:
        return _start_again()
    pending_user = db.session.get(User, int(pending["user_id"]))
    if pending_user is None:
        return _start_again()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            user = services.verify_second_factor(int(pending["user_id"]), form.code.data or "", origin(), _limits())
        except InvalidInput as error:
            form.code.errors = error.field_errors.get("code", [error.message])
        else:
            sessions.finish_login(user)
            return redirect(pending["next"])
    return render_template(
        "accounts/verify.html",
        form=form,
        has_code=bool(pending_user.totp_secret),
        has_passkey=passkeys.has_passkeys(pending_user.id),
    ), (422 if form.errors else 200)


@bp.route("/login/set-up", methods=["GET", "POST"])
@public
def set_up() -> str | Response | tuple[str, int]:
    pending = sessions.pending_login()
    if pending is None:
        return _start_again()
    user = db.session.get(User, int(pending["user_id"]))
    # A password alone never enrols a new factor on an account that has one (an authenticator app or a passkey).
    if user is None or user.totp_secret or passkeys.has_passkeys(user.id):
        return _start_again()
    secret = session.get(_PENDING_TOTP_KEY) or second_factor.new_secret()
    session[_PENDING_TOTP_KEY] = secret
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = services.confirm_second_factor(user.id, secret, form.code.data or "", origin(), _limits())
        except InvalidInput as error:
            form.code.errors = error.field_errors.get("code", [error.message])
        else:
            sessions.finish_login(user)
            return render_template("accounts/recovery_codes.html", codes=codes, next_url=pending["next"])
    return render_template("accounts/set_up.html", form=form, qr=second_factor.qr_data_uri(secret, user.email), secret=secret), (
        422 if form.errors else 200
    )


@bp.route("/logout", methods=["POST"])
@requires(LOGIN)
def logout() -> Response:
    sessions.end_session("signed out")
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


def _limits() -> throttling.Limits:
    return throttling.limits_of(current_app.config)


def _continue_sign_in(user: User, step: services.LoginStep, next_url: str) -> Response:
    """After the first factor: signed in (training accounts), or on to the second factor."""
    if step == services.LoginStep.SIGNED_IN:
        sessions.finish_login(user)
        return redirect(next_url)
    sessions.start_pending_login(user, next_url)
    # A passkey is a second factor too: an account with one (and no authenticator app yet) signs in with it.
    verify = step == services.LoginStep.VERIFY or passkeys.has_passkeys(user.id)
    return redirect(url_for("accounts.verify" if verify else "accounts.set_up"))


def _start_again() -> Response:
    flash(_("Please sign in again."), "info")
    return redirect(url_for("accounts.login"))


def _next_url() -> str:
    """Where to go after signing in (query string ``next``): a path on this site, else the dashboard."""
    target = request.args.get("next")
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.dashboard")


@bp.route("/account/request", methods=["GET", "POST"])
@public
def request_account() -> str | Response | tuple[str, int]:
    form = AccountRequestForm()
    erns = organisation_queries.all_erns()
    form.ern.choices = [(ern.id, f"{ern.code} — {ern.name}") for ern in erns]
    form.centre.choices = [(centre.id, f"{centre.display_name} ({ern.code})") for ern in erns for centre in ern.centres]
    role_names = {Role.MEMBER_EXPERT: _("Member expert"), Role.GUEST_EXPERT: _("Guest expert"), Role.RESEARCHER: _("Researcher")}
    form.role.choices = [(role.value, role_names[role]) for role in services.REQUESTABLE_ROLES]
    if form.validate_on_submit():
        application = services.AccountApplication(
            email=(form.email.data or "").strip().lower(),
            first_name=(form.first_name.data or "").strip(),
            last_name=(form.last_name.data or "").strip(),
            ern_id=int(form.ern.data or 0),
            centre_id=int(form.centre.data or 0),
            role=form.role.data or "",
            specialisation=(form.specialisation.data or "").strip(),
            reason=(form.reason.data or "").strip(),
        )
        try:
            services.request_account(application, origin())
        except InvalidInput as error:
            for name, messages in error.field_errors.items():
                form[name].errors = list(messages)
        else:
            flash(_("Your request was sent. A coordinator of the network will answer by e-mail."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/request.html", form=form), (422 if form.errors else 200)


@bp.route("/account/password/<token>", methods=["GET", "POST"])
@public
def set_password(token: str) -> str | Response | tuple[str, int]:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password(token[:100], form.password.data or "", origin())
        except InvalidInput as error:
            form.password.errors = error.field_errors.get("password", [error.message])
        else:
            flash(_("Your password is set. Sign in to set up your second factor."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/set_password.html", form=form), (422 if form.errors else 200)


@bp.route("/account/reset", methods=["GET", "POST"])
@public
def reset_password() -> str | Response:
    form = ResetForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data or "", origin(), _limits())
        flash(_("If an account uses that address, a link to set a new password is on its way."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form)


@bp.route("/members")
@requires(LOGIN)
def members() -> str:
    if not roles.sees_people(current_user):
        abort(403)
    wanted = account_queries.PeopleFilter(
        centre_id=request.args.get("centre", type=row_id),
        role=_role_from(request.args.get("role", "")),
        area=request.args.get("area", "")[:20],
    )
    result = account_queries.people(
        current_user, wanted, page=request.args.get("page", 1, type=int) or 1, per_page=int(current_app.config["PAGE_SIZE"])
    )
    centres, areas = account_queries.filter_choices(current_user)
    return render_template(
        "accounts/members.html",
        result=result,
        wanted=wanted,
        centres=centres,
        areas=areas,
        roles=list(Role),
        no_area=account_queries.NO_AREA,
        last_sign_ins=account_queries.last_sign_ins([user.id for user in result.items]),
    )


def _role_from(value: str) -> Role | None:
    """A role as the pages write it in links and forms ("ern-manager": people read it, as they read the page)."""
    return next((role for role in Role if role.value == value.replace("-", "_")), None)


@bp.route("/members/<int:user_id>")
@requires(LOGIN)
def member(user_id: int) -> str | tuple[str, int]:
    person = account_queries.person(current_user, user_id)
    if person is None:
        abort(404)
    return _member_page(person, _appoint_form())


def _member_page(person: User, form: AppointForm, status: int = 200) -> tuple[str, int]:
    last = account_queries.last_sign_ins([person.id]).get(person.id)
    return render_template(
        "accounts/member.html",
        person=person,
        form=form,
        last_sign_in=last,
        manages=security.can_manage_account(current_user, person) and person.id != current_user.id,
        revocable=roles.revocable(current_user, person),
    ), status


def _appoint_form() -> AppointForm:
    form = AppointForm()
    appointable_roles, scopes = account_queries.appoint_choices(current_user)
    form.role.choices = [(role.value.replace("_", "-"), role_name(role)) for role in appointable_roles]
    form.scope.choices = [
        (f"{ern.id}-{centre.id}", _("%(ern)s at %(centre)s", ern=ern.code, centre=centre.display_name))
        if centre
        else (str(ern.id), _("%(ern)s, the whole network", ern=ern.code))
        for ern, centre in scopes
    ]
    return form


@bp.route("/members/<int:user_id>/roles", methods=["POST"])
@requires(LOGIN)
def appoint(user_id: int) -> Response | tuple[str, int]:
    person = account_queries.person(current_user, user_id)
    if person is None:
        abort(404)
    form = _appoint_form()
    ern_id, centre_id = form.ern_and_centre()
    try:
        membership = appointments.appoint_role(
            current_user, person.id, (form.role.data or "").replace("-", "_"), ern_id, centre_id, origin()
        )
    except InvalidInput as error:
        form.role.errors = list(error.field_errors.get("role", []))
        form.scope.errors = list(error.field_errors.get("scope", []))
        flash(error.message, "danger")
        return _member_page(person, form, 422)
    except Conflict as error:
        flash(error.message, "danger")
        return redirect(url_for("accounts.member", user_id=person.id))
    words = {"name": person.full_name, "role": role_name(membership.role), "where": _scope_words(membership)}
    flash(_("%(name)s is now %(role)s in %(where)s. Revoke the role on this page when it ends.", **words), "success")
    return redirect(url_for("accounts.member", user_id=person.id))


@bp.route("/members/<int:user_id>/roles/<int:membership_id>/revoke", methods=["POST"])
@requires(LOGIN)
def revoke(user_id: int, membership_id: int) -> Response:
    revoked = appointments.revoke_role(current_user, user_id, membership_id, origin())
    where = f"{revoked.ern} @ {revoked.centre}" if revoked.centre else revoked.ern
    flash(
        _("The role %(role)s in %(where)s was revoked.", role=role_name(revoked.role), where=where)
        + " "
        + ngettext(
            "%(num)d open task it was needed for went back to the queue.",
            "%(num)d open tasks it was needed for went back to the queue.",
            revoked.tasks_handed_back,
        ),
        "success",
    )
    person = account_queries.person(current_user, user_id)
    return redirect(url_for("accounts.member", user_id=user_id) if person is not None else url_for("accounts.members"))


@bp.route("/members/<int:user_id>/deactivate", methods=["POST"])
@requires(LOGIN)
def deactivate(user_id: int) -> Response:
    handed_back = appointments.deactivate_account(current_user, user_id, origin())
    flash(
        _("The account is deactivated: its sessions ended and it cannot sign in.")
        + " "
        + ngettext("%(num)d open task went back to the queue.", "%(num)d open tasks went back to the queue.", handed_back)
        + " "
        + _("Reactivate it here if it was a mistake."),
        "success",
    )
    return redirect(url_for("accounts.member", user_id=user_id))


@bp.route("/members/<int:user_id>/reactivate", methods=["POST"])
@requires(LOGIN)
def reactivate(user_id: int) -> Response:
    appointments.reactivate_account(current_user, user_id, origin())
    flash(_("The account is active again, with the roles it had. Its owner can sign in."), "success")
    return redirect(url_for("accounts.member", user_id=user_id))


def _scope_words(membership: Membership) -> str:
    return f"{membership.ern.code} @ {membership.centre.code}" if membership.centre else membership.ern.code


@bp.route("/members/<int:user_id>/reset-second-factor", methods=["POST"])
@requires(LOGIN)
def reset_second_factor(user_id: int) -> Response:
    services.reset_second_factor(current_user, user_id, origin())
    flash(_("The second factor was reset; the member sets up a new one at their next sign-in."), "success")
    return redirect(url_for("accounts.member", user_id=user_id))


@bp.route("/members/<int:user_id>/extend", methods=["POST"])
@requires(LOGIN)
def extend_account(user_id: int) -> Response:
    services.extend_guest_account(current_user, user_id, int(current_app.config["GUEST_ACCOUNT_DAYS"]), origin())
    flash(_("The guest account was extended."), "success")
    return redirect(url_for("accounts.member", user_id=user_id))
