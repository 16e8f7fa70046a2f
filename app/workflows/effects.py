"""Effect type → handler: what the application does when a service task names a handler.

Handlers run inside the transaction of the service that advanced the instance, so the effect, the
new state and the open tasks commit together or not at all. They only flush.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

import engine
from app.accounts import requests
from app.accounts.models import User
from app.panels import process as panel_process
from app.patients import enrolment
from app.workflows.models import ProcessInstance

EffectHandler = Callable[[ProcessInstance, dict[str, Any], User | None], None]

EFFECT_HANDLERS: dict[str, EffectHandler] = {
    "assign_cpms_id": enrolment.assign_cpms_id,
    "create_account": requests.create_account,
    "notify_rejection": requests.notify_rejection,
    "remind_coordinators": requests.remind_coordinators,
    "set_panel_phase": panel_process.set_panel_phase,
    "notify_panel": panel_process.notify_panel,
    "sign_outcome": panel_process.sign_outcome,
    "finish_panel": panel_process.finish_panel,
    "notify_invitation": panel_process.notify_invitation,
    "remind_invitee": panel_process.remind_invitee,
    "expire_invitation": panel_process.expire_invitation,
    "notify_data_request": panel_process.notify_data_request,
    "notify_data_provided": panel_process.notify_data_provided,
}


def apply_effects(instance: ProcessInstance, effects: Iterable[engine.Effect], actor: User | None) -> None:
    for effect in effects:
        handler = EFFECT_HANDLERS.get(effect.handler)
        if handler is None:  # validation rejects unknown handlers; a definition cannot get here without one
            raise LookupError(f"no handler registered for '{effect.handler}' (task {effect.task_name})")
        handler(instance, effect.params, actor)
