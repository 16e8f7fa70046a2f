"""A coordinator does not close the account of someone who manages a network (theirs or another): an administrator does."""

from app.accounts.models import Role
from app.accounts.models import User
from app.database import db
from tests import factories


def test_a_coordinator_cannot_lock_out_the_manager_of_another_network(world, login):
    # A VASCERN ERN manager who is also a member expert of EuroBloodNet at Leuven.
    vascern_manager = factories.make_user(
        "manager@vascern.example",
        [(world.other_ern, None, Role.ERN_MANAGER), (world.ern, world.leuven, Role.MEMBER_EXPERT)],
        "Vera",
        "Manager",
    )
    db.session.commit()
    response = login(world.coordinator).post(f"/members/{vascern_manager.id}/deactivate")  # EuroBloodNet's coordinator
    assert response.status_code == 403
    assert db.session.get(User, vascern_manager.id).active


def test_a_coordinator_cannot_lock_out_their_own_ern_manager(world, login):
    manager = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")
    db.session.commit()
    response = login(world.coordinator).post(f"/members/{manager.id}/deactivate")
    assert response.status_code == 403
    assert db.session.get(User, manager.id).active
