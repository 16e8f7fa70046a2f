"""Panel pages benchmark: server time and SQL statements per request at 10,000 panels.

A fresh app on its own database (a SQLite file in a temp dir by default; PostgreSQL with
``--database-url``, a database this run creates and drops), migrated and with the shipped process
definitions deployed, is seeded with bulk Core inserts (not through the services):
2 ERNs with thematic areas, 20 centres in both, 200 member experts (training accounts) with
thematic areas, one patient (with a CPMS ID) per panel, panels spread over phases, ERNs, centres
and areas, each with a lead and 3-5 members (accepted or invited) and 20 timeline entries over the
last 60 days; plus one viewer, a member expert at one centre who leads 25 panels and is a member of
25 more. The viewer signs in through the login form and a Flask test client then requests:

- ``trivial``: a login-required route returning a short string, registered by this benchmark: the
  framework's floor (session cookie, user loader, before/after-request hooks);
- ``dashboard``: ``GET /``;
- ``panel_list``: ``GET /panels/?ern=<code>``, the ERN's panel list (first page, by last activity);
- ``panel_page``: ``GET /panels/<id>``, a panel the viewer leads, with 20 timeline entries (it also
  writes the ``panel.viewed`` audit entry, as every view does).

Warm-up requests first; then ``--rounds`` rounds, each requesting every page once, round-robin (the
starting page rotates), so that the machine's momentary load falls on all pages alike. The time is
the server time as the test client sees it (no network, no browser). SQL statements are counted per
request by a ``before_cursor_execute`` listener on the engine (SQLite's BEGIN is sent to the driver
directly and is not counted), at ``--small`` panels and again at ``--panels`` panels: a count that
grows with the number of panels is an N+1.

Each page's line ends in ``ratio=N.NN``: its median time over the trivial route's median time. A
separate, untimed pass then splits each page's time into the database driver, template rendering
(lazy loads included) and the rest (ORM, Flask, the route's own code).

To find why a page is slow: ``--sql`` lists each page's statements with their driver time,
``--explain`` adds the plan of every SELECT (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL),
``--profile PAGE`` runs cProfile over 50 requests, ``--index "CREATE INDEX ..."`` (repeatable) tries
an index on the bench's own database and ``--analyze`` gives SQLite planner statistics.

Seeding uses explicit ids; executemany on SQLite, COPY on PostgreSQL (then the sequences are moved
past the ids and ANALYZE runs, as autovacuum soon would after such a load).

Run from the repository root:  python benchmarks/panel_bench.py [--rounds 200] [--sql] [--explain]
    on PostgreSQL:  python benchmarks/panel_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/consilium_bench
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

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
VIEWER_EMAIL = "viewer@bench.example"
ERNS = {
    "EuroBloodNet": ("Amyloidosis", "Rare lymphomas", "Bone marrow failure", "Haemoglobinopathies"),
    "VASCERN": ("MSA-WG", "HHT", "PPL"),
}
CENTRES = 20
USERS = 200
ENTRIES_PER_PANEL = 20
VIEWER_LEADS = 25
VIEWER_MEMBER_OF = 25
DAYS = 60
PHASES = (("creation", 5), ("selection", 15), ("assessment", 35), ("review", 10), ("signed", 10), ("closed", 25))
TIMELINE_KINDS = ("comment", "invited", "accepted", "contribution", "data_request", "phase")
WORDS = ("blue", "red", "amber", "quiet", "swift", "grey", "heron", "otter", "lynx", "falcon", "birch", "cedar", "maple", "willow")
FIRST_NAMES = ("Anna", "Jan", "Marie", "Luca", "Sofia", "Pieter", "Eva", "Tomas", "Ines", "Karl", "Lea", "Mateo", "Nora", "Otto")
LAST_NAMES = ("Peeters", "Novak", "Rossi", "Garcia", "Muller", "Jansen", "Dubois", "Kowalski", "Silva", "Nielsen", "Horvat", "Berg")


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
    users_at: dict[int, list[int]] = field(default_factory=dict)  # centre id -> user ids
    viewer_id: int = 0
    viewer_ern: int = 0
    viewer_centre: int = 0
    page_panel_id: int = 0
    panels: int = 0
    entries: int = 0
    next_id: dict[str, int] = field(default_factory=lambda: defaultdict(lambda: 1))
    cpms: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))  # (centre, ERN) -> last sequence

    def ids(self, table: str, count: int) -> range:
        first = self.next_id[table]
        self.next_id[table] = first + count
        return range(first, first + count)


def seed_base(connection: Connection, rng: random.Random, now: datetime) -> World:
    """ERNs, areas, centres, 200 member experts and the viewer."""
    from app.accounts.models import Membership
    from app.accounts.models import Role
    from app.accounts.models import User
    from app.accounts.models import user_thematic_areas
    from app.accounts.passwords import hash_password
    from app.organisations.models import Centre
    from app.organisations.models import Ern
    from app.organisations.models import ThematicArea
    from app.organisations.models import centre_erns

    world = World()
    password_hash = hash_password(PASSWORD)
    erns, areas = [], []
    for ern_id, (code, names) in zip(world.ids("erns", len(ERNS)), ERNS.items(), strict=True):
        erns.append({"id": ern_id, "code": code, "name": f"{code} network"})
        world.erns[ern_id] = code
        world.areas[ern_id] = list(world.ids("thematic_areas", len(names)))
        areas += [{"id": a, "ern_id": ern_id, "name": n} for a, n in zip(world.areas[ern_id], names, strict=True)]
    centres = []
    for number, centre_id in enumerate(world.ids("centres", CENTRES)):
        country = ("BE", "CZ", "DE", "FR", "IT", "NL", "PL", "ES", "SE", "AT")[number % 10]
        code = f"{country}{number + 10:02d}"
        centres.append({"id": centre_id, "code": code, "name": f"University Hospital {code}", "country": country, "is_guest": False})
        world.centres[centre_id] = code
    users, memberships, user_areas = [], [], []
    all_areas = [a for ids in world.areas.values() for a in ids]
    centre_ids = list(world.centres)
    for number, user_id in enumerate(world.ids("users", USERS + 1)):
        viewer = number == USERS
        centre_id = centre_ids[0] if viewer else centre_ids[number % CENTRES]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        users.append(
            {
                "id": user_id,
                "email": VIEWER_EMAIL if viewer else f"expert{number}@bench.example",
                "first_name": "Vera" if viewer else first,
                "last_name": "Viewer" if viewer else last,
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
        )
        ern_ids = [next(iter(world.erns))] if viewer else list(world.erns)
        for ern_id in ern_ids:
            memberships.append({"user_id": user_id, "ern_id": ern_id, "centre_id": centre_id, "role": Role.MEMBER_EXPERT})
        chosen = world.areas[ern_ids[0]][:2] if viewer else rng.sample(all_areas, 3)
        user_areas += [{"user_id": user_id, "thematic_area_id": a} for a in chosen]
        if viewer:
            world.viewer_id, world.viewer_ern, world.viewer_centre = user_id, ern_ids[0], centre_id
        else:
            world.users_at.setdefault(centre_id, []).append(user_id)
    for row, membership_id in zip(memberships, world.ids("memberships", len(memberships)), strict=True):
        row["id"] = membership_id
    insert_rows(connection, Ern, erns)
    insert_rows(connection, ThematicArea, areas)
    insert_rows(connection, Centre, centres)
    insert_rows(connection, centre_erns, [{"centre_id": c, "ern_id": e} for c in world.centres for e in world.erns])
    insert_rows(connection, User, users)
    insert_rows(connection, Membership, memberships)
    insert_rows(connection, user_thematic_areas, user_areas)
    return world


def seed_panels(connection: Connection, world: World, rng: random.Random, now: datetime, count: int, *, with_viewer: bool) -> None:
    """``count`` panels, each on its own patient, with 3-5 members and ENTRIES_PER_PANEL timeline
    entries; with ``with_viewer``, the viewer leads VIEWER_LEADS of them and is a member of VIEWER_MEMBER_OF."""
    from app.panels.models import ClosingReason
    from app.panels.models import InvitationStatus
    from app.panels.models import Panel
    from app.panels.models import PanelMember
    from app.panels.models import Phase
    from app.panels.models import TimelineEntry
    from app.patients.models import Patient
    from app.patients.models import fold

    panel_ids = world.ids("panels", count)
    patient_ids = world.ids("patients", count)
    phases = [Phase(name) for name, _ in PHASES]
    weights = [weight for _, weight in PHASES]
    viewer_ern, centre_ids = world.viewer_ern, list(world.centres)
    led: set[int] = set()
    member_of: set[int] = set()
    if with_viewer:
        picked = rng.sample(range(count), VIEWER_LEADS + VIEWER_MEMBER_OF)
        led, member_of = set(picked[:VIEWER_LEADS]), set(picked[VIEWER_LEADS:])
    patients, panels, members, entries = [], [], [], []
    for index, (panel_id, patient_id) in enumerate(zip(panel_ids, patient_ids, strict=True)):
        page_panel = with_viewer and index == min(led)
        ern_id = viewer_ern if index in led or index in member_of else rng.choice(list(world.erns))
        centre_id = world.viewer_centre if index in led else rng.choice(centre_ids)
        if index in member_of and centre_id == world.viewer_centre:
            centre_id = centre_ids[1]
        phase = Phase.ASSESSMENT if page_panel else rng.choices(phases, weights)[0]
        created = now - timedelta(seconds=rng.uniform(60, DAYS * 86400))
        closed = phase == Phase.CLOSED
        end = created + (now - created) * rng.uniform(0.2, 1.0) if closed else now
        colleagues = world.users_at[centre_id]
        lead = world.viewer_id if index in led else rng.choice(colleagues)
        # Member experts from anywhere in the ERN (every user is one in both ERNs), the lead first.
        others = rng.sample([u for users in world.users_at.values() for u in users if u != lead], rng.randint(2, 4))
        if index in member_of:
            others[0] = world.viewer_id
        world.cpms[(centre_id, ern_id)] += 1
        sequence = world.cpms[(centre_id, ern_id)]
        cpms_id = f"ERN-{world.centres[centre_id]}-{world.erns[ern_id]}-{sequence:03d}"
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
        times = sorted(created + (end - created) * rng.random() for _ in range(ENTRIES_PER_PANEL - 1))
        nickname = f"{rng.choice(WORDS)} {rng.choice(WORDS)}"
        submitted = phase != Phase.CREATION
        panels.append(
            {
                "id": panel_id,
                "patient_id": patient_id,
                "ern_id": ern_id,
                "centre_id": centre_id,
                "thematic_area_id": rng.choice(world.areas[ern_id]),
                "lead_id": lead,
                "created_by_id": lead,
                "created_at": created,
                "updated_at": times[-1] if times else created,
                "phase": phase,
                "nickname": nickname,
                "urgent": rng.random() < 0.1,
                "consultation": (
                    {"nickname": nickname, "urgent": "no", "repeat_panel": "no", "request_description": "Which treatment next?"}
                    if submitted
                    else {}
                ),
                "consultation_submitted_at": created + timedelta(hours=1) if submitted else None,
                "closing_reason": ClosingReason.ADVICE_GIVEN if closed else None,
                "closing_note": "",
                "closed_at": end if closed else None,
                "archived": closed and rng.random() < 0.3,
                "released_at": None,
                "previous_panel_id": None,
                "instance_id": None,
            }
        )
        team = [lead, *others]
        for position, user_id in enumerate(team):
            accepted = position == 0 or (user_id == world.viewer_id and rng.random() < 0.6) or rng.random() < 0.7
            invited_at = created + timedelta(hours=2)
            members.append(
                {
                    "panel_id": panel_id,
                    "user_id": user_id,
                    "status": InvitationStatus.ACCEPTED if accepted else InvitationStatus.INVITED,
                    "invited_at": created if position == 0 else invited_at,
                    "invited_by_id": None if position == 0 else lead,
                    "answered_at": (created if position == 0 else invited_at + timedelta(hours=5)) if accepted else None,
                    "answered_by_id": user_id if accepted else None,
                    "reason": "",
                    "reminded_at": None,
                    "instance_id": None,
                }
            )
        entries.append({"panel_id": panel_id, "kind": "created", "actor_id": lead, "text": "Panel opened.", "at": created})
        for at in times:
            kind = rng.choice(TIMELINE_KINDS)
            entries.append(
                {
                    "panel_id": panel_id,
                    "kind": kind,
                    "actor_id": rng.choice(team),
                    "text": f"{kind.replace('_', ' ').capitalize()}.",
                    "at": at,
                }
            )
        if page_panel:
            world.page_panel_id = panel_id
    for row, member_id in zip(members, world.ids("panel_members", len(members)), strict=True):
        row["id"] = member_id
    for row, entry_id in zip(entries, world.ids("timeline_entries", len(entries)), strict=True):
        row["id"] = entry_id
    insert_rows(connection, Patient, patients)
    insert_rows(connection, Panel, panels)
    insert_rows(connection, PanelMember, members)
    insert_rows(connection, TimelineEntry, entries)
    world.panels += count
    world.entries += len(entries)


def finish_seeding(connection: Connection, world: World, indexes: list[str], analyze: bool) -> None:
    """CPMS counters as the enrolments would have left them; any index to try; PostgreSQL sequences
    past the explicit ids, and fresh planner statistics (autovacuum would gather them soon after such
    a load; SQLite only has them when asked, as the app never runs ANALYZE)."""
    from app.patients.models import CpmsCounter

    connection.execute(CpmsCounter.__table__.delete())
    rows = [{"centre_id": c, "ern_id": e, "last_sequence": n} for (c, e), n in world.cpms.items()]
    insert_rows(connection, CpmsCounter, rows)
    for statement in indexes:
        connection.execute(text(statement.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)))
    if connection.dialect.name == "postgresql":
        for table in world.next_id:
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    if analyze or connection.dialect.name == "postgresql":
        connection.execute(text("ANALYZE"))


def seed(
    app: Flask, world: World | None, rng: random.Random, now: datetime, count: int, indexes: list[str], analyze: bool
) -> tuple[World, float]:
    from app.database import db

    start = time.perf_counter()
    with app.app_context(), db.engine.begin() as connection:
        if world is None:
            world = seed_base(connection, rng, now)
            seed_panels(connection, world, rng, now, count, with_viewer=True)
        else:
            seed_panels(connection, world, rng, now, count, with_viewer=False)
        finish_seeding(connection, world, indexes, analyze)
    return world, time.perf_counter() - start


# --------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------


def log_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": VIEWER_EMAIL, "password": PASSWORD})
    if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
        raise SystemExit(f"the viewer could not sign in: {response.status_code} {response.headers.get('Location')}")
    return client


# --------------------------------------------------------------------------------------------


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument(
        "--database-url", default="", help="postgresql+psycopg://user@host:port/NAME: a database the run creates and drops"
    )
    arguments.add_argument("--panels", type=int, default=10_000, help="panels in the timed dataset (20 timeline entries each)")
    arguments.add_argument("--small", type=int, default=2_000, help="panels at which queries are counted (and timed) first")
    arguments.add_argument("--rounds", type=int, default=200, help="timed requests per page at the full size")
    arguments.add_argument("--small-rounds", type=int, default=50, help="timed requests per page at the small size")
    arguments.add_argument("--warm-up", type=int, default=10, help="untimed requests per page before timing")
    arguments.add_argument("--sql", action="store_true", help="print the statements of one request of each page")
    arguments.add_argument("--explain", action="store_true", help="print the plan of every SELECT of each page")
    arguments.add_argument("--profile", metavar="PAGE", default="", help="cProfile 50 requests of this page (e.g. panel_list)")
    arguments.add_argument("--index", action="append", default=[], metavar="SQL", help="CREATE INDEX to try on the bench database")
    arguments.add_argument("--analyze", action="store_true", help="run ANALYZE on SQLite too (always run on PostgreSQL)")
    arguments.add_argument("--seed", type=int, default=20261122)
    options = arguments.parse_args()
    if not 0 < options.small <= options.panels or options.small < VIEWER_LEADS + VIEWER_MEMBER_OF:
        raise SystemExit("need 50 <= --small <= --panels")
    started = time.perf_counter()
    rng = random.Random(options.seed)
    now = datetime.now(UTC)
    with database(options.database_url, "panel") as url, tempfile.TemporaryDirectory(prefix="consilium-panel-bench-storage-") as storage:
        app = build_app(url, storage)
        add_trivial_route(app)
        print(
            f"database: {make_url(url).get_backend_name()}; app migrated and definitions deployed in {time.perf_counter() - started:.1f} s"
        )

        world, small_seconds = seed(app, None, rng, now, options.small, options.index, options.analyze)
        print(f"seeded {world.panels:,} panels, {world.entries:,} timeline entries in {small_seconds:.1f} s")
        client = log_in(app)
        ern_code = world.erns[world.viewer_ern]
        pages = {
            "trivial": "/_bench/trivial",
            "dashboard": "/",
            "panel_list": f"/panels/?ern={ern_code}",
            "panel_page": f"/panels/{world.page_panel_id}",
        }
        for _ in range(options.warm_up):
            for page in pages.values():
                get(client, page)
        small_counts = count_queries(app, client, pages)
        small_times = time_pages(client, pages, options.small_rounds) if options.small_rounds else {}

        world, large_seconds = seed(app, world, rng, now, options.panels - options.small, options.index, options.analyze)
        print(
            f"seeded {options.panels - options.small:,} more panels: {world.panels:,} panels, {world.entries:,} timeline entries "
            f"in {large_seconds:.1f} s (seeding total {small_seconds + large_seconds:.1f} s)"
        )
        with app.app_context():
            from app.database import db
            from app.panels.models import Panel
            from app.panels.models import TimelineEntry

            visible = db.session.scalar(select(func.count()).select_from(Panel).where(Panel.centre_id == world.viewer_centre))
            entries = db.session.scalar(
                select(func.count()).select_from(TimelineEntry).where(TimelineEntry.panel_id == world.page_panel_id)
            )
            db.session.remove()
        print(
            f"viewer: member expert at {world.centres[world.viewer_centre]} ({visible} panels there), leads {VIEWER_LEADS} panels "
            f"and is a member of {VIEWER_MEMBER_OF} more; panel page #{world.page_panel_id} with {entries} timeline entries"
        )
        for _ in range(options.warm_up):
            for page in pages.values():
                get(client, page)
        timing_started = time.perf_counter()
        times = time_pages(client, pages, options.rounds)
        timing_seconds = time.perf_counter() - timing_started
        counts = count_queries(app, client, pages)
        split = breakdown(app, client, pages)

        if small_times:
            print(f"\nat {options.small:,} panels ({options.small_rounds} requests per page):")
            report(small_times, small_counts, width=18)
        print(f"\nat {options.panels:,} panels ({options.rounds} requests per page, interleaved, {timing_seconds:.1f} s):")
        report(times, counts, width=18)
        print(f"\nwhere the time goes at {options.panels:,} panels (medians of a separate pass, ms per request):")
        for name, (total, sql, render, sql_in_render) in split.items():
            print(
                f"  {name:<16} total={total * 1000:6.2f}  database={sql * 1000:6.2f}  "
                f"templates={render * 1000:6.2f} (of which database {sql_in_render * 1000:5.2f})  "
                f"other={(total - sql - render + sql_in_render) * 1000:6.2f}"
            )
        print("\nqueries per request by dataset size:")
        for name in pages:
            small, large = max(small_counts[name]), max(counts[name])
            verdict = "constant" if small == large else "GROWS with the number of panels"
            print(f"  {name:<16} {options.small:,} panels: {small:>3}   {options.panels:,} panels: {large:>3}   {verdict}")

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
