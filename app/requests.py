"""Helpers for routes: where a request came from, for the audit log."""

from flask import request

from app.audit.services import RequestInfo


def origin() -> RequestInfo:
    return RequestInfo(request.remote_addr or "", request.user_agent.string or "")
