"""The OpenAPI document and a page that reads it (served here, no CDN, no script)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import jsonify
from flask import render_template
from flask.wrappers import Response

from app.api import setup
from app.security import public

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")

METHODS = ("get", "put", "post", "patch", "delete")


@bp.route("/openapi.json")
@public
def openapi() -> Response:
    return jsonify(setup.document())


@bp.route("/docs")
@public
def docs() -> str:
    spec = setup.document()
    operations: list[dict[str, Any]] = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                operations.append({"path": path, "method": method.upper(), **item[method]})
    return render_template("api/docs.html", spec=spec, operations=operations, schemas=spec.get("components", {}).get("schemas", {}))
