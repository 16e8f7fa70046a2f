"""Engine benchmark: one task completion, raw SpiffWorkflow versus Consilium's engine layer.

Both sides drive the same process (benchmarks/bench_process.bpmn, process ``bench_process``:
22 flow nodes, 3 lanes, 7 user tasks on the happy path) and do the same amount of work: a number
of instances, each taken through all 7 user tasks, after one untimed warm-up instance per side;
within a round the two sides' steps are interleaved one by one, so the machine's momentary load
falls on both alike. One "step" is one user-task completion, measured end
to end including the database round trip:

(a) raw SpiffWorkflow, default serializer (the definition embedded in every serialized row, as the
    library does by default), plain ``sqlite3`` with its defaults on a temp-file database: SELECT
    the state row -> deserialize_json -> pick the first READY manual task -> update its data, run
    it -> do_engine_steps -> serialize_json -> UPDATE -> commit. This is the naive raw step the
    target is set against. The same step is also run on a WAL database, the journal mode Consilium
    itself uses, and that stricter ratio is printed too: it isolates the engine layer from the
    choice of journal mode.
(b) Consilium's engine layer, the real path of a task completion minus form validation: in one
    ``transaction()``, ``tasks.queries.open_task`` (the open task named by the request, with its
    process instance, both rows locked), and ``store.complete(...)``: the engine step (definition-less
    state restored onto cached specs, safe expression evaluator), the effects it names, and the save
    (state with a version check, open-task table, event log).


It prints steps per second for each side (best round, median alongside), the mean size of the
stored state, the stricter ratio to the raw step on WAL, and on its last line the ratio b/a as
``engine_ratio=N.NN``: the median over the rounds of (Consilium rate / naive raw rate).

Run from the repository root:  python benchmarks/engine_bench.py [--instances N] [--rounds R]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Protocol

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn import BpmnWorkflow  # type: ignore[import-untyped]  # noqa: E402
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # type: ignore[import-untyped]  # noqa: E402
from SpiffWorkflow.spiff.parser import SpiffBpmnParser  # type: ignore[import-untyped]  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # type: ignore[import-untyped]  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]  # noqa: E402

BPMN_FILE = ROOT / "benchmarks" / "bench_process.bpmn"
PROCESS_ID = "bench_process"
USER_TASKS_PER_INSTANCE = 7
# The happy path: every gateway takes its "yes" branch (see the comment at the top of the BPMN file).
TASK_DATA: dict[str, Any] = {"accepted": True, "approved": True, "outcome_accepted": True}


@dataclass(frozen=True)
class RoundResult:
    """One timed round of one side."""

    steps: int
    seconds: float
    state_bytes: float  # mean size of the state written per step

    @property
    def rate(self) -> float:
        return self.steps / self.seconds


# --------------------------------------------------------------------------------------------
# (a) raw SpiffWorkflow
# --------------------------------------------------------------------------------------------


class RawBench:
    """SpiffWorkflow as documented: default serializer with the spec embedded, sqlite3 rows."""

    def __init__(self, directory: Path, xml: bytes, *, wal: bool) -> None:
        parser = SpiffBpmnParser()
        parser.add_bpmn_str(xml, filename=BPMN_FILE.name)
        self.spec = parser.get_spec(PROCESS_ID)
        self.subprocess_specs = parser.get_subprocess_specs(PROCESS_ID)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.connection = sqlite3.connect(directory / f"raw{'_wal' if wal else ''}.sqlite")
        if wal:  # the journal mode Consilium's SQLite connections use (app/database.py)
            self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("CREATE TABLE instances (id INTEGER PRIMARY KEY, state TEXT)")
        self.connection.commit()

    def create_instances(self, count: int) -> list[int]:
        """Start ``count`` instances, run them to their first user task and store them (untimed)."""
        ids = []
        for _ in range(count):
            workflow = BpmnWorkflow(self.spec, dict(self.subprocess_specs))
            workflow.do_engine_steps()
            cursor = self.connection.execute("INSERT INTO instances (state) VALUES (?)", (self.serializer.serialize_json(workflow),))
            ids.append(int(cursor.lastrowid or 0))
        self.connection.commit()
        return ids

    def step(self, instance_id: int) -> int:
        """Complete one user task of the stored instance; return the size of the state written."""
        (state,) = self.connection.execute("SELECT state FROM instances WHERE id = ?", (instance_id,)).fetchone()
        workflow = self.serializer.deserialize_json(state)
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update(TASK_DATA)
        task.run()
        workflow.do_engine_steps()
        new_state = self.serializer.serialize_json(workflow)
        self.connection.execute("UPDATE instances SET state = ? WHERE id = ?", (new_state, instance_id))
        self.connection.commit()
        return len(new_state.encode())

    def check_completed(self, ids: list[int]) -> None:
        for instance_id in ids:
            (state,) = self.connection.execute("SELECT state FROM instances WHERE id = ?", (instance_id,)).fetchone()
            workflow = self.serializer.deserialize_json(state)
            assert workflow.completed, f"raw instance {instance_id} did not complete"

    def close(self) -> None:
        self.connection.close()


# --------------------------------------------------------------------------------------------
# (b) Consilium's engine layer
# --------------------------------------------------------------------------------------------


class ConsiliumBench:
    """The application's path: store.complete inside transaction(), on SQLAlchemy."""

    def __init__(self, directory: Path, xml: bytes) -> None:
        import engine
        from app import create_app
        from app.database import db
        from app.database import transaction
        from app.workflows.models import ProcessDefinition

        self.app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'bench.sqlite'}", "SCHEDULER_ENABLED": False})
        self.context = self.app.app_context()
        self.context.push()
        db.create_all()
        with transaction():
            row = ProcessDefinition(process_id=PROCESS_ID, version=1, checksum=engine.checksum(xml), xml=xml)
            db.session.add(row)
        self.next_task: dict[int, str] = {}  # the task id a user's request would carry

    def create_instances(self, count: int) -> list[int]:
        """Start ``count`` instances and store them with their open tasks (untimed)."""
        from app.database import transaction
        from app.workflows import store

        ids = []
        with transaction():
            for _ in range(count):
                instance, advance = store.start(
                    PROCESS_ID, subject_type="bench", subject_id=None, ern_id=None, centre_id=None, data={}, actor=None
                )
                assert advance.failure is None, advance.failure
                ids.append(instance.id)
                self.next_task[instance.id] = advance.open_tasks[0].task_id
        return ids

    def step(self, instance_id: int) -> int:
        """Complete the first open task of the instance, as a task completion does; return the state size."""
        from app.database import db
        from app.database import transaction
        from app.tasks import queries
        from app.workflows import store

        db.session.expunge_all()  # nothing cached: the row really comes from the database
        with transaction():
            # As complete_task does (tasks.queries.open_task): the open task and its instance in one
            # query, both rows locked. Which task is open is known from the previous step here.
            task = queries.open_task(self.next_task[instance_id], lock=True)
            assert task is not None
            instance, task_id = task.instance, task.engine_task_id
            advance = store.complete(instance, task_id, dict(TASK_DATA), actor=None)
            assert advance.failure is None, advance.failure
        if advance.open_tasks:
            self.next_task[instance_id] = advance.open_tasks[0].task_id
        return len(advance.state.encode())

    def check_completed(self, ids: list[int]) -> None:
        from sqlalchemy import func
        from sqlalchemy import select

        from app.database import db
        from app.tasks.models import OpenTask
        from app.workflows.models import InstanceStatus
        from app.workflows.models import ProcessInstance

        db.session.expunge_all()
        statuses = db.session.scalars(select(ProcessInstance.status).where(ProcessInstance.id.in_(ids))).all()
        assert len(statuses) == len(ids) and all(s == InstanceStatus.COMPLETED for s in statuses), statuses
        left = db.session.scalar(select(func.count(OpenTask.id)).where(OpenTask.instance_id.in_(ids)))
        assert left == 0, f"{left} open_tasks rows remain"
        db.session.rollback()

    def close(self) -> None:
        from app.database import db

        db.session.remove()
        db.engine.dispose()
        self.context.pop()


