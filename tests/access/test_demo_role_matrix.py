"""The access matrix on the demo data: every demo account against every page, with objects of its
own and of another centre and ERN. No page outside a patient's centre shows their identity."""

from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.database import db
from app.demo.data import DEMO_PASSWORD
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.panels.models import Panel
from app.patients.models import Patient
from tests import factories
from tests.conftest import database_on_demo

LEUVEN = {"hp1@demo.consilium.eu", "hp5@demo.consilium.eu", "assistant@demo.consilium.eu"}  # BE10 health professionals, their assistant
BRNO = {"hp2@demo.consilium.eu"}
ASSISTANTS = {"assistant@demo.consilium.eu"}
VASCERN = {
    "coordinator@demo.consilium.eu",
    "hp4@demo.consilium.eu",
    "hp5@demo.consilium.eu",
    "guest.vascern@demo.consilium.eu",
    "researcher.vascern@demo.consilium.eu",
}
VASCERN_ONLY = {"guest.vascern@demo.consilium.eu", "researcher.vascern@demo.consilium.eu"}
COORDINATORS = {"coordinator@demo.consilium.eu"}
MANAGERS = {"manager@demo.consilium.eu"}  # EuroBloodNet's ERN manager
# Demo panels (app/demo/panels.py) and who sees them: members and invitees, the patient's centre,
# the ERN's coordinators and the panel managers in scope (hp3 manages EuroBloodNet panels).
SILVER_BIRCH = (
    {"hp1@demo.consilium.eu", "hp5@demo.consilium.eu", "hp2@demo.consilium.eu", "guest@demo.consilium.eu"}
    | LEUVEN  # the panel's centre, its assistant too
    | COORDINATORS
    | {"hp3@demo.consilium.eu"}
)
# Its lead, the ERN's panel manager, and the ERN's coordinator, whom the lead asked for assistance (issue 25).
INVITE_SILVER_BIRCH = {"hp1@demo.consilium.eu", "hp3@demo.consilium.eu", "coordinator@demo.consilium.eu"}
QUIET_HARBOUR = {"hp3@demo.consilium.eu", "hp1@demo.consilium.eu"} | COORDINATORS  # FR08; hp2 declined
OLD_BRIDGE = {"hp4@demo.consilium.eu"} | COORDINATORS  # VASCERN, IT10, archived
# BE10, closed and released for research: its centre, member hp1, EuroBloodNet's coordinator, panel manager and researcher
RED_KITE = LEUVEN | COORDINATORS | {"hp3@demo.consilium.eu", "researcher@demo.consilium.eu"}
ACCOUNTS = [
    "coordinator@demo.consilium.eu",
    "researcher@demo.consilium.eu",
    "manager@demo.consilium.eu",
    "guest@demo.consilium.eu",
    "hp1@demo.consilium.eu",
    "hp2@demo.consilium.eu",
    "hp3@demo.consilium.eu",
    "hp4@demo.consilium.eu",
    "hp5@demo.consilium.eu",
    "dispatcher@demo.consilium.eu",
    "assistant@demo.consilium.eu",
    "guest.vascern@demo.consilium.eu",
    "researcher.vascern@demo.consilium.eu",
]


database = pytest.fixture(database_on_demo)  # the demo data seeded once for the module


@pytest.fixture
def demo(database):
    by_cpms = {p.cpms_id: p for p in db.session.scalars(select(Patient))}
    leuven = db.session.scalar(select(Centre).where(Centre.code == "BE10"))
    ebn = db.session.scalar(select(Ern).where(Ern.code == "EuroBloodNet"))
    hp1 = db.session.scalar(select(factories.User).where(factories.User.email == "hp1@demo.consilium.eu"))
    task_id = factories.start_enrolment(hp1, leuven, ebn)
    panels = {panel.nickname: panel.id for panel in db.session.scalars(select(Panel))}
    return {
        "panels": panels,
        "patients": list(by_cpms.values()),
        "leuven_patient": by_cpms["ERN-BE10-EuroBloodNet-001"],
        "brno_patient": by_cpms["ERN-CZ08-EuroBloodNet-001"],
        "leuven": leuven,
        "ebn": ebn,
        "task": task_id,
        "hp1": hp1.id,
    }


