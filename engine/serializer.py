"""Instance state as JSON without the process definition.

SpiffWorkflow embeds the whole definition in every serialized instance (about 40% of the bytes and
half the load time). We store each definition once per version instead and hand the cached, parsed
specs back in when an instance is loaded.
"""

from __future__ import annotations

import json
import threading
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import SimpleTaskConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from engine.errors import EngineError


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Serializes a workflow without its specs; restores it onto specs passed in."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["spec_name"] = workflow.spec.name
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> BpmnWorkflow:
        if spec is None:
            raise EngineError("an instance can only be restored onto its definition's specs")
        if dct.get("spec_name") != spec.name:
            raise EngineError(f"state belongs to process '{dct.get('spec_name')}', not '{spec.name}'")
        workflow = self.target_class(spec, dict(subprocess_specs or {}), deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.get("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    # Task data is small by design (ids and routing flags), so each task stores its data whole:
    # cheaper than the default delta encoding, which deep-merges every task's parent data on load.
    config[Task] = SimpleTaskConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


_VERSION_KEY = BpmnWorkflowSerializer.VERSION_KEY
# One serializer per thread: dumps() flips a mode flag on the serializer's registry.
_LOCAL = threading.local()


def _serializer() -> BpmnWorkflowSerializer:
    serializer: BpmnWorkflowSerializer | None = getattr(_LOCAL, "serializer", None)
    if serializer is None:
        serializer = _LOCAL.serializer = _make_serializer()
    return serializer


def dumps(workflow: BpmnWorkflow) -> str:
    """Serialize an instance's state (no definition inside)."""
    serializer = _serializer()
    registry = serializer.registry
    registry._encoder_mode = True
    try:
        dct = serializer.to_dict(workflow)
        dct[_VERSION_KEY] = serializer.VERSION
        return json.dumps(dct, cls=serializer._encoder_cls, separators=(",", ":"))
    finally:
        registry._encoder_mode = False


def loads(state: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    """Restore an instance's state onto its definition's cached specs."""
    serializer = _serializer()
    dct = json.loads(state)
    serializer.migrate(dct)
    return serializer.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
