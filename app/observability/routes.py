"""What an operator and a monitoring system ask a running Consilium: is it up, is it ready, how is it doing."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("observability", __name__)
