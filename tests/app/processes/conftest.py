from pathlib import Path

import pytest

from app.accounts.models import Role
from tests import factories

SAMPLES = Path(__file__).resolve().parent / "samples"
PROCESSES = "/erns/EuroBloodNet/processes"


@pytest.fixture
def manager(world):
    """An ERN manager of EuroBloodNet (world.ern)."""
    return factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)], "Mara", "Manager")


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()
