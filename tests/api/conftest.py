"""Until create_app wires in the api blueprint, add it here; each test starts with no
cached map grids."""

import pytest


def integrate(app):
    """Register what the integration adds to create_app, if it is not there yet."""
    from portal.api import bp
    from portal.outfalls.clustering import clear_grid_cache

    if "api" not in app.blueprints:
        app.register_blueprint(bp)
    clear_grid_cache()
    return app


@pytest.fixture
def app(app):
    return integrate(app)
