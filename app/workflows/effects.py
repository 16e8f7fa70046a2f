"""Effect type → handler: what the application does when a service task names a handler.

Handlers run inside the transaction of the service that advanced the instance, so the effect, the
new state and the open tasks commit together or not at all. They only flush. The feature packages
offer their handlers and ``create_app`` registers them (``app/wiring.py``): this layer imports none.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

import engine
from app.accounts.models import User
from app.workflows.models import ProcessInstance
from app.workflows.registry import register

EffectHandler = Callable[[ProcessInstance, dict[str, Any], User | None], None]

EFFECT_HANDLERS: dict[str, EffectHandler] = {}


def register_effects(handlers: Mapping[str, EffectHandler]) -> None:
    """Make handlers known by the names service tasks give them (the same name twice must be the same handler)."""
    register(EFFECT_HANDLERS, handlers, "effect")


def apply_effects(instance: ProcessInstance, effects: Iterable[engine.Effect], actor: User | None) -> None:
    for effect in effects:
        handler = EFFECT_HANDLERS.get(effect.handler)
        if handler is None:  # validation rejects unknown handlers; a definition cannot get here without one
            raise LookupError(f"no handler registered for '{effect.handler}' (task {effect.task_name})")
        handler(instance, effect.params, actor)