def expected(email, objects):
    def allowed(group, yes=200, no=404):
        return yes if email in group else no

    leuven_patient, brno_patient = objects["leuven_patient"].id, objects["brno_patient"].id
    return {
        ("GET", "/"): 200,
        ("GET", "/preferences"): 200,
        ("GET", "/tasks/"): 200,
        ("GET", "/patients/"): 200,
        ("GET", "/erns/EuroBloodNet"): 404 if email in VASCERN_ONLY else 200,
        ("GET", "/erns/VASCERN"): allowed(VASCERN),
        ("GET", "/centres/BE10"): allowed(LEUVEN),
        ("GET", "/centres/CZ08"): allowed(BRNO),
        ("GET", f"/patients/{leuven_patient}"): allowed(LEUVEN),
        ("GET", f"/patients/{brno_patient}"): allowed(BRNO),
        # Changing, exporting and erasing a record: its centre's health professionals; their assistant may not.
        ("GET", f"/patients/{leuven_patient}/edit"): allowed(LEUVEN - ASSISTANTS) if email not in ASSISTANTS else 403,
        ("GET", f"/patients/{leuven_patient}/export.json"): allowed(LEUVEN - ASSISTANTS) if email not in ASSISTANTS else 403,
        ("GET", f"/patients/{brno_patient}/erase"): allowed(BRNO),
        ("POST", f"/patients/{leuven_patient}/transfer"): allowed(LEUVEN - ASSISTANTS, yes=422) if email not in ASSISTANTS else 403,
        ("GET", f"/panels/{objects['panels']['silver birch']}/consultation/history"): allowed(SILVER_BIRCH),
        ("GET", f"/tasks/{objects['task']}"): allowed(LEUVEN, no=403),
        ("GET", "/audit/"): allowed(COORDINATORS, no=403),
        ("GET", "/members"): allowed(COORDINATORS | MANAGERS, no=403),
        ("GET", f"/members/{objects['hp1']}"): allowed(COORDINATORS | MANAGERS),
        ("POST", "/patients/enrol"): allowed(LEUVEN, yes=302, no=403),
        ("GET", "/panels/"): 200,
        ("GET", "/erns/EuroBloodNet/queue"): allowed(COORDINATORS | MANAGERS, no=403),
        ("GET", "/erns/EuroBloodNet/settings"): allowed(MANAGERS, no=403),
        ("GET", "/erns/EuroBloodNet/processes/"): allowed(MANAGERS, no=403),
        ("GET", "/erns/EuroBloodNet/de-identification"): allowed(MANAGERS, no=403),
        ("GET", f"/panels/{objects['panels']['silver birch']}"): allowed(SILVER_BIRCH),
        ("GET", f"/panels/{objects['panels']['silver birch']}?tab=members"): allowed(SILVER_BIRCH),
        ("GET", f"/panels/{objects['panels']['quiet harbour']}?tab=contributions"): allowed(QUIET_HARBOUR),
        ("GET", f"/panels/{objects['panels']['old bridge']}"): allowed(OLD_BRIDGE),
        ("GET", f"/panels/{objects['panels']['red kite']}?tab=contributions"): allowed(RED_KITE),
        ("GET", f"/panels/{objects['panels']['red kite']}/outcome.pdf"): allowed(RED_KITE),
        ("POST", f"/panels/{objects['panels']['silver birch']}/invite"): (
            422 if email in INVITE_SILVER_BIRCH else allowed(SILVER_BIRCH, 403)
        ),
    }


@pytest.mark.parametrize("email", ACCOUNTS)
def test_every_demo_account_gets_what_its_roles_allow_and_no_other_centres_identities(app, client, demo, email):
    assert client.post("/login", data={"email": email, "password": DEMO_PASSWORD}).status_code == 302
    user = db.session.scalar(select(factories.User).where(factories.User.email == email))
    own_centres = {m.centre_id for m in user.memberships}
    # Every patient of another centre, by last name and birth date (first names are too short to search safely).
    foreign = [
        part
        for patient in demo["patients"]
        if patient.centre_id not in own_centres
        for part in (patient.last_name, patient.date_of_birth.strftime("%d/%b/%Y"))
    ]
    for (method, url), status in expected(email, demo).items():
        data = {"centre_id": demo["leuven"].id, "ern_id": demo["ebn"].id} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        assert response.status_code == status, (email, method, url)
        text = _text_of(response)
        assert not [part for part in foreign if part in text], (email, url)


def _text_of(response):
    if response.mimetype == "application/pdf":
        return "".join(page.extract_text() for page in PdfReader(BytesIO(response.data)).pages)
    return response.text
