"""Coordinator queue benchmark: server time and SQL statements per request at 50,000 open tasks in 24 ERNs.

A fresh app on its own database (a SQLite file in a temp dir by default; PostgreSQL with
``--database-url``, a database this run creates and drops), migrated and with the shipped process
definitions deployed, is seeded with bulk Core inserts (not through the engine or the services):
24 ERNs, each with 3-5 thematic areas and 8 of 72 centres, 10 member experts per ERN (training
accounts, the people tasks are assigned to), and the viewer, a coordinator of the first ERN (a
membership without a centre). Then the open tasks, spread evenly over the ERNs, each with its own
process instance (of the deployed definition; its ``state`` is a placeholder, as the queue never
reads it) and, for the tasks about a panel, one of the ERN's panels (one per 4 tasks, each on its own
patient):

- ``panel`` (30 %): fill consultation, finish selection, draft / sign off outcome, close panel,
  for the panel lead;
- ``invitation`` (35 %): answer invitation (assigned to the invitee, due 7-30 days after it opened)
  and record contribution (assigned to the member);
- ``data_request`` (15 %): provide additional data, for the centre's clinicians, due 21 days on;
- ``enrolment`` (20 %): enrol patient (subject ``enrolment``, no subject id), for the clinicians.

20 % of the tasks not assigned by nature (all but the invitation's) are claimed by an expert of the
ERN. Tasks opened over the last 60 days; 40 % of those without a timer carry an ERN service level
(``sla_due_at`` 3-30 days after opening); those past due were escalated an hour later.

The viewer signs in through the login form and a Flask test client then requests:

- ``trivial``: a login-required route returning a short string, registered by this benchmark: the
  framework's floor (session cookie, user loader, before/after-request hooks);
- ``queue``: ``GET /erns/<code>/queue``, the ERN's queue (first page, overdue first, by due date);
- ``process``, ``task``, ``centre``, ``area``, ``overdue``, ``unassigned``: the queue with that
  filter (invitation, answer_invitation, the ERN's first centre, its first thematic area, ``overdue=1``,
  ``unassigned=1``);
- ``sort_age``: ``sort=age``; ``page_5``: ``page=5``;
- with ``--floor``, ``floor``: the queue of a 25th ERN (also the viewer's) with 60 open tasks, seeded
  alike: the page's cost when its queries cost next to nothing (the rendering of 50 rows, the ORM).

Warm-up requests first; then ``--rounds`` rounds, each requesting every page once, round-robin (the
starting page rotates), so that the machine's momentary load falls on all pages alike. The time is
the server time as the test client sees it (no network, no browser). SQL statements are counted per
request by a ``before_cursor_execute`` listener on the engine (SQLite's BEGIN is sent to the driver
directly and is not counted), at ``--small`` tasks and again at ``--tasks`` tasks (seeded in two
steps): a count that grows with the number of tasks is an N+1.

Each page's line ends in ``ratio=N.NN``: its median time over the trivial route's median time (the
target, as for the panel pages: 5 or less for every page at 50,000 open tasks, with a query count
that does not grow). Every request groups the ERN's tasks afresh: nothing is kept between requests.
A separate, untimed pass then splits each page's time into the database driver, template rendering
(lazy loads included) and the rest (ORM, Flask, the route's own code).

To find why a page is slow: ``--sql`` lists each page's statements with their driver time,
``--explain`` adds the plan of every SELECT (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL),
``--profile PAGE`` runs cProfile over 50 requests, ``--index "CREATE INDEX ..."`` (repeatable) tries
an index on the bench's own database and ``--analyze`` gives SQLite planner statistics.

Seeding uses explicit ids; executemany on SQLite, COPY on PostgreSQL (then the sequences are moved
past the ids and VACUUM ANALYZE runs, as autovacuum soon would after such a load).

Run from the repository root:  python benchmarks/queue_bench.py [--rounds 60] [--floor] [--sql] [--explain]
    on PostgreSQL:  python benchmarks/queue_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/queue_bench
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.web_harness import add_trivial_route  # noqa: E402
from benchmarks.web_harness import breakdown  # noqa: E402
from benchmarks.web_harness import build_app  # noqa: E402
from benchmarks.web_harness import count_queries  # noqa: E402
from benchmarks.web_harness import database  # noqa: E402
from benchmarks.web_harness import get  # noqa: E402
from benchmarks.web_harness import insert_rows  # noqa: E402
from benchmarks.web_harness import print_statements  # noqa: E402
from benchmarks.web_harness import profile  # noqa: E402
from benchmarks.web_harness import report  # noqa: E402
from benchmarks.web_harness import statements_of  # noqa: E402
from benchmarks.web_harness import time_pages  # noqa: E402

PASSWORD = "bench password, not secret"  # noqa: S105
VIEWER_EMAIL = "coordinator@bench.example"
ERNS = (
    "EuroBloodNet", "VASCERN", "ERN-RND", "ERKNet", "ERN-EYE", "ITHACA", "ERN-LUNG", "Endo-ERN",
    "ERN-Skin", "EURACAN", "EpiCARE", "ERN-GENTURIS", "ERN-RITA", "MetabERN", "ERN-BOND", "ERN-CRANIO",
    "EURO-NMD", "eUROGEN", "GUARD-HEART", "ReCONNET", "RARE-LIVER", "ERNICA", "TRANSPLANTCHILD", "PaedCan",
)  # fmt: skip
AREA_NAMES = ("Adults", "Children", "Diagnostics", "Rare tumours", "Transition", "Genetics", "Imaging")
CENTRES = 72
CENTRES_PER_ERN = 8
EXPERTS_PER_ERN = 10
TASKS_PER_PANEL = 4
FLOOR_TASKS = 60
FLOOR_CODE = "ERN-FLOOR"
DAYS = 60
# process, task name, label, form key, role, weight (percent of all tasks)
TASKS = (
    ("panel", "fill_consultation", "Fill consultation form", "consultation", "panel_lead", 8),
    ("panel", "select_experts", "Finish panel selection", "panel_selection", "panel_lead", 7),
    ("panel", "draft_outcome", "Draft outcome", "outcome", "panel_lead", 7),
    ("panel", "sign_off_outcome", "Sign off outcome", "outcome_sign_off", "panel_lead", 4),
    ("panel", "close_panel", "Close panel", "panel_closing", "panel_lead", 4),
    ("invitation", "answer_invitation", "Answer invitation", "invitation_reply", "invitee", 25),
    ("invitation", "record_contribution", "Record contribution", "contribution", "panel_member", 10),
    ("data_request", "provide_additional_data", "Provide additional data", "additional_data", "clinician", 15),
    ("enrolment", "enrol_patient", "Enrol patient", "enrolment", "clinician", 20),
)
PHASES = ("creation", "selection", "assessment", "review", "signed")
WORDS = ("blue", "red", "amber", "quiet", "swift", "grey", "heron", "otter", "lynx", "falcon", "birch", "cedar", "maple", "willow")
FIRST_NAMES = ("Anna", "Jan", "Marie", "Luca", "Sofia", "Pieter", "Eva", "Tomas", "Ines", "Karl", "Lea", "Mateo", "Nora", "Otto")
LAST_NAMES = ("Peeters", "Novak", "Rossi", "Garcia", "Muller", "Jansen", "Dubois", "Kowalski", "Silva", "Nielsen", "Horvat", "Berg")
COUNTRIES = ("BE", "CZ", "DE", "FR", "IT", "NL", "PL", "ES", "SE", "AT", "DK", "PT")


# --------------------------------------------------------------------------------------------
# The app and its database
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Seeding: bulk Core inserts with explicit ids
# --------------------------------------------------------------------------------------------


@dataclass
class World:
    """What the seeding made and the benchmark needs."""

    erns: dict[int, str] = field(default_factory=dict)  # id -> code
    areas: dict[int, list[int]] = field(default_factory=dict)  # ERN id -> thematic area ids
    centres: dict[int, str] = field(default_factory=dict)  # id -> code
    ern_centres: dict[int, list[int]] = field(default_factory=dict)  # ERN id -> centre ids
    experts: dict[int, list[int]] = field(default_factory=dict)  # ERN id -> member expert ids
    panels: dict[int, list[tuple[int, int, int]]] = field(default_factory=lambda: defaultdict(list))  # ERN id -> (panel, centre, area ids)
    definitions: dict[str, int] = field(default_factory=dict)  # process id -> definition id
    viewer_id: int = 0
    viewer_ern: int = 0
    floor_ern: int = 0  # with --floor: a 25th ERN with FLOOR_TASKS open tasks, also coordinated by the viewer
    tasks: int = 0
    panel_count: int = 0
    next_id: dict[str, int] = field(default_factory=lambda: defaultdict(lambda: 1))
    cpms: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))  # (centre, ERN) -> last sequence

    def ids(self, table: str, count: int) -> range:
        first = self.next_id[table]
        self.next_id[table] = first + count
        return range(first, first + count)


def _user(user_id: int, email: str, first: str, last: str, password_hash: str, now: datetime) -> dict[str, Any]:
    return {
        "id": user_id,
        "email": email,
        "first_name": first,
        "last_name": last,
        "specialisation": "Haematologist",
        "password_hash": password_hash,
        "active": True,
        "is_admin": False,
        "timezone": "",
        "totp_secret": None,
        "totp_last_step": None,
        "training_account": True,
        "expires_at": None,
        "created_at": now - timedelta(days=400),
    }


def seed_base(connection: Connection, rng: random.Random, now: datetime, *, floor: bool) -> World:
    """24 ERNs with areas and centres, their member experts, the coordinator (viewer) and the definitions' ids;
    with ``floor``, a 25th ERN alike that the viewer coordinates too (its tasks are seeded once, by seed)."""
    from app.accounts.models import Membership
    from app.accounts.models import Role
    from app.accounts.models import User
    from app.accounts.passwords import hash_password
    from app.organisations.models import Centre
    from app.organisations.models import Ern
    from app.organisations.models import ThematicArea
    from app.organisations.models import centre_erns
    from app.workflows.models import ProcessDefinition

    world = World()
    password_hash = hash_password(PASSWORD)
    for number, centre_id in enumerate(world.ids("centres", CENTRES)):
        country = COUNTRIES[number % len(COUNTRIES)]
        world.centres[centre_id] = f"{country}{number + 10:02d}"
    centre_ids = list(world.centres)
    erns, areas, links = [], [], []
    codes = (*ERNS, FLOOR_CODE) if floor else ERNS
    for code, ern_id in zip(codes, world.ids("erns", len(codes)), strict=True):
        erns.append({"id": ern_id, "code": code, "name": f"{code} network"})
        world.erns[ern_id] = code
        names = rng.sample(AREA_NAMES, rng.randint(3, 5))
        world.areas[ern_id] = list(world.ids("thematic_areas", len(names)))
        areas += [{"id": a, "ern_id": ern_id, "name": n} for a, n in zip(world.areas[ern_id], names, strict=True)]
        world.ern_centres[ern_id] = sorted(rng.sample(centre_ids, CENTRES_PER_ERN))
        links += [{"centre_id": c, "ern_id": ern_id} for c in world.ern_centres[ern_id]]
    centres = [
        {"id": c, "code": code, "name": f"University Hospital {code}", "country": code[:2], "is_guest": False}
        for c, code in world.centres.items()
    ]
    users, memberships = [], []
    for ern_id in world.erns:
        world.experts[ern_id] = list(world.ids("users", EXPERTS_PER_ERN))
        for number, user_id in enumerate(world.experts[ern_id]):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            users.append(_user(user_id, f"expert{user_id}@bench.example", first, last, password_hash, now))
            centre_id = world.ern_centres[ern_id][number % CENTRES_PER_ERN]
            memberships.append({"user_id": user_id, "ern_id": ern_id, "centre_id": centre_id, "role": Role.MEMBER_EXPERT})
    world.viewer_ern = next(iter(world.erns))
    (world.viewer_id,) = world.ids("users", 1)
    users.append(_user(world.viewer_id, VIEWER_EMAIL, "Cora", "Coordinator", password_hash, now))
    memberships.append({"user_id": world.viewer_id, "ern_id": world.viewer_ern, "centre_id": None, "role": Role.COORDINATOR})
    if floor:
        world.floor_ern = world.erns.popitem()[0]  # kept apart: the main tasks go to the 24 ERNs only
        memberships.append({"user_id": world.viewer_id, "ern_id": world.floor_ern, "centre_id": None, "role": Role.COORDINATOR})
    for row, membership_id in zip(memberships, world.ids("memberships", len(memberships)), strict=True):
        row["id"] = membership_id
    insert_rows(connection, Ern, erns)
    insert_rows(connection, ThematicArea, areas)
    insert_rows(connection, Centre, centres)
    insert_rows(connection, centre_erns, links)
    insert_rows(connection, User, users)
    insert_rows(connection, Membership, memberships)
    rows = connection.execute(
        select(ProcessDefinition.process_id, func.max(ProcessDefinition.id))
        .where(ProcessDefinition.ern_id.is_(None))
        .group_by(ProcessDefinition.process_id)
    )
    world.definitions = {process_id: definition_id for process_id, definition_id in rows}
    missing = {process for process, *_ in TASKS} - set(world.definitions)
    if missing:
        raise SystemExit(f"no deployed definition for {sorted(missing)}")
    return world


def seed_panels(connection: Connection, world: World, rng: random.Random, now: datetime, ern_ids: list[int], per_ern: int) -> None:
    """``per_ern`` panels in each of these ERNs, each on its own patient, at one of the ERN's centres."""
    from app.panels.models import Panel
    from app.panels.models import Phase
    from app.patients.models import Patient
    from app.patients.models import fold

    patients, panels = [], []
    for ern_id in ern_ids:
        for panel_id, patient_id in zip(world.ids("panels", per_ern), world.ids("patients", per_ern), strict=True):
            centre_id = rng.choice(world.ern_centres[ern_id])
            lead = rng.choice(world.experts[ern_id])
            created = now - timedelta(days=DAYS + 30) * rng.random()
            world.cpms[(centre_id, ern_id)] += 1
            sequence = world.cpms[(centre_id, ern_id)]
            cpms_id = f"ERN-{world.centres[centre_id]}-{ern_id}-{sequence:03d}"
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            enrolled = (created - timedelta(days=rng.randint(1, 300))).date()
            patients.append(
                {
                    "id": patient_id,
                    "centre_id": centre_id,
                    "ern_id": ern_id,
                    "cpms_id": cpms_id,
                    "sequence": sequence,
                    "first_name": first,
                    "last_name": last,
                    "gender": rng.choice(("female", "male")),
                    "date_of_birth": date(1940, 1, 1) + timedelta(days=rng.randint(0, 30000)),
                    "record_label": f"MRN {patient_id:07d}",
                    "enrolled_on": enrolled,
                    "consent_care": True,
                    "consent_care_date": enrolled,
                    "consent_registry": False,
                    "consent_registry_date": None,
                    "registry_name": "",
                    "consent_research": False,
                    "consent_research_date": None,
                    "frozen": False,
                    "search_text": fold(f"{first} {last} {cpms_id}"),
                    "enrolled_by_id": lead,
                    "created_at": datetime.combine(enrolled, datetime.min.time(), UTC),
                }
            )
            phase = Phase(rng.choice(PHASES))
            area_id = rng.choice(world.areas[ern_id])
            nickname = f"{rng.choice(WORDS)} {rng.choice(WORDS)}"
            submitted = phase != Phase.CREATION
            panels.append(
                {
                    "id": panel_id,
                    "patient_id": patient_id,
                    "ern_id": ern_id,
                    "centre_id": centre_id,
                    "thematic_area_id": area_id,
                    "lead_id": lead,
                    "created_by_id": lead,
                    "created_at": created,
                    "updated_at": created,
                    "phase": phase,
                    "nickname": nickname,
                    "urgent": rng.random() < 0.1,
                    "consultation": {"nickname": nickname, "urgent": "no", "repeat_panel": "no"} if submitted else {},
                    "consultation_submitted_at": created + timedelta(hours=1) if submitted else None,
                    "closing_reason": None,
                    "closing_note": "",
                    "closed_at": None,
                    "archived": False,
                    "released_at": None,
                    "previous_panel_id": None,
                    "instance_id": None,
                }
            )
            world.panels[ern_id].append((panel_id, centre_id, area_id))
    insert_rows(connection, Patient, patients)
    insert_rows(connection, Panel, panels)
    world.panel_count += len(panels)


