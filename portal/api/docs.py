"""The OpenAPI document, the API's cross-origin and rate-limit rules, and its 429 answer."""

from flask import current_app, request

from ..extensions import limiter
from . import v1  # noqa: F401  (declares the endpoints before the document reads them)
from .registry import error_response, json_response, openapi_document
from .schemas import COMPONENTS
from .views import bp

# Read-only data for anyone: any origin may GET it (no cookies are involved).
CORS_METHODS = ("GET", "HEAD", "OPTIONS")


@bp.get("/openapi.json")
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


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


limiter.limit(_rate_limit)(bp)
