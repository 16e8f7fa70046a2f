"""Guest accounts end 90 days after approval (extendable) or when their last panel closes, whichever is later; a mail
warns a week before, once."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.expiry import review_guest_expiry
from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.database import db
from app.database import utcnow
from app.panels import services as panel_services
from tests import factories
from tests.factories import ORIGIN
from tests.smtp import deliver


def warnings(inbox):
    return [recipients for recipients, body in deliver(inbox) if "your guest account in Consilium ends on" in body]


@pytest.fixture
def guest(world):
    centre = factories.make_centre("GUEST-EuroBloodNet", [world.ern], "EuroBloodNet guest virtual centre")
    centre.is_guest = True
    user = factories.make_user("gil@elsewhere.example", [(world.ern, centre, Role.GUEST_EXPERT)], "Gil", "Guest")
    user.expires_at = utcnow() + timedelta(days=5)
    factories.give_areas(user, world.ern, "Amyloidosis")
    return user


def test_a_guest_is_warned_once_a_week_before_the_account_ends_and_again_after_an_extension(world, guest, login, inbox):
    assert review_guest_expiry(utcnow()) == (0, 1)
    [(recipients, body)] = deliver(inbox)
    assert recipients == ["gil@elsewhere.example"]
    assert f"ends on {guest.expires_at:%d %B %Y}" in body and "ask the coordinator of your network to extend it" in body

    assert review_guest_expiry(utcnow()) == (0, 0)  # the next tick sends nothing
    assert review_guest_expiry(utcnow() + timedelta(days=1)) == (0, 0)
    assert len(deliver(inbox)) == 1

    login(world.coordinator).post(f"/members/{guest.id}/extend")
    db.session.refresh(guest)
    assert guest.expiry_warned_at is None
    assert review_guest_expiry(guest.expires_at - timedelta(days=6)) == (0, 1)  # a week before the new end
    assert len(deliver(inbox)) == 2


def test_accounts_far_from_their_end_or_without_one_get_no_warning(world, guest, inbox):
    guest.expires_at = utcnow() + timedelta(days=30)
    db.session.commit()
    assert review_guest_expiry(utcnow()) == (0, 0)
    assert deliver(inbox) == []


def test_a_guest_on_an_open_panel_keeps_the_account_until_a_week_after_the_panel_closes(world, guest, inbox):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    panel_id = factories.open_panel(world.clinician, patient)
    panel_services.invite_experts(world.clinician, panel_id, [guest.id], ORIGIN)

    now = utcnow()
    assert review_guest_expiry(now) == (1, 0)
    db.session.refresh(guest)
    assert guest.expires_at == now + timedelta(days=14) and guest.is_active
    assert review_guest_expiry(now + timedelta(days=1)) == (0, 0)  # two weeks ahead: nothing to do for a week
    assert warnings(inbox) == []
    kept = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.kept_open"))
    assert kept.target_id == str(guest.id) and kept.actor_id is None

    panel_services.close_now(world.clinician, panel_id, "withdrawn", "", ORIGIN)
    assert review_guest_expiry(now + timedelta(days=8)) == (0, 1)  # the last panel closed: the week's warning
    assert warnings(inbox) == [["gil@elsewhere.example"]]
    assert review_guest_expiry(now + timedelta(days=15)) == (0, 0)
    db.session.refresh(guest)
    assert guest.expires_at == now + timedelta(days=14)  # no longer moved: the account ends