def seed_tasks(connection: Connection, world: World, rng: random.Random, now: datetime, count: int, ern_ids: list[int]) -> None:
    """``count`` open tasks, round-robin over these ERNs, each with its own process instance."""
    from app.tasks.models import OpenTask
    from app.workflows.models import ProcessInstance

    seed_panels(connection, world, rng, now, ern_ids, max(1, count // len(ern_ids) // TASKS_PER_PANEL))
    kinds = list(TASKS)
    weights = [kind[-1] for kind in kinds]
    instances, tasks = [], []
    task_ids, instance_ids = world.ids("open_tasks", count), world.ids("process_instances", count)
    for number, (task_id, instance_id) in enumerate(zip(task_ids, instance_ids, strict=True)):
        ern_id = ern_ids[number % len(ern_ids)]
        process, name, label, form_key, role, _ = rng.choices(kinds, weights)[0]
        if process == "enrolment":
            subject_type, subject_id, centre_id, area_id = "enrolment", None, rng.choice(world.ern_centres[ern_id]), None
        else:
            subject_id, centre_id, area_id = rng.choice(world.panels[ern_id])
            subject_type = "panel"
        created = now - timedelta(days=DAYS) * rng.random()
        assignee = None
        if process == "invitation" or rng.random() < 0.2:
            assignee = rng.choice(world.experts[ern_id])
        due = None
        if name == "answer_invitation":
            due = created + timedelta(days=rng.choice((7, 14, 30)))
        elif process == "data_request":
            due = created + timedelta(days=21)
        sla = created + timedelta(days=rng.choice((3, 7, 14, 30))) if due is None and rng.random() < 0.4 else None
        deadline = due or sla
        instances.append(
            {
                "id": instance_id,
                "definition_id": world.definitions[process],
                "process_id": process,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "ern_id": ern_id,
                "centre_id": centre_id,
                "state": "{}",
                "status": "running",
                "failure": "",
                "next_timer_at": due,
                "started_by_id": world.experts[ern_id][0],
                "assignee_id": assignee if process == "invitation" else None,
                "created_at": created,
                "updated_at": created,
                "version_id": 1,
            }
        )
        tasks.append(
            {
                "id": task_id,
                "instance_id": instance_id,
                "engine_task_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "process_id": process,
                "name": name,
                "label": label,
                "form_key": form_key,
                "role": role,
                "ern_id": ern_id,
                "centre_id": centre_id,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "thematic_area_id": area_id,
                "assignee_id": assignee,
                "created_at": created,
                "due_at": due,
                "sla_due_at": sla,
                "escalated_at": deadline + timedelta(hours=1) if deadline and deadline + timedelta(hours=1) < now else None,
            }
        )
    insert_rows(connection, ProcessInstance, instances)
    insert_rows(connection, OpenTask, tasks)
    if world.floor_ern not in ern_ids:
        world.tasks += count


def finish_seeding(connection: Connection, world: World, indexes: list[str], analyze: bool) -> None:
    """CPMS counters as the enrolments would have left them; any index to try; PostgreSQL sequences
    past the explicit ids; planner statistics on SQLite only when asked, as the app never runs ANALYZE
    (PostgreSQL's: see ``seed``)."""
    from app.patients.models import CpmsCounter

    connection.execute(CpmsCounter.__table__.delete())
    rows = [{"centre_id": c, "ern_id": e, "last_sequence": n} for (c, e), n in world.cpms.items()]
    insert_rows(connection, CpmsCounter, rows)
    for statement in indexes:
        connection.execute(text(statement.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)))
    if connection.dialect.name == "postgresql":
        for table in world.next_id:
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    if analyze and connection.dialect.name == "sqlite":
        connection.execute(text("ANALYZE"))


def seed(
    app: Flask, world: World | None, rng: random.Random, now: datetime, count: int, indexes: list[str], analyze: bool, floor: bool = False
) -> tuple[World, float]:
    from app.database import db

    start = time.perf_counter()
    with app.app_context(), db.engine.begin() as connection:
        if world is None:
            world = seed_base(connection, rng, now, floor=floor)
            if floor:
                seed_tasks(connection, world, rng, now, FLOOR_TASKS, [world.floor_ern])
        seed_tasks(connection, world, rng, now, count, list(world.erns))
        finish_seeding(connection, world, indexes, analyze)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            # As autovacuum soon would after such a load: planner statistics, and the visibility map that lets
            # index-only scans skip the table.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
    return world, time.perf_counter() - start


# --------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------


def log_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": VIEWER_EMAIL, "password": PASSWORD})
    if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
        raise SystemExit(f"the coordinator could not sign in: {response.status_code} {response.headers.get('Location')}")
    return client


def queue_pages(world: World) -> dict[str, str]:
    """The trivial route, the viewer's ERN queue and each of its filters, sorts and a later page."""
    ern_id = world.viewer_ern
    base = f"/erns/{world.erns[ern_id]}/queue"
    return {
        "trivial": "/_bench/trivial",
        "queue": base,
        "process": f"{base}?process=invitation",
        "task": f"{base}?task=answer_invitation",
        "centre": f"{base}?centre={world.ern_centres[ern_id][0]}",
        "area": f"{base}?area={world.areas[ern_id][0]}",
        "overdue": f"{base}?overdue=1",
        "unassigned": f"{base}?unassigned=1",
        "sort_age": f"{base}?sort=age",
        "page_5": f"{base}?page=5",
    } | ({"floor": f"/erns/{FLOOR_CODE}/queue"} if world.floor_ern else {})


def describe(app: Flask, world: World, now: datetime, ern_id: int, code: str) -> str:
    """How many of the ERN's tasks some filters keep."""
    from app.database import db
    from app.tasks.models import DUE
    from app.tasks.models import OpenTask

    with app.app_context():
        scope = select(func.count()).select_from(OpenTask).where(OpenTask.ern_id == ern_id)
        total = db.session.scalar(scope)
        overdue = db.session.scalar(scope.where(DUE < now))
        unassigned = db.session.scalar(scope.where(OpenTask.assignee_id.is_(None)))
        db.session.remove()
    return f"{code}: {total:,} open tasks, {overdue:,} overdue, {unassigned:,} unassigned"


# --------------------------------------------------------------------------------------------


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument(
        "--database-url", default="", help="postgresql+psycopg://user@host:port/NAME: a database the run creates and drops"
    )
    arguments.add_argument("--tasks", type=int, default=50_000, help="open tasks in the timed dataset (over 24 ERNs)")
    arguments.add_argument("--small", type=int, default=10_000, help="open tasks at which queries are counted (and timed) first")
    arguments.add_argument("--rounds", type=int, default=60, help="timed requests per page at the full size")
    arguments.add_argument("--small-rounds", type=int, default=20, help="timed requests per page at the small size")
    arguments.add_argument("--warm-up", type=int, default=5, help="untimed requests per page before timing")
    arguments.add_argument("--sql", action="store_true", help="print the statements of one request of each page")
    arguments.add_argument("--explain", action="store_true", help="print the plan of every SELECT of each page")
    arguments.add_argument("--profile", metavar="PAGE", default="", help="cProfile 50 requests of this page (e.g. queue)")
    arguments.add_argument("--index", action="append", default=[], metavar="SQL", help="CREATE INDEX to try on the bench database")
    arguments.add_argument("--analyze", action="store_true", help="run ANALYZE on SQLite too (always run on PostgreSQL)")
    arguments.add_argument(
        "--floor",
        action="store_true",
        help=f"add a 25th ERN with {FLOOR_TASKS} open tasks: the queue page's cost when its queries cost nothing",
    )
    arguments.add_argument("--seed", type=int, default=20261123)
    options = arguments.parse_args()
    if not len(ERNS) * TASKS_PER_PANEL * 5 <= options.small <= options.tasks:
        raise SystemExit(f"need {len(ERNS) * TASKS_PER_PANEL * 5} <= --small <= --tasks")
    started = time.perf_counter()
    rng = random.Random(options.seed)
    now = datetime.now(UTC)
    with database(options.database_url, "queue") as url, tempfile.TemporaryDirectory(prefix="consilium-queue-bench-storage-") as storage:
        app = build_app(url, storage)
        add_trivial_route(app)
        print(
            f"database: {make_url(url).get_backend_name()}; app migrated and definitions deployed in {time.perf_counter() - started:.1f} s"
        )

        world, small_seconds = seed(app, None, rng, now, options.small, options.index, options.analyze, options.floor)
        print(
            f"seeded {len(world.erns)} ERNs, {len(world.centres)} centres, {world.tasks:,} open tasks and instances, "
            f"{world.panel_count:,} panels in {small_seconds:.1f} s"
        )
        print(f"  {describe(app, world, now, world.viewer_ern, world.erns[world.viewer_ern])}")
        if world.floor_ern:
            print(f"  {describe(app, world, now, world.floor_ern, FLOOR_CODE)} (--floor: the viewer coordinates it too)")
        client = log_in(app)
        pages = queue_pages(world)
        for _ in range(options.warm_up):
            for page in pages.values():
                get(client, page)
        small_counts = count_queries(app, client, pages)
        small_times = time_pages(client, pages, options.small_rounds) if options.small_rounds else {}

        world, large_seconds = seed(app, world, rng, now, options.tasks - options.small, options.index, options.analyze)
        print(
            f"seeded {options.tasks - options.small:,} more open tasks: {world.tasks:,} open tasks and instances, "
            f"{world.panel_count:,} panels in {large_seconds:.1f} s (seeding total {small_seconds + large_seconds:.1f} s)"
        )
        print(f"  {describe(app, world, now, world.viewer_ern, world.erns[world.viewer_ern])}")
        for _ in range(options.warm_up):
            for page in pages.values():
                get(client, page)
        timing_started = time.perf_counter()
        times = time_pages(client, pages, options.rounds)
        timing_seconds = time.perf_counter() - timing_started
        counts = count_queries(app, client, pages)
        split = breakdown(app, client, pages)

        if small_times:
            print(f"\nat {options.small:,} open tasks ({options.small_rounds} requests per page):")
            report(small_times, small_counts, width=12)
        print(f"\nat {options.tasks:,} open tasks ({options.rounds} requests per page, interleaved, {timing_seconds:.1f} s):")
        report(times, counts, width=12)
        print(f"\nwhere the time goes at {options.tasks:,} open tasks (medians of a separate pass, ms per request):")
        for name, (total, sql, render, sql_in_render) in split.items():
            print(
                f"  {name:<12} total={total * 1000:6.2f}  database={sql * 1000:6.2f}  "
                f"templates={render * 1000:6.2f} (of which database {sql_in_render * 1000:5.2f})  "
                f"other={(total - sql - render + sql_in_render) * 1000:6.2f}"
            )
        print("\nqueries per request by dataset size:")
        for name in pages:
            small, large = max(small_counts[name]), max(counts[name])
            verdict = "constant" if small == large and min(small_counts[name]) == min(counts[name]) else "GROWS with the number of tasks"
            print(f"  {name:<12} {options.small:,} tasks: {small:>3}   {options.tasks:,} tasks: {large:>3}   {verdict}")

        if options.sql or options.explain:
            for name, page in pages.items():
                statements = statements_of(app, client, page)
                total = sum(statement.seconds for statement in statements) * 1000
                print(f"\n{name} ({page}): {len(statements)} statements, {total:.2f}ms in the driver")
                print_statements(app, statements, plans=options.explain)
        if options.profile:
            profile(client, pages[options.profile], 50)
        with app.app_context():
            from app.database import db

            db.session.remove()
            db.engine.dispose()
    print(f"\ntotal run time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
