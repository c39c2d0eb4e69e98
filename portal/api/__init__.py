"""The public JSON API (/api/v1): read-only data for the map and other clients."""

from . import (
    complaints,  # noqa: F401  (adds /api/v1/complaints/map to the blueprint)
    docs,  # noqa: F401  (the declared endpoints, /api/v1/openapi.json, CORS, limits)
)
from .docs_page import bp as docs_bp
from .views import bp

__all__ = ["bp", "docs_bp"]
