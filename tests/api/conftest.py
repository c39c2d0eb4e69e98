"""Until create_app wires in the api blueprint and the map page, add them here.

`portal.outfalls.map_views` adds its route to the outfalls blueprint when imported, which
must happen before any app registers that blueprint: hence the import at collection time.
"""

import pytest

import portal.outfalls.map_views  # noqa: F401


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
