from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user
from werkzeug.wrappers import Response

from app.accounts import services
from app.accounts.forms import LoginForm
from app.accounts.models import User
from app.extensions import db
from app.extensions import login_manager
from app.requests import origin
from app.security import LOGIN
from app.security import public
from app.security import requires

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "", origin())
        if user is None:
            flash(_("Wrong e-mail or password."), "danger")
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@requires(LOGIN)
def logout() -> Response:
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.dashboard")
