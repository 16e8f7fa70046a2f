"""A system administrator manages ERNs, thematic areas and centres in the browser; nobody else can."""

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.database import db
from app.organisations.models import Centre
from app.organisations.models import Ern
from tests import factories


@pytest.fixture
def admin(world):
    user = factories.make_user("admin@consilium.example", [], "Ada", "Admin")
    user.is_admin = True
    db.session.commit()
    return user


def test_an_administrator_creates_an_ern_with_its_guest_centre_a_thematic_area_and_a_centre(world, login, admin):
    client = login(admin)
    assert "Networks and centres" in client.get("/admin/organisations").text
    assert client.post("/admin/erns", data={"code": "ERKNet", "name": "Kidney diseases"}).status_code == 302
    ern = db.session.scalar(select(Ern).where(Ern.code == "ERKNet"))
    assert db.session.scalar(select(Centre).where(Centre.code == "GUEST-ERKNet")).is_guest
    assert client.post(f"/admin/erns/{ern.id}/areas", data={"name": "Nephrotic syndrome"}).status_code == 302
    assert [a.name for a in ern.thematic_areas] == ["Nephrotic syndrome"]
    response = client.post("/admin/centres", data={"code": "DE01", "country": "DE", "name": "Charité Berlin", "ern_id": [str(ern.id)]})
    assert response.status_code == 302
    centre = db.session.scalar(select(Centre).where(Centre.code == "DE01"))
    assert [e.code for e in centre.erns] == ["ERKNet"]
    assert client.post(f"/admin/centres/{centre.id}/erns", data={"ern_id": [str(ern.id), str(world.ern.id)]}).status_code == 302
    assert sorted(e.code for e in centre.erns) == ["ERKNet", "EuroBloodNet"]
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == admin.id)))
    assert {"ern.created", "ern.area_added", "centre.created", "centre.erns_changed"} <= actions


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        ("/admin/erns", {"code": "EuroBloodNet", "name": "Again"}, "exists already"),
        ("/admin/erns", {"code": "<script>", "name": "X"}, "An ERN code is"),
        ("/admin/erns", {"code": "NewNet", "name": " "}, "cannot be empty"),
        ("/admin/centres", {"code": "BE10", "country": "BE", "name": "Again", "ern_id": ["{ern}"]}, "exists already"),
        (
            "/admin/centres",
            {"code": "FR99", "country": "BE", "name": "Mismatch", "ern_id": ["{ern}"]},
            "two letters the centre code starts with",
        ),
        ("/admin/centres", {"code": "FR99", "country": "FR", "name": "No network"}, "Choose the ERNs"),
        ("/admin/centres", {"code": "FR99", "country": "FR", "name": "x" * 201, "ern_id": ["{ern}"]}, "at most 200"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(world, login, admin, url, data, message):
    erns, centres = db.session.scalar(select(db.func.count(Ern.id))), db.session.scalar(select(db.func.count(Centre.id)))
    data = {key: [v.format(ern=world.ern.id) for v in value] if isinstance(value, list) else value for key, value in data.items()}
    response = login(admin).post(url, data=data)
    assert response.status_code == 422 and message in response.text
    assert (db.session.scalar(select(db.func.count(Ern.id))), db.session.scalar(select(db.func.count(Centre.id)))) == (erns, centres)


def test_only_administrators_manage_networks_and_centres(world, login):
    client = login(world.coordinator)
    assert client.get("/admin/organisations").status_code == 403
    assert client.post("/admin/erns", data={"code": "X1", "name": "X"}).status_code == 403
    assert db.session.scalar(select(Ern).where(Ern.code == "X1")) is None


def test_what_was_typed_comes_back_in_the_form_it_was_typed_into(world, login, admin):
    client = login(admin)
    response = client.post("/admin/centres", data={"code": "FR99", "country": "BE", "name": "Hôpital Typé", "ern_id": [str(world.ern.id)]})
    assert response.status_code == 422
    assert 'id="centre-name" name="name" maxlength="200" required value="Hôpital Typé"' in response.text
    assert f'id="new-e{world.ern.id}" checked' in response.text
    assert 'id="ern-name" name="name" maxlength="200" required value=""' in response.text
    response = client.post(f"/admin/erns/{world.ern.id}/areas", data={"name": " "})
    assert response.status_code == 422 and "cannot be empty" in response.text
    response = client.post("/admin/erns", data={"code": "<script>", "name": "Typed network"})
    assert response.status_code == 422 and 'value="Typed network"' in response.text
