"""Report pages benchmark: server time and SQL statements per request at 10,000 panels and 200,000 events.

Seeds as benchmarks/panel_bench.py does (2 ERNs, 20 centres, 200 experts, panels over 60 days with members and 20
timeline entries each), then per panel: a process instance with 20 instance events (task completions, a quarter of
them of a task with a service level), two contributions, an outcome for signed and closed panels, and a follow-up
answer for a third of those; the viewer is made a coordinator of their ERN. It then requests, next to the trivial
route: the ERN report page, its CSV and XLSX, the centre report page and the yearly PDF, and prints a ``ratio=`` line
for each (median over the trivial route's median) and its statement count at ``--small`` and at ``--panels`` panels.

Run from the repository root:  python benchmarks/report_bench.py [--rounds 30]
    on PostgreSQL:  python benchmarks/report_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/consilium_report_bench
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.panel_bench import World  # noqa: E402
from benchmarks.panel_bench import finish_seeding  # noqa: E402
from benchmarks.panel_bench import log_in  # noqa: E402
from benchmarks.panel_bench import seed_base  # noqa: E402
from benchmarks.panel_bench import seed_panels  # noqa: E402
from benchmarks.web_harness import add_trivial_route  # noqa: E402
from benchmarks.web_harness import build_app  # noqa: E402
from benchmarks.web_harness import count_queries  # noqa: E402
from benchmarks.web_harness import database  # noqa: E402
from benchmarks.web_harness import get  # noqa: E402
from benchmarks.web_harness import insert_rows  # noqa: E402
from benchmarks.web_harness import report  # noqa: E402
from benchmarks.web_harness import time_pages  # noqa: E402

EVENTS_PER_PANEL = 20
TASKS = ("fill_consultation", "select_experts", "answer_invitation", "contribute", "draft_outcome")
DIAGNOSES = (("ORPHA:85443", "AL amyloidosis"), ("ORPHA:98896", "Duchenne muscular dystrophy"), ("ORPHA:558", "Marfan syndrome"))


def seed_report_rows(connection: Connection, world: World, rng: random.Random, now: datetime, first_panel: int) -> int:
    """Instances, events, contributions, outcomes and follow-ups for the panels from ``first_panel`` on; the events made."""
    from app.panels.models import Contribution
    from app.panels.models import FollowUp
    from app.panels.models import Outcome
    from app.panels.models import Panel
    from app.workflows.models import InstanceEvent
    from app.workflows.models import ProcessDefinition
    from app.workflows.models import ProcessInstance

    definition_id = connection.execute(select(ProcessDefinition.id).limit(1)).scalar_one()
    panels = connection.execute(
        select(Panel.id, Panel.ern_id, Panel.centre_id, Panel.created_at, Panel.phase, Panel.closed_at, Panel.lead_id).where(
            Panel.id >= first_panel
        )
    ).all()
    experts = [user for users in world.users_at.values() for user in users]
    instances, events, contributions, outcomes, follow_ups = [], [], [], [], []
    instance_ids = world.ids("process_instances", len(panels))
    for (panel_id, ern_id, centre_id, created, phase, closed_at, lead), instance_id in zip(panels, instance_ids, strict=True):
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        end = (closed_at.replace(tzinfo=UTC) if closed_at and not closed_at.tzinfo else closed_at) or now
        instances.append(
            {
                "id": instance_id,
                "definition_id": definition_id,
                "process_id": "panel",
                "subject_type": "panel",
                "subject_id": panel_id,
                "ern_id": ern_id,
                "centre_id": centre_id,
                "state": "{}",
                "status": "running",
                "failure": "",
                "next_timer_at": None,
                "started_by_id": lead,
                "assignee_id": None,
                "created_at": created,
                "updated_at": end,
                "version_id": 1,
            }
        )
        for at in sorted(created + (end - created) * rng.random() for _ in range(EVENTS_PER_PANEL)):
            name = rng.choice(TASKS)
            events.append(
                {
                    "instance_id": instance_id,
                    "engine_task_id": f"{instance_id}-{len(events)}",
                    "task_name": name,
                    "label": name.replace("_", " "),
                    "kind": "task",
                    "actor_id": lead,
                    "at": at,
                    "changed_keys": [],
                }
            )
        for _ in range(2):
            contributions.append(
                {
                    "panel_id": panel_id,
                    "author_id": rng.choice(experts),
                    "text": "Advice.",
                    "minutes_spent": rng.randint(10, 120),
                    "created_at": created + (end - created) * rng.uniform(0.1, 0.6),
                }
            )
        if phase.value in ("signed", "closed"):
            outcome_id = world.ids("outcomes", 1)[0]
            outcomes.append(
                {
                    "id": outcome_id,
                    "panel_id": panel_id,
                    "case_question": "",
                    "recommendations": "",
                    "diagnosis_codes": "",
                    "follow_up": "",
                    "drafted_by_id": lead,
                    "drafted_at": created,
                    "signed_by_id": lead,
                    "signed_at": created + (end - created) * 0.8,
                }
            )
            if rng.random() < 0.33:
                follow_ups.append(
                    {
                        "panel_id": panel_id,
                        "outcome_id": outcome_id,
                        "months": 3,
                        "advice_followed": rng.choice(("fully", "partly", "not")),
                        "why": "",
                        "current_status": "",
                        "diagnosis": rng.choice(("confirmed", "changed", "unknown")),
                        "diagnosis_codes": "",
                        "ended_reason": "",
                        "answered_by_id": lead,
                        "answered_at": end,
                    }
                )
    for rows, table in ((events, "instance_events"), (contributions, "contributions"), (follow_ups, "follow_ups")):
        for row, row_id in zip(rows, world.ids(table, len(rows)), strict=True):
            row["id"] = row_id
    insert_rows(connection, ProcessInstance, instances)
    insert_rows(connection, InstanceEvent, events)
    insert_rows(connection, Contribution, contributions)
    insert_rows(connection, Outcome, outcomes)
    insert_rows(connection, FollowUp, follow_ups)
    # A coded diagnosis on each submitted consultation (the cases by diagnosis).
    for code, label in DIAGNOSES:
        ids = [p.id for p in panels if rng.random() < 0.3]
        if ids:
            connection.execute(
                Panel.__table__.update()
                .where(Panel.id.in_(ids))
                .values(consultation={"nickname": "x", "urgent": "no", "diagnosis": {"system": "ORPHA", "code": code, "label": label}})
            )
    return len(events)


def seed(app: Flask, world: World | None, rng: random.Random, now: datetime, count: int) -> tuple[World, int, float]:
    from app.accounts.models import Membership
    from app.accounts.models import Role
    from app.database import db
    from app.tasks.models import SlaRule

    start = time.perf_counter()
    with app.app_context(), db.engine.begin() as connection:
        first_panel = world.next_id["panels"] if world else 1
        if world is None:
            world = seed_base(connection, rng, now)
            seed_panels(connection, world, rng, now, count, with_viewer=True)
            membership = {"id": world.ids("memberships", 1)[0], "user_id": world.viewer_id, "ern_id": world.viewer_ern}
            insert_rows(connection, Membership, [{**membership, "centre_id": None, "role": Role.COORDINATOR}])
            rules = [{"id": n, "ern_id": ern, "task_name": "fill_consultation", "hours": 24} for n, ern in enumerate(world.erns, 1)]
            insert_rows(connection, SlaRule, rules)
        else:
            seed_panels(connection, world, rng, now, count, with_viewer=False)
        events = seed_report_rows(connection, world, rng, now, first_panel)
        finish_seeding(connection, world, [], False)
    return world, events, time.perf_counter() - start


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--database-url", default="", help="postgresql+psycopg://user@host:port/NAME (created and dropped)")
    arguments.add_argument("--panels", type=int, default=10_000)
    arguments.add_argument("--small", type=int, default=1_000, help="panels at which queries are counted first")
    arguments.add_argument("--rounds", type=int, default=30, help="timed requests per page")
    arguments.add_argument("--warm-up", type=int, default=3)
    arguments.add_argument("--seed", type=int, default=20261207)
    options = arguments.parse_args()
    started = time.perf_counter()
    rng = random.Random(options.seed)
    now = datetime.now(UTC)
    with database(options.database_url, "report") as url, tempfile.TemporaryDirectory(prefix="consilium-report-bench-") as storage:
        app = build_app(url, storage)
        add_trivial_route(app)
        print(f"database: {make_url(url).get_backend_name()}")
        world, events, seconds = seed(app, None, rng, now, options.small)
        total_events = events
        print(f"seeded {world.panels:,} panels, {events:,} instance events in {seconds:.1f} s")
        client = log_in(app)
        ern = world.erns[world.viewer_ern]
        centre = world.centres[world.viewer_centre]
        year = now.year
        pages = {
            "trivial": "/_bench/trivial",
            "ern_report": f"/erns/{ern}/reports",
            "ern_csv": f"/erns/{ern}/reports/report.csv",
            "ern_xlsx": f"/erns/{ern}/reports/report.xlsx",
            "centre_report": f"/erns/{ern}/centres/{centre}/reports",
            "yearly_pdf": f"/erns/{ern}/reports/yearly.pdf?year={year}",
        }
        for _ in range(options.warm_up):
            for page in pages.values():
                get(client, page)
        small_counts = count_queries(app, client, pages)
        world, events, seconds = seed(app, world, rng, now, options.panels - options.small)
        total_events += events
        print(
            f"seeded up to {world.panels:,} panels, {total_events:,} instance events, {world.entries:,} timeline entries ({seconds:.1f} s)"
        )
        for _ in range(options.warm_up):
            for page in pages.values():
                get(client, page)
        times = time_pages(client, pages, options.rounds)
        counts = count_queries(app, client, pages)
        print(f"\nat {options.panels:,} panels ({options.rounds} requests per page, interleaved):")
        report(times, counts)
        print("\nqueries per request by dataset size:")
        for name in pages:
            small, large = max(small_counts[name]), max(counts[name])
            verdict = "constant" if small == large else "GROWS with the number of panels"
            print(f"  {name:<16} {options.small:,} panels: {small:>3}   {options.panels:,} panels: {large:>3}   {verdict}")
        with app.app_context():
            from app.database import db

            db.session.remove()
            db.engine.dispose()
    print(f"\ntotal run time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
