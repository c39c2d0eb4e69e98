"""The public JSON API (/api/v1): read-only data for the map and other clients."""

from . import complaints  # noqa: F401  (adds /api/v1/complaints/map to the blueprint)
from .views import bp

__all__ = ["bp"]
