"""A database of its own where services really commit, for tests with several threads or processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app.database import db
from tests import factories
from tests.conftest import build_app
from tests.conftest import drop_database_url
from tests.conftest import make_database_url


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str, dict[str, int]]]:
    url = make_database_url(tmp_path_factory.mktemp("committed"), "committed")
    app = build_app(url)
    with app.app_context():
        world = factories.make_world()
        ids = {name: getattr(world, name).id for name in ("ern", "leuven", "clinician", "colleague", "coordinator")}
    yield app, url, ids
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop_database_url(url)
