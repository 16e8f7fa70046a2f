"""Each person's contributions per year, and a certificate of them for a period."""

from __future__ import annotations

from datetime import date

from flask import Blueprint
from flask import Response
from flask import render_template
from flask import request
from flask_login import current_user

from app.recognition import queries
from app.recognition import services
from app.recognition.certificate import duration
from app.requests import origin
from app.security import LOGIN
from app.security import requires

bp = Blueprint("recognition", __name__)


@bp.route("/my/contributions")
@requires(LOGIN)
def contributions() -> str:
    lines = queries.contributions_of(current_user)
    years = queries.totals_per_year(lines)
    year = request.args.get("year", type=int) or (years[0].year if years else date.today().year)
    return render_template(
        "recognition/contributions.html",
        years=years,
        year=year,
        lines=[line for line in lines if line.at.year == year],
        total=next((total for total in years if total.year == year), None),
        duration=duration,
    )


@bp.route("/my/contributions/certificate.pdf")
@requires(LOGIN)
def certificate() -> Response:
    start, end = services.period_of(request.args.get("from", ""), request.args.get("to", ""))
    pdf = services.contributions_certificate(current_user, start, end, origin())
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="consilium-contributions-{start}-{end}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
