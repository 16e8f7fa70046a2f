"""The load benchmark's world (benchmarks/load.py): 24 ERNs, each with 3 centres, 2 member experts at each centre,
patients and panels; written with bulk Core inserts on a migrated database, the shipped definitions deployed.

Run by load.py in its own process (locust patches the standard library with gevent: the app is kept out of the
process that runs it). Prints one JSON object: per user, what a simulated user of that account needs.

    python -m benchmarks.load_seed DATABASE_URL STORAGE_DIR
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.web_harness import build_app  # noqa: E402
from benchmarks.web_harness import insert_rows  # noqa: E402

PASSWORD = "bench password, not secret"  # noqa: S105
ERNS = 24
CENTRES = 12  # hospitals; each ERN has 3 of them, so most hospitals are in several ERNs
CENTRES_PER_ERN = 3
USERS_PER_CENTRE = 2  # per ERN and centre
PATIENTS_PER_CENTRE = 8  # per ERN and centre
PANELS_PER_ERN = 10
SEQUENCED = ("erns", "thematic_areas", "centres", "users", "memberships", "patients", "panels", "panel_members", "timeline_entries")
NAMES = ("Anna", "Jan", "Marie", "Luca", "Sofia", "Pieter", "Eva", "Tomas", "Ines", "Karl", "Lea", "Mateo")


def seed(database_url: str, storage: str) -> list[dict[str, Any]]:
    from app.accounts.models import Membership
    from app.accounts.models import Role
    from app.accounts.models import User
    from app.accounts.passwords import hash_password
    from app.database import db
    from app.organisations.models import Centre
    from app.organisations.models import Ern
    from app.organisations.models import ThematicArea
    from app.organisations.models import centre_erns
    from app.panels.models import InvitationStatus
    from app.panels.models import Panel
    from app.panels.models import PanelMember
    from app.panels.models import Phase
    from app.panels.models import TimelineEntry
    from app.patients.models import CpmsCounter
    from app.patients.models import Patient
    from app.patients.models import fold

    rng = random.Random(20)
    now = datetime.now(UTC)
    app = build_app(database_url, storage)
    password_hash = hash_password(PASSWORD)
    rows: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    accounts: list[dict[str, Any]] = []
    centres = [
        {"id": c, "code": f"H{c:02d}", "name": f"University Hospital {c}", "country": "BE", "is_guest": False}
        for c in range(1, CENTRES + 1)
    ]
    rows[Centre] = centres
    counter = defaultdict(int)
    for e in range(1, ERNS + 1):
        code = f"ERN{e:02d}"
        rows[Ern].append({"id": e, "code": code, "name": f"{code} network"})
        rows[ThematicArea].append({"id": e, "ern_id": e, "name": "General"})
        ern_users: list[dict[str, Any]] = []
        for k in range(CENTRES_PER_ERN):
            centre = (e + k * 5) % CENTRES + 1
            rows[centre_erns].append({"centre_id": centre, "ern_id": e})
            for _ in range(USERS_PER_CENTRE):
                user_id = len(rows[User]) + 1
                email = f"u{user_id}@load.example"
                rows[User].append(
                    {
                        "id": user_id,
                        "email": email,
                        "first_name": rng.choice(NAMES),
                        "last_name": f"Expert{user_id}",
                        "specialisation": "Haematologist",
                        "password_hash": password_hash,
                        "active": True,
                        "is_admin": False,
                        "timezone": "",
                        "totp_secret": None,
                        "totp_last_step": None,
                        "training_account": True,
                        "expires_at": None,
                        "created_at": now - timedelta(days=100),
                    }
                )
                rows[Membership].append({"id": user_id, "user_id": user_id, "ern_id": e, "centre_id": centre, "role": Role.MEMBER_EXPERT})
                account = {"id": user_id, "email": email, "ern": code, "ern_id": e, "centre_id": centre, "patients": [], "panels": []}
                ern_users.append(account)
                accounts.append(account)
            for _ in range(PATIENTS_PER_CENTRE):
                patient_id = len(rows[Patient]) + 1
                counter[(centre, e)] += 1
                cpms_id = f"ERN-H{centre:02d}-{code}-{counter[(centre, e)]:03d}"
                first, last = rng.choice(NAMES), f"Patient{patient_id}"
                enrolled = date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))
                rows[Patient].append(
                    {
                        "id": patient_id,
                        "centre_id": centre,
                        "ern_id": e,
                        "cpms_id": cpms_id,
                        "sequence": counter[(centre, e)],
                        "first_name": first,
                        "last_name": last,
                        "gender": rng.choice(("female", "male")),
                        "date_of_birth": date(1950, 1, 1) + timedelta(days=rng.randint(0, 25000)),
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
                        "enrolled_by_id": ern_users[-1]["id"],
                        "created_at": datetime.combine(enrolled, datetime.min.time(), UTC),
                    }
                )
                for account in ern_users[-USERS_PER_CENTRE:]:
                    account["patients"].append(patient_id)
        ern_patients = [p for p in rows[Patient] if p["ern_id"] == e]
        for _ in range(PANELS_PER_ERN):
            panel_id = len(rows[Panel]) + 1
            patient = rng.choice(ern_patients)
            team = rng.sample(ern_users, 3)
            lead_id = team[0]["id"]
            created = now - timedelta(days=rng.randint(1, 60))
            nickname = f"case {panel_id}"
            rows[Panel].append(
                {
                    "id": panel_id,
                    "patient_id": patient["id"],
                    "ern_id": e,
                    "centre_id": patient["centre_id"],
                    "thematic_area_id": e,
                    "lead_id": lead_id,
                    "created_by_id": lead_id,
                    "created_at": created,
                    "updated_at": created,
                    "phase": Phase.ASSESSMENT,
                    "nickname": nickname,
                    "urgent": False,
                    "consultation": {
                        "nickname": nickname,
                        "urgent": "no",
                        "repeat_panel": "no",
                        "request_description": "Which treatment next?",
                    },
                    "consultation_submitted_at": created + timedelta(hours=1),
                    "closing_reason": None,
                    "closing_note": "",
                    "closed_at": None,
                    "archived": False,
                    "released_at": None,
                    "previous_panel_id": None,
                    "instance_id": None,
                }
            )
            rows[TimelineEntry].append(
                {"id": panel_id, "panel_id": panel_id, "kind": "created", "actor_id": lead_id, "text": "Panel opened.", "at": created}
            )
            for account in team:
                user_id = account["id"]
                rows[PanelMember].append(
                    {
                        "id": len(rows[PanelMember]) + 1,
                        "panel_id": panel_id,
                        "user_id": user_id,
                        "status": InvitationStatus.ACCEPTED,
                        "invited_at": created,
                        "invited_by_id": None if user_id == lead_id else lead_id,
                        "answered_at": created,
                        "answered_by_id": user_id,
                        "reason": "",
                        "reminded_at": None,
                        "instance_id": None,
                    }
                )
                account["panels"].append(panel_id)
    rows[CpmsCounter] = [{"centre_id": c, "ern_id": e, "last_sequence": n} for (c, e), n in counter.items()]
    with app.app_context(), db.engine.begin() as connection:
        for model in (Ern, ThematicArea, Centre, centre_erns, User, Membership, Patient, CpmsCounter, Panel, PanelMember, TimelineEntry):
            insert_rows(connection, model, rows[model])
        if connection.dialect.name == "postgresql":
            for table in (
                "erns",
                "thematic_areas",
                "centres",
                "users",
                "memberships",
                "patients",
                "panels",
                "panel_members",
                "timeline_entries",
            ):
                connection.execute(db.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
            connection.execute(db.text("ANALYZE"))
    with app.app_context():
        db.engine.dispose()
    return accounts


if __name__ == "__main__":
    print(json.dumps(seed(sys.argv[1], sys.argv[2])))
