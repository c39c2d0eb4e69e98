"""/open311/: GeoReport v2 in JSON and XML (the format is the path's suffix).

    GET  /open311/discovery.{json,xml}               where the endpoint is, what it speaks
    GET  /open311/v2/services.{json,xml}             the complaint categories
    GET  /open311/v2/services/<code>.{json,xml}      a category's attributes
    GET  /open311/v2/requests.{json,xml}             public summaries (filters of the spec)
    POST /open311/v2/requests.{json,xml}             file a report (api_key required)
    GET  /open311/v2/requests/<number>.{json,xml}    one report by its tracking number
    GET  /open311/v2/tokens/<token>.{json,xml}       the tracking number a token stands for

A POST goes through the complaints intake exactly as the web form does (its form's field
checks, then intake.submit: routing, working-day deadlines, acknowledgement through the
outbox, the reporter kept confidential, all or nothing); its photos come as multipart
`media` files through the same photo pipeline. A `media_url` is never fetched: that would
let anyone make the portal request any address. GETs are public and cacheable, for any
origin; the POST authenticates by its api_key (so it needs no CSRF token) and is limited
per address like the web form.
"""

from dataclasses import replace
from functools import wraps

from flask import Blueprint, current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ..complaints import intake
from ..complaints.forms import ComplaintForm
from ..complaints.labels import COMPLAINT_STATUS
from ..complaints.models import Channel, ComplaintCategory
from ..core.clock import utcnow
from ..core.codes import is_plausible_code, normalise_code
from ..core.errors import UserError
from ..core.jsontext import compact_json
from ..extensions import csrf, db, limiter
from ..security import allow_public_reads
from ..urls import public_url
from . import georeport as geo
from . import keys

bp = Blueprint("open311", __name__, url_prefix="/open311")

FORMATS = "<any(json,xml):fmt>"
MIMETYPES = {"json": "application/json", "xml": "text/xml"}
# The spec's list roots, for XML.
ROOTS = {"services": "services", "requests": "service_requests"}


class Problem(Exception):
    """An answer in the spec's error array: 400 bad or missing field, 403 bad key, 404."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = str(description)


def _fmt() -> str:
    """The format asked for, from the path (for answers made outside a view)."""
    return "xml" if request.path.endswith(".xml") else "json"


def _english() -> bool:
    return str(get_locale() or "zh").startswith("en")


def _body(fmt: str, root: str, payload) -> tuple[bytes, str]:
    if fmt == "xml":
        return geo.to_xml(root, payload), MIMETYPES["xml"]
    return compact_json(payload), MIMETYPES["json"]


def answer(fmt: str, root: str, payload, status: int = 200):
    """A public GET answer: cacheable, with an ETag, varying with the language asked for."""
    body, mimetype = _body(fmt, root, payload)
    response = current_app.response_class(body, status=status, mimetype=mimetype)
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["API_CACHE_SECONDS"]
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    response.add_etag()
    return response.make_conditional(request)


def problem(status: int, description: str, fmt: str | None = None):
    """The spec's error array with that HTTP status; never cached."""
    body, mimetype = _body(fmt or _fmt(), "errors", geo.errors(status, description))
    response = current_app.response_class(body, status=status, mimetype=mimetype)
    response.cache_control.no_store = True
    response.vary.add("Accept-Language")
    return response


def georeport(view):
    """Run a view, turning a Problem (or a UserError, 400) into the spec's error array."""

    @wraps(view)
    def wrapped(fmt, **kwargs):
        try:
            return view(fmt, **kwargs)
        except Problem as error:
            db.session.rollback()
            return problem(error.status, error.description, fmt)
        except UserError as error:
            db.session.rollback()
            name = error.field or "request"
            return problem(400, f"{name}: {error.message}", fmt)

    return wrapped


def _read_limit(view):
    return limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(view)


# --- Discovery and services --------------------------------------------------------------


