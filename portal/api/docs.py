"""The OpenAPI document, the API's cross-origin rule, and its 429 answer as JSON."""

from ..security import allow_public_reads
from . import v1  # noqa: F401  (declares the endpoints before the document reads them)
from .registry import (
    error_response,
    json_response,
    openapi_document,
    rate_limited,
)
from .schemas import COMPONENTS
from .views import bp


@bp.get("/openapi.json")
@rate_limited
def openapi_json():
    """The OpenAPI 3.1 document, generated from the endpoint declarations."""
    return json_response(openapi_document(COMPONENTS, {}))


bp.after_request(allow_public_reads)


@bp.errorhandler(429)
def _too_many(error):
    return error_response(429, str(error.description))
