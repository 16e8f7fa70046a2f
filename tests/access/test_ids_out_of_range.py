"""An id the database cannot hold (beyond INTEGER, beyond BIGINT, negative) is a 404 or a 422, never a server error."""

import re

import pytest
from werkzeug.exceptions import NotFound

from app import create_app
from app.accounts.models import Role
from app.database import db
from app.panels.models import Contribution
from tests import factories

# Beyond BIGINT (SQLite: OverflowError), beyond INTEGER (PostgreSQL: out of range), and negative.
OUT_OF_RANGE = ["99999999999999999999", str(2**31), "-1"]
INT_ARGUMENT = re.compile(r"<int(?:\([^)]*\))?:(\w+)>")
ARGUMENT = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>")


def _unused_app():
    """An app whose routes are read, never served."""
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "listing routes", "SCHEDULER_ENABLED": False})


def _rules_taking_ids() -> list:
    """(method, rule, argument) for every argument of the int converter in the app's URL map."""
    cases = []
    for rule in sorted(_unused_app().url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for name in INT_ARGUMENT.findall(rule.rule):
                cases.append(pytest.param(method, rule.rule, name, id=f"{method} {rule.rule} {name}"))
    return cases


RULES = _rules_taking_ids()


@pytest.fixture
def chief(world):
    """Reaches every route: an administrator, the ERN's manager and coordinator, and an expert at the clinician's centre."""
    ern = world.ern
    roles = [(ern, world.leuven, Role.MEMBER_EXPERT), (ern, None, Role.ERN_MANAGER), (ern, None, Role.COORDINATOR)]
    user = factories.make_user("chief@ern.example", roles, "Chiara", "Chief")
    user.is_admin = True
    return user


@pytest.fixture
def valid(world, request):
    """Values that exist, for the arguments and fields next to the one under test (a document only where the rule
    names one: storing a DICOM file is slow)."""
    rule = request.node.callspec.params.get("rule", "<document_id>") if hasattr(request.node, "callspec") else "<document_id>"
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    document_id = factories.attach(world.clinician, panel_id, "CT_small.dcm") if "document_id" in rule else None
    contribution = Contribution(panel_id=panel_id, author_id=world.clinician.id, text="Consider B.")
    db.session.add(contribution)
    db.session.commit()
    return {
        "contribution_id": contribution.id,
        "code": world.ern.code,
        "process_id": "enrolment",
        "patient_id": patient.id,
        "panel_id": panel_id,
        "document_id": document_id,
        "frame": 0,
        "page": 1,
        "ern_id": world.ern.id,
        "centre_id": world.leuven.id,
        "user_id": world.colleague.id,
        "membership_id": world.colleague.memberships[0].id,
        "number": 1,
        "task_id": factories.start_enrolment(world.clinician, world.leuven, world.ern) if "task_id" in rule else None,
    }


def test_any_route_taking_a_number_takes_only_ids_the_database_holds():
    probe = _unused_app()
    probe.add_url_rule("/probe/<int:number>", "probe", lambda number: str(number))
    urls = probe.url_map.bind("consilium.test")
    assert urls.match("/probe/2147483647") == ("probe", {"number": 2**31 - 1})
    for beyond in OUT_OF_RANGE + ["9" * 5000]:
        with pytest.raises(NotFound):
            urls.match(f"/probe/{beyond}")


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize(("method", "rule", "name"), RULES)
def test_an_id_out_of_range_in_the_path_is_not_found(login, chief, valid, method, rule, name, value):
    url = ARGUMENT.sub(lambda m: value if m.group(1) == name else str(valid[m.group(1)]), rule)
    response = login(chief).open(url, method=method, data={"centre_id": "", "ern_id": ""} if method == "POST" else None)
    response.close()
    assert response.status_code == 404


# Ids in query strings and form fields: (method, url, form, status). {n} is the number under test; the rest exist.
# A filter that is not an id is ignored, as one that is not a number; a form field that is not one is refused.
IN_QUERIES_AND_FORMS = [
    ("GET", "/panels/?centre={n}", None, 200),
    ("GET", "/panels/?ern=EuroBloodNet&area={n}", None, 200),
    ("GET", "/panels/?q=%23{n}", None, 200),
    ("GET", "/erns/EuroBloodNet/queue?centre={n}", None, 200),
    ("GET", "/erns/EuroBloodNet/queue?area={n}", None, 200),
    ("GET", "/erns/EuroBloodNet/processes/enrolment/diff?from={n}", None, 404),
    ("GET", "/erns/EuroBloodNet/processes/enrolment/migration?to={n}", None, 404),
    ("POST", "/patients/enrol", {"centre_id": "{n}", "ern_id": "{ern_id}"}, 422),
    ("POST", "/patients/enrol", {"centre_id": "{centre_id}", "ern_id": "{n}"}, 422),
    ("POST", "/panels/open", {"patient_id": "{n}", "thematic_area_id": "{area_id}"}, 422),
    ("POST", "/panels/open", {"patient_id": "{patient_id}", "thematic_area_id": "{n}"}, 422),
    ("POST", "/panels/{panel_id}/invite-group", {"group_id": "{n}"}, 422),
    ("POST", "/admin/centres", {"code": "XX01", "name": "Hospital", "country": "XX", "ern_id": "{n}"}, 422),
    ("POST", "/admin/centres/{centre_id}/erns", {"ern_id": "{n}"}, 422),
    ("POST", "/preferences", {"thematic_area": "{n}", "timezone": "Europe/Brussels", "specialisation": "Haematologist"}, 422),
    ("POST", "/erns/EuroBloodNet/processes/enrolment/migration", {"to": "{n}", "instance": "1"}, 302),  # told to choose
    ("POST", "/erns/EuroBloodNet/processes/enrolment/migration", {"to": "1", "instance": "{n}"}, 302),
    ("POST", "/queue/tasks/{task_id}/reassign", {"assignee": "{n}", "reason": "Away"}, 422),
]


@pytest.mark.parametrize("value", ["99999999999999999999", str(2**31), "²"])  # "²" is a digit that int() refuses
@pytest.mark.parametrize(
    ("method", "url", "form", "status"),
    [pytest.param(*case, id=f"{case[0]} {case[1]} {' '.join(case[2] or ())}".strip()) for case in IN_QUERIES_AND_FORMS],
)
def test_an_id_out_of_range_in_a_query_or_a_form_is_ignored_or_refused(world, login, chief, valid, method, url, form, status, value):
    task_id = factories.start_enrolment(world.clinician, world.leuven, world.ern)
    known = valid | {"n": value, "area_id": world.ern.thematic_areas[0].id, "task_id": task_id}
    data = {key: field.format(**known) for key, field in form.items()} if form else None
    assert login(chief).open(url.format(**known), method=method, data=data).status_code == status