@bp.get(f"/discovery.{FORMATS}")
@bp.get(f"/v2/discovery.{FORMATS}", endpoint="discovery_v2")
@_read_limit
@georeport
def discovery(fmt):
    """Where the GeoReport v2 endpoint is and which formats it speaks."""
    changeset = current_app.config.get("OPEN311_CHANGESET", "2026-12-02T00:00:00+08:00")
    payload = {
        "changeset": changeset,
        "contact": current_app.config.get("OPEN311_CONTACT")
        or _("Ask the portal's administrators for an API key to file reports."),
        "key_service": public_url("outfalls.home"),
        "endpoints": [
            {
                "specification": geo.SPEC_URL,
                "url": public_url("open311.services", fmt="json").rsplit("/", 1)[0],
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return answer(fmt, "discovery", payload)


def _categories() -> list[ComplaintCategory]:
    return intake.active_categories()


@bp.get(f"/v2/services.{FORMATS}")
@_read_limit
@georeport
def services(fmt):
    """The complaint categories on offer, with their groups and keywords."""
    english = _english()
    return answer(fmt, "services", [geo.service(c, english) for c in _categories()])


@bp.get(f"/v2/services/<service_code>.{FORMATS}")
@_read_limit
@georeport
def service_definition(fmt, service_code):
    """The attributes a report of this category may carry."""
    category = db.session.scalars(
        select(ComplaintCategory).where(
            ComplaintCategory.code == service_code, ComplaintCategory.active
        )
    ).first()
    if category is None:
        raise Problem(404, _("No service has the code %(code)s.", code=service_code[:40]))
    return answer(fmt, "service_definition", geo.definition(category))


# --- Requests ----------------------------------------------------------------------------


def _links() -> geo.Links:
    return geo.Links(public_url("complaints.show_public", tracking_no="_")[:-1])


def _render(rows) -> list[dict]:
    english = _english()
    photos = geo.first_photos(rows)
    links = _links()
    notes = {status: str(label) for status, label in COMPLAINT_STATUS.items()}
    return [geo.render_request(row, photos, links, english, notes) for row in rows]


@bp.get(f"/v2/requests.{FORMATS}")
@_read_limit
@georeport
def list_requests(fmt):
    """Public summaries, newest first, at most 1,000 (the spec's filters)."""
    query = geo.request_query(request.args, utcnow())
    return answer(fmt, ROOTS["requests"], _render(geo.find_requests(query)))


@bp.get(f"/v2/requests/<request_id>.{FORMATS}")
@_read_limit
@georeport
def show_request(fmt, request_id):
    """One report by its tracking number."""
    row = geo.find_request(request_id) if len(request_id) <= 40 else None
    if row is None:
        raise Problem(404, _("No report has this tracking number."))
    return answer(fmt, ROOTS["requests"], _render([row]))


@bp.get(f"/v2/tokens/<token>.{FORMATS}")
@_read_limit
@georeport
def show_token(fmt, token):
    """The tracking number of the report a POST's token stands for."""
    number = geo.tracking_no_for_token(token, current_app.config["SECRET_KEY"])
    if number is None:
        raise Problem(404, _("No report has this token."))
    return answer(fmt, ROOTS["requests"], [{"service_request_id": number, "token": token}])


# The web form's field names → the spec's, for error messages.
FIELD_NAMES = {
    "category": "service_code",
    "description": "description",
    "outfall": "attribute[outfall_code]",
    "lat": "lat",
    "lon": "long",
    "name": "first_name",
    "phone": "phone",
    "email": "email",
    "photos": "media",
    "location_choice": "lat",
}
TRUE = frozenset({"true", "1", "yes", "y", "on"})


def _form_data(form) -> MultiDict:
    """A POST's parameters under the web form's field names (so its checks apply)."""
    outfall = (form.get("attribute[outfall_code]") or "").strip()
    address = (form.get("address_string") or "").strip()
    if not outfall and address and is_plausible_code(normalise_code(address)):
        # On a signboard the outfall's address is its code.
        outfall = address
    first, last = (form.get("first_name") or "").strip(), (form.get("last_name") or "").strip()
    contact = {
        "name": " ".join(p for p in (first, last) if p),
        "phone": (form.get("phone") or "").strip(),
        "email": (form.get("email") or "").strip(),
    }
    data = MultiDict(
        {
            "category": form.get("service_code") or "",
            "description": form.get("description") or "",
            "outfall": outfall,
            "lat": form.get("lat") or "",
            "lon": form.get("long") or "",
            "identity": "named" if any(contact.values()) else "anonymous",
            **contact,
        }
    )
    if (form.get("attribute[consent_publish]") or "").strip().lower() in TRUE:
        data["consent"] = "y"
    return data


def _refusal(form) -> Problem:
    name, messages = next(iter(form.errors.items()))
    return Problem(400, f"{FIELD_NAMES.get(name, name)}: {messages[0]}")


@georeport
def _file_request(fmt):
    now = utcnow()
    if keys.authenticate(request.form.get("api_key"), now) is None:
        raise Problem(403, _("A valid api_key is required to file a request."))
    form = ComplaintForm(formdata=_form_data(request.form), meta={"csrf": False})
    form.category.choices = [(c.code, c) for c in _categories()]
    if not form.validate():
        raise _refusal(form)
    data = replace(
        form.to_input(ip=request.remote_addr or "", locale=str(get_locale() or "zh")[:2]),
        channel=Channel.open311.value,
    )
    address = (request.form.get("address_string") or "").strip()
    if address and address != data.outfall_code:
        # Kept for the staff with the report (no geocoder: lat/long, a photo's GPS or an
        # outfall code is where it is).
        given = _("Address given: %(address)s", address=address[:200])
        data = replace(data, description=f"{data.description}\n{given}")
    # `media_url` is never read (see the module doc); the photos are the `media` files.
    files = [f for f in request.files.getlist("media") if f and f.filename]
    try:
        receipt = intake.submit(data, files, now)
    except UserError as error:
        field = FIELD_NAMES.get(error.field or "", error.field or "request")
        if error.field == "outfall" and data.outfall_code == address:
            field = "address_string"
        raise Problem(400, f"{field}: {error.message}") from None
    if not intake.commit(receipt):
        raise Problem(
            503, _("We could not save your report; nothing was stored. Please try again.")
        )
    complaint = receipt.complaint
    payload = [
        {
            "service_request_id": complaint.tracking_no,
            "token": geo.token_for(complaint.id, current_app.config["SECRET_KEY"]),
            "service_notice": None,
            "account_id": None,
        }
    ]
    body, mimetype = _body(fmt, ROOTS["requests"], payload)
    response = current_app.response_class(body, status=200, mimetype=mimetype)
    response.cache_control.no_store = True
    return response


def file_request(fmt):
    """File a report from another system (FixMyStreet-style multipart `media` photos)."""
    return _file_request(fmt)


file_request = csrf.exempt(
    limiter.limit(lambda: current_app.config["COMPLAINT_RATE_LIMIT"])(file_request)
)
bp.add_url_rule(f"/v2/requests.{FORMATS}", view_func=file_request, methods=["POST"])


# --- Every answer ------------------------------------------------------------------------


# The public reads are for any origin (no cookies are involved); the POST is not.
bp.after_request(allow_public_reads)


@bp.errorhandler(429)
def _too_many(error):
    return problem(429, str(error.description))


@bp.errorhandler(413)
def _too_large(_error):
    return problem(413, _("The request is too large."))


@bp.errorhandler(405)
def _not_allowed(_error):
    return problem(405, _("This method is not allowed here."))
