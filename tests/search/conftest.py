"""The app with search wired in, whether or not create_app does it yet."""

import pytest

from portal import create_app
from portal.extensions import db
from portal.search import init_app as init_search
from portal.search import lifecycle
from portal.search.hooks import EXTENSION_KEY
from tests.conftest import ON_POSTGRES, _truncate_all, make_config, seed_reference_data


@pytest.fixture
def app(tmp_path, _postgres_schema):
    app = create_app(
        make_config(
            tmp_path, SEARCH_INDEX_DIR=str(tmp_path / "search_index"), SEARCH_AUTO_INDEX=True
        )
    )
    if "search" not in app.blueprints or not app.extensions.get(EXTENSION_KEY):
        init_search(app)
    with app.app_context():
        if not ON_POSTGRES:
            db.create_all()
        seed_reference_data()
    yield app
    lifecycle.wait_for_rebuilds(120)
    lifecycle.reset()
    with app.app_context():
        if ON_POSTGRES:
            db.session.remove()
            _truncate_all()
        db.engine.dispose()
