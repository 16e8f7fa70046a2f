"""The outbox as administrators see it: mail that could not be delivered, to retry or to look into."""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.mail import queries
from app.mail import services
from app.requests import origin
from app.security import ADMIN
from app.security import requires

bp = Blueprint("mail", __name__, url_prefix="/admin/mail")


@bp.route("/undeliverable")
@requires(ADMIN)
def undeliverable() -> str:
    page = request.args.get("page", 1, type=int) or 1
    result = queries.undeliverable_mail(page=page, per_page=int(current_app.config["PAGE_SIZE"]))
    return render_template("mail/undeliverable.html", result=result)


@bp.route("/undeliverable/<int:mail_id>/retry", methods=["POST"])
@requires(ADMIN)
def retry(mail_id: int) -> Response:
    services.retry_mail(current_user, mail_id, origin())
    flash(_("The mail is back in the queue: it is sent on the next run."), "success")
    return redirect(url_for("mail.undeliverable", page=request.args.get("page", 1, type=int) or 1))
