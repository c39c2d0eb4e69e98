"""The public JSON API (/api/v1): read-only data for the map and other clients."""

from .views import bp

__all__ = ["bp"]
