"""/api/v1/panels: the panels the caller sees (pseudonymised), and each panel's consultation form."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint

from app import security
from app.api import cursors
from app.api import queries
from app.api.patients_routes import page_size
from app.api.schemas import ConsultationSchema
from app.api.schemas import ListArgs
from app.api.schemas import PanelPage
from app.api.schemas import PanelSchema
from app.database import db
from app.errors import NotFound
from app.panels import consultation
from app.panels.models import Panel
from app.security import TOKEN
from app.security import requires

bp = Blueprint("api_panels", __name__, url_prefix="/api/v1/panels", description="Panels you see (pseudonymised)")


def visible_panel(panel_id: int) -> Panel:
    panel = db.session.scalar(queries.panels(current_user).where(Panel.id == panel_id))
    if panel is None:
        raise NotFound(_("No such panel among those you see."))
    return panel


@bp.route("")
@requires(TOKEN)
@bp.arguments(ListArgs, location="query", as_kwargs=True)
@bp.response(200, PanelPage)
def list_panels(**args: Any) -> cursors.Page:
    """The panels you see: as a member, the lead, a manager in scope, or a health professional of the case's centre."""
    return cursors.page("panels", queries.panels(current_user), Panel.id, args["cursor"], page_size(args))


@bp.route("/<int:panel_id>")
@requires(TOKEN)
@bp.response(200, PanelSchema)
def get_panel(panel_id: int) -> Panel:
    return visible_panel(panel_id)


@bp.route("/<int:panel_id>/consultation")
@requires(TOKEN)
@bp.response(200, ConsultationSchema)
def get_consultation(panel_id: int) -> dict[str, Any]:
    """The panel's consultation form as last submitted (version 0 and no answers before its first submission); while it
    is being filled, its draft is the consultation task's: GET and PUT /api/v1/tasks/{task_id}/draft."""
    panel = visible_panel(panel_id)
    if not security.can_see_panel(current_user, panel):
        raise NotFound(_("No such panel among those you see."))
    current = consultation.current_version(panel.id)
    return {
        "panel_id": panel.id,
        "version": current.number if current else 0,
        "submitted_at": current.submitted_at if current else None,
        "form": "consultation",
        "answers": current.answers if current else {},
    }
