"""What the confirmation after a panel form says happened ("Outcome of panel #4 north wind signed off.")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from app.database import db
from app.panels.models import Panel


def _on_panel(say: Callable[[str, dict[str, Any]], str]) -> Callable[[int | None, dict[str, Any]], str | None]:
    def confirm(panel_id: int | None, answers: dict[str, Any]) -> str | None:
        panel = db.session.get(Panel, panel_id) if panel_id is not None else None
        return say(panel.title, answers) if panel is not None else None

    return confirm


@_on_panel
def consultation(title: str, answers: dict[str, Any]) -> str:
    return _("Consultation form of panel %(title)s submitted: now invite the experts.", title=title)


@_on_panel
def selection(title: str, answers: dict[str, Any]) -> str:
    return _("Assessment of panel %(title)s started.", title=title)


@_on_panel
def invitation_reply(title: str, answers: dict[str, Any]) -> str:
    if answers.get("answer") == "accept":
        return _("Invitation to panel %(title)s accepted.", title=title)
    return _("Invitation to panel %(title)s declined.", title=title)


@_on_panel
def contribution(title: str, answers: dict[str, Any]) -> str:
    return _("Contribution to panel %(title)s recorded.", title=title)


@_on_panel
def additional_data(title: str, answers: dict[str, Any]) -> str:
    return _("Additional data for panel %(title)s provided.", title=title)


@_on_panel
def outcome(title: str, answers: dict[str, Any]) -> str:
    return _("Outcome of panel %(title)s sent to the members for review.", title=title)


@_on_panel
def sign_off(title: str, answers: dict[str, Any]) -> str:
    if answers.get("decision") == "sign_off":
        return _("Outcome of panel %(title)s signed off.", title=title)
    return _("Outcome of panel %(title)s sent back for revision.", title=title)


@_on_panel
def closing(title: str, answers: dict[str, Any]) -> str:
    return _("Panel %(title)s closed.", title=title)


CONFIRMATIONS = {
    "consultation": consultation,
    "panel_selection": selection,
    "invitation_reply": invitation_reply,
    "contribution": contribution,
    "additional_data": additional_data,
    "outcome": outcome,
    "outcome_sign_off": sign_off,
    "panel_closing": closing,
}
