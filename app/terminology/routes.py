from __future__ import annotations

from flask import Blueprint
from flask import jsonify
from flask import render_template
from flask import request
from werkzeug.wrappers import Response

from app.security import LOGIN
from app.security import requires
from app.terminology.catalogue import SYSTEMS
from app.terminology.catalogue import catalogue

bp = Blueprint("terminology", __name__, url_prefix="/terminology")


def _search_args() -> tuple[str, list[str], bool]:
    """The query string, read here only: the text typed, the systems to search (all unless some are named), whether JSON is wanted."""
    asked = [s for value in request.args.getlist("systems") for s in value.split(",") if s in SYSTEMS]
    return request.args.get("q", "")[:100], asked or list(SYSTEMS), request.args.get("format") == "json"


@bp.route("/search")
@requires(LOGIN)
def search() -> str | Response:
    """The picker's source: JSON for the search-as-you-type list, or a plain search page without JavaScript. Each term
    comes with the synonym it was found by, when its label does not have the words typed."""
    query, systems, as_json = _search_args()
    matches = catalogue().search(query, systems=systems, limit=20) if query else []
    if as_json:
        return jsonify([{"system": m.term.system, "code": m.term.code, "label": m.term.label, "synonym": m.synonym} for m in matches])
    versions = catalogue().versions if matches else {}  # the empty page needs no index (built once, a few seconds)
    return render_template("terminology/search.html", query=query, systems=systems, all_systems=SYSTEMS, matches=matches, versions=versions)
