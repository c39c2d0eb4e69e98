"""Search tests index after each commit, as a deployment does."""

import pytest


@pytest.fixture
def app(make_app):
    return make_app(SEARCH_AUTO_INDEX=True)
