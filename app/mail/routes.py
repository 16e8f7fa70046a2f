"""The outbox as administrators see it: mail that could not be delivered, to retry or to look into."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("mail", __name__, url_prefix="/admin/mail")