# --------------------------------------------------------------------------------------------


class Bench(Protocol):
    def create_instances(self, count: int) -> list[int]: ...
    def step(self, instance_id: int) -> int: ...
    def check_completed(self, ids: list[int]) -> None: ...
    def close(self) -> None: ...


def run_round(sides: Sequence[Bench], instances: int) -> list[RoundResult]:
    """Drive every side through the same steps, interleaved step by step so that the machine's
    momentary load (other processes, CPU steal) falls on all alike; time each side's steps."""
    ids = [side.create_instances(instances) for side in sides]
    seconds = [0.0] * len(sides)
    sizes: list[list[int]] = [[] for _ in sides]
    for _ in range(USER_TASKS_PER_INSTANCE):
        for position in range(instances):
            for index, side in enumerate(sides):
                start = time.perf_counter()
                sizes[index].append(side.step(ids[index][position]))
                seconds[index] += time.perf_counter() - start
    for side, side_ids in zip(sides, ids, strict=True):
        side.check_completed(side_ids)
    return [RoundResult(len(sizes[i]), seconds[i], statistics.fmean(sizes[i])) for i in range(len(sides))]


def report(name: str, results: list[RoundResult]) -> float:
    """Print the best round (and the median rate); return the best rate."""
    best = min(results, key=lambda result: result.seconds)
    median_rate = statistics.median(result.rate for result in results)
    print(
        f"{name}: {best.steps} steps in {best.seconds:.2f} s = {best.rate:.1f} steps/s "
        f"(state {best.state_bytes / 1000:.1f} kB; median of {len(results)} rounds {median_rate:.1f} steps/s)"
    )
    return best.rate


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--instances", type=int, default=30, help="instances per round (each runs 7 user tasks)")
    arguments.add_argument("--rounds", type=int, default=5, help="timed rounds; each runs both sides interleaved")
    options = arguments.parse_args()
    xml = BPMN_FILE.read_bytes()
    per_round = f"{options.instances} instances x {USER_TASKS_PER_INSTANCE} user tasks per round"
    print(f"process {PROCESS_ID}: {per_round}, {options.rounds} rounds per side")
    with tempfile.TemporaryDirectory(prefix="consilium-bench-") as directory:
        sides = [RawBench(Path(directory), xml, wal=False), RawBench(Path(directory), xml, wal=True), ConsiliumBench(Path(directory), xml)]
        try:
            run_round(sides, 1)  # warm-up, untimed
            rounds = [run_round(sides, options.instances) for _ in range(options.rounds)]
        finally:
            for side in sides:
                side.close()
    raw, raw_wal, consilium = ([round_[i] for round_ in rounds] for i in range(3))
    report("raw_spiffworkflow (sqlite3 defaults)", raw)
    report("raw_spiffworkflow_wal (same journal mode as Consilium)", raw_wal)
    report("consilium_layer", consilium)
    strict = [c.rate / r.rate for r, c in zip(raw_wal, consilium, strict=True)]
    print("ratio to the raw step on WAL, per round: " + " ".join(f"{x:.2f}" for x in strict) + f"; median {statistics.median(strict):.2f}")
    naive = [c.rate / r.rate for r, c in zip(raw, consilium, strict=True)]
    print("ratio to the naive raw step, per round: " + " ".join(f"{x:.2f}" for x in naive))
    print(f"engine_ratio={statistics.median(naive):.2f}")


if __name__ == "__main__":
    main()
