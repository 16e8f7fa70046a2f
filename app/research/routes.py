"""Research: released panels searched by code, sex, age at onset, country, period; datasets to download (CSV,
Phenopackets, FHIR document bundles of the signed outcomes)."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import render_template
from flask import request
from flask_login import current_user

from app.database import utcnow
from app.errors import InvalidInput
from app.exports import csv_response
from app.interop import outcome_case
from app.requests import origin
from app.research import datasets
from app.research import queries
from app.research import search
from app.research import services
from app.security import LOGIN
from app.security import requires

bp = Blueprint("research", __name__, url_prefix="/research")


def _researcher() -> None:
    if not search.is_researcher(current_user):
        abort(403)


@bp.route("/")
@requires(LOGIN)
def index() -> tuple[str, int]:
    _researcher()
    try:
        query = search.parse_query(request.args)
    except InvalidInput as error:
        return _page(search.Query(), error=str(error)), 422
    found = search.cases(current_user, query)
    page = search.page_of(found, page=request.args.get("page", 1, type=int) or 1, per_page=int(current_app.config["PAGE_SIZE"]))
    return _page(query, result=page), 200


def _page(query: search.Query, *, result: object = None, error: str = "") -> str:
    return render_template(
        "research/index.html",
        query=query,
        args=query.as_args(),
        typed=request.args,
        result=result,
        error=error,
        bands=[label for label, _youngest, _oldest in search.AGE_BANDS],
        sexes=search.SEXES,
        countries=search.countries(current_user),
    )


def _dataset(fmt: str) -> tuple[search.Query, list[search.Case]]:
    """The search's cases for a download, with the download audited first."""
    _researcher()
    query = search.parse_query(request.args)
    found = search.cases(current_user, query)
    services.record_download(current_user, query, fmt, len(found), origin())
    return query, found


@bp.route("/dataset.csv")
@requires(LOGIN)
def dataset_csv() -> Response:
    _query, found = _dataset("csv")
    return csv_response("consilium-research-dataset.csv", datasets.CSV_HEADER, datasets.csv_rows(found))


@bp.route("/phenopackets.zip")
@requires(LOGIN)
def phenopackets_zip() -> Response:
    _query, found = _dataset("phenopackets")
    response = Response(datasets.phenopackets_zip(found, utcnow()), mimetype="application/zip")
    response.headers["Content-Disposition"] = 'attachment; filename="consilium-research-phenopackets.zip"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/fhir-bundles.zip")
@requires(LOGIN)
def fhir_bundles_zip() -> Response:
    _query, found = _dataset("fhir")
    outcomes = outcome_case.signed_outcomes(case.panel_id for case in found)
    response = Response(outcome_case.fhir_bundles_zip(found, outcomes, utcnow()), mimetype="application/zip")
    response.headers["Content-Disposition"] = 'attachment; filename="consilium-research-fhir-bundles.zip"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/downloads")
@requires(LOGIN)
def downloads() -> str:
    _researcher()
    page = queries.downloads_of(
        current_user, page=request.args.get("page", 1, type=int) or 1, per_page=int(current_app.config["PAGE_SIZE"])
    )
    return render_template("research/downloads.html", result=page, filters_of=queries.filters_of)
