"""One declaration per JSON endpoint, read by both the route and the OpenAPI document.

`endpoint(path, ...)` registers a view on the `api` blueprint and records its parameters
(`Param`: name, JSON Schema, description) and its response schema. The view receives the
parameters parsed and checked against those very schemas, so what `/api/v1/openapi.json`
says is what the code accepts: an integer beyond its maximum, a date that is no date or a
value outside an enum is a 400 before the view runs.

Every response is JSON: data with `Cache-Control: public, max-age` and an ETag, errors as
`{"error": {"status": 400, "message": "..."}}` with the same HTTP status, never cached.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _

from ..core.clock import local_iso
from ..core.jsontext import compact_json
from ..extensions import limiter
from ..forms import control_characters
from .views import bp

JSON = "application/json"


class ApiError(Exception):
    """A refusal the client can fix (400) or a missing resource (404)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = str(message)
        self.status = status


@dataclass(frozen=True)
class Param:
    """A query or path parameter: its JSON Schema is both the documentation and the check."""

    name: str
    schema: dict
    description: str
    required: bool = False
    location: str = "query"


@dataclass
class Endpoint:
    """A GET operation of the API."""

    path: str  # OpenAPI style: /outfalls/{code}
    operation_id: str
    summary: str
    tag: str
    params: tuple[Param, ...]
    response: dict
    description: str = ""
    not_found: bool = False  # documents a 404 (an unknown code or id)
    view: Callable | None = field(default=None, repr=False)


ENDPOINTS: list[Endpoint] = []

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


iso = local_iso  # a moment in ISO 8601 with China's offset (+08:00), whole seconds


def iso_date(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _bad(param: Param, message: str) -> ApiError:
    return ApiError(_("Parameter %(name)s: %(problem)s", name=param.name, problem=message))


def parse_value(param: Param, raw: str) -> Any:
    """A raw string checked and converted by the parameter's schema.

    Raises:
        ApiError: the value does not satisfy the schema (400).
    """
    schema = param.schema
    if control_characters(raw):
        raise _bad(param, _("remove the control characters."))
    kind = schema.get("type")
    if kind == "integer":
        if not re.fullmatch(r"-?\d{1,12}", raw.strip()):
            raise _bad(param, _("not a whole number."))
        value: Any = int(raw)
        if "minimum" in schema and value < schema["minimum"]:
            raise _bad(param, _("at least %(n)s.", n=schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            raise _bad(param, _("at most %(n)s.", n=schema["maximum"]))
        return value
    value = raw
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise _bad(param, _("at most %(n)s characters.", n=schema["maxLength"]))
    if "enum" in schema and value not in schema["enum"]:
        raise _bad(param, _("one of %(values)s.", values=", ".join(schema["enum"])))
    if "pattern" in schema and not re.search(schema["pattern"], value):
        raise _bad(param, _("not in the expected form."))
    if schema.get("format") == "date":
        if not DATE_RE.fullmatch(value):
            raise _bad(param, _("a date as YYYY-MM-DD."))
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _bad(param, _("no such date.")) from None
    return value


def parse_params(endpoint: Endpoint, path_values: dict) -> dict:
    """The endpoint's parameters from the path and query string, checked.

    Raises:
        ApiError: a required parameter is missing or a value is refused (400).
    """
    values = {}
    for param in endpoint.params:
        if param.location == "path":
            raw = path_values.get(param.name)
        else:
            raw = request.args.get(param.name)
            if raw == "":
                raw = None
        if raw is None:
            if param.required:
                raise _bad(param, _("required."))
            values[param.name] = param.schema.get("default")
            continue
        values[param.name] = parse_value(param, raw)
    return values


def json_response(payload: Any, status: int = 200):
    """Public, cacheable JSON with an ETag (the same in every language)."""
    body = compact_json(payload)
    response = current_app.response_class(body, status=status, mimetype=JSON)
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["API_CACHE_SECONDS"]
    response.add_etag()
    return response.make_conditional(request)


def error_response(status: int, message: str):
    """`{"error": {"status", "message"}}` with that HTTP status; never cached."""
    body = json.dumps({"error": {"status": status, "message": message}}, ensure_ascii=False)
    response = current_app.response_class(body, status=status, mimetype=JSON)
    response.cache_control.no_store = True
    response.vary.add("Accept-Language")
    return response


def rate_limited(view):
    """The API's per-address limit (API_RATE_LIMIT) on a view; the map's layers keep none."""
    return limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(view)


def endpoint(
    path: str,
    *,
    operation_id: str,
    summary: str,
    tag: str,
    params=(),
    response: dict,
    description: str = "",
    not_found: bool = False,
):
    """Declare a GET endpoint and register its view under /api/v1 (see the module doc)."""
    declared = Endpoint(
        path, operation_id, summary, tag, tuple(params), response, description, not_found
    )

    def decorator(view):
        def wrapped(**path_values):
            try:
                return json_response(view(**parse_params(declared, path_values)))
            except ApiError as error:
                return error_response(error.status, error.message)

        wrapped.__name__ = view.__name__
        wrapped.__qualname__ = view.__qualname__
        wrapped.__module__ = view.__module__
        wrapped.__doc__ = view.__doc__
        rule = re.sub(r"\{(\w+)\}", r"<\1>", path)
        bp.add_url_rule(rule, view.__name__, rate_limited(wrapped), methods=["GET"])
        declared.view = view
        ENDPOINTS.append(declared)
        return view

    return decorator


# --- The document --------------------------------------------------------------------------

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string"},
            },
        }
    },
}


def _operation(e: Endpoint) -> dict:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    responses = {
        "200": {"description": "OK", "content": {"application/json": {"schema": e.response}}},
        "400": {"description": "A parameter was refused", "content": error},
        "429": {"description": "Too many requests from this address", "content": error},
    }
    if e.not_found:
        responses["404"] = {"description": "No such code or id", "content": error}
    operation = {
        "operationId": e.operation_id,
        "summary": e.summary,
        "tags": [e.tag],
        "parameters": [
            {
                "name": p.name,
                "in": p.location,
                "required": p.required or p.location == "path",
                "description": p.description,
                "schema": p.schema,
            }
            for p in e.params
        ],
        "responses": responses,
    }
    if e.description:
        operation["description"] = e.description
    return operation


def openapi_document(components: dict, extra_paths: dict) -> dict:
    """The OpenAPI 3.1 document of every declared endpoint, plus `extra_paths`."""
    paths: dict[str, dict] = {}
    for e in ENDPOINTS:
        paths.setdefault(e.path, {})["get"] = _operation(e)
    paths.update(extra_paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Outfall transparency portal API",
            "version": "1.0.0",
            "description": (
                "Read-only public data of the outfall registry (入河入海排污口): outfalls, "
                "approvals, monitoring with exceedance flags, remediation plans, water "
                "bodies, regions, departments and their monthly figures, and the public "
                "summaries of citizens' complaints. Codes are as in the data; dates are ISO "
                "8601, moments carry China's offset (+08:00). Lists are keyset-paginated: "
                "follow `next`. Errors are JSON with the HTTP status. Complaints can also be "
                "filed and read through Open311 GeoReport v2 at /open311/v2/."
            ),
            "license": {"name": "Open data", "identifier": "CC-BY-4.0"},
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {"schemas": {"Error": ERROR_SCHEMA, **components}},
    }
