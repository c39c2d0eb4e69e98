"""The OpenAPI document, the API's cross-origin rule, and its 429 answer as JSON."""

from flask import request

from . import v1  # noqa: F401  (declares the endpoints before the document reads them)
from .registry import error_response, json_response, openapi_document, rate_limited
from .schemas import COMPONENTS
from .views import bp

# Read-only data for anyone: any origin may GET it (no cookies are involved).
CORS_METHODS = ("GET", "HEAD", "OPTIONS")


@bp.get("/openapi.json")
@rate_limited
def openapi_json():
    """The OpenAPI 3.1 document, generated from the endpoint declarations."""
    return json_response(openapi_document(COMPONENTS, {}))


@bp.after_request
def _cors(response):
    if request.method in CORS_METHODS:
        response.headers["Access-Control-Allow-Origin"] = "*"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = ", ".join(CORS_METHODS)
            response.headers["Access-Control-Max-Age"] = "86400"
    return response


@bp.errorhandler(429)
def _too_many(error):
    return error_response(429, str(error.description))
