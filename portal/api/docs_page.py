"""/api/: the API's documentation, rendered in the browser by the vendored Swagger UI."""

from flask import Blueprint, render_template

from ..caching import public

bp = Blueprint("api_docs", __name__, url_prefix="/api")


@bp.get("/")
@public
def documentation():
    """Swagger UI reading /api/v1/openapi.json (no inline script: static/js/api-docs.js)."""
    return render_template("api/documentation.html")
