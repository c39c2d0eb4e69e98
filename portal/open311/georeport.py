"""The GeoReport v2 shapes: services, definitions, requests and errors, as JSON and XML.

Documents are built as plain lists of dicts (the JSON form); `to_xml` writes the same data
as the spec's XML (a root element, one child element per item, booleans as true/false,
None as an empty element). Requests carry only what the public summary of a complaint
shows: no reporter, the place rounded as on the public pages (record.PUBLIC_DECIMALS),
the description and photo only with the reporter's consent.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..agencies.models import Department
from ..complaints.categories import CATEGORY_GROUP, CATEGORY_GROUPS, CATEGORY_KEYWORDS
from ..complaints.models import Complaint, ComplaintCategory, ComplaintPhoto
from ..complaints.record import PUBLIC_DECIMALS
from ..complaints.tokens import normalise_tracking_no
from ..core.clock import LOCAL_TZ
from ..core.errors import UserError
from ..core.xmltext import xml_text
from ..dbtypes import local_iso_text
from ..extensions import db
from ..outfalls.models import Outfall

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
# GET requests: at most this many, newest first; the window when no dates are given, and
# the widest one may ask for (the spec's 90 days).
MAX_REQUESTS = 1000
WINDOW = timedelta(days=90)
MAX_IDS = 100

# --- XML ---------------------------------------------------------------------------------

# The element each item of a list root is written as.
ITEM = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


def _text(value) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    # The forms refuse what XML cannot carry; this keeps a document well formed.
    return xml_text(value if type(value) is str else str(value))


def _write(out: list[str], tag: str, value) -> None:
    """Append `<tag>value</tag>` (lists as ITEM children, dicts as child elements)."""
    if isinstance(value, dict):
        out.append(f"<{tag}>")
        for key, child in value.items():
            # The common cases (text, a number, nothing) written here, not by another call.
            if child.__class__ is str:
                out.append(f"<{key}>{xml_text(child)}</{key}>" if child else f"<{key} />")
            elif child is None:
                out.append(f"<{key} />")
            elif isinstance(child, (dict, list)):
                _write(out, key, child)
            else:
                out.append(f"<{key}>{_text(child)}</{key}>")
        out.append(f"</{tag}>")
    elif isinstance(value, list):
        out.append(f"<{tag}>")
        item = ITEM.get(tag, "item")
        for child in value:
            _write(out, item, child)
        out.append(f"</{tag}>")
    elif value is None or value == "":
        out.append(f"<{tag} />")
    else:
        out.append(f"<{tag}>{_text(value)}</{tag}>")


def to_xml(root: str, value) -> bytes:
    """`value` (a list for list roots, a dict otherwise) as the spec's XML document.

    Written as text (tags are this module's fixed names, text is escaped): a thousand
    requests as an ElementTree cost twice the time of the query.
    """
    out = ["<?xml version='1.0' encoding='utf-8'?>\n"]
    _write(out, root, value)
    return "".join(out).encode()


def errors(code: int, description: str) -> list[dict]:
    """The spec's error array."""
    return [{"code": code, "description": description}]


# --- Services ----------------------------------------------------------------------------


def _named(zh: str, en: str, english: bool) -> str:
    return (en or zh) if english else zh


def service(category: ComplaintCategory, english: bool) -> dict:
    """One complaint category as a GeoReport service (every one has attributes)."""
    group = CATEGORY_GROUPS[CATEGORY_GROUP.get(category.code, "other")]
    return {
        "service_code": category.code,
        "service_name": _named(category.name, category.name_en, english),
        "description": _named(category.name, category.name_en, not english),
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(CATEGORY_KEYWORDS.get(category.code, ())),
        "group": _named(*group, english),
    }


def attributes() -> list[dict]:
    """What a report may say besides the spec's own fields: the web form's outfall code and
    its consent to publish the description and photos (the same for every category)."""
    return [
        {
            "variable": True,
            "code": "outfall_code",
            "datatype": "string",
            "required": False,
            "datatype_description": _("The HJ 1235 code on the outfall's signboard."),
            "order": 1,
            "description": _("Outfall code (if known)"),
        },
        {
            "variable": True,
            "code": "consent_publish",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": _("Without it, the description and photos stay private."),
            "order": 2,
            "description": _(
                "My description and photos may be published without my personal data."
            ),
            "values": [
                {"key": "true", "name": _("Yes")},
                {"key": "false", "name": _("No")},
            ],
        },
    ]


def definition(category: ComplaintCategory) -> dict:
    return {"service_code": category.code, "attributes": attributes()}


# --- Requests ----------------------------------------------------------------------------


@dataclass
class RequestQuery:
    """GET requests' filters, checked: either ids, or a window with optional filters."""

    ids: tuple[str, ...] = ()
    category_ids: tuple[int, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    open: bool | None = None


def parse_moment(raw: str, name: str) -> datetime:
    """A W3C date-time (2026-11-01T00:00:00Z, or with an offset; a bare date or a time
    without offset is China time).

    Raises:
        UserError: not a date-time (field `name`).
    """
    try:
        text = raw.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(_("Not a W3C date-time such as 2026-11-01T00:00:00Z."), name) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment


def request_query(args, now: datetime) -> RequestQuery:
    """The checked filters of GET requests (the spec's rules: ids override the rest; the
    window defaults to the last 90 days and spans at most 90).

    Raises:
        UserError: a bad date, a window too wide or upside down, an unknown service code
            or status, too many ids (the parameter's name as field).
    """
    ids = [i.strip() for i in (args.get("service_request_id") or "").split(",") if i.strip()]
    if ids:
        if len(ids) > MAX_IDS:
            raise UserError(_("At most %(n)s tracking numbers.", n=MAX_IDS), "service_request_id")
        return RequestQuery(ids=tuple(normalise_tracking_no(i) for i in ids))
    query = RequestQuery()
    codes = [c.strip() for c in (args.get("service_code") or "").split(",") if c.strip()]
    if codes:
        found = dict(
            db.session.execute(
                select(ComplaintCategory.code, ComplaintCategory.id).where(
                    ComplaintCategory.code.in_(codes)
                )
            ).all()
        )
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise UserError(
                _("No service has the code %(code)s.", code=unknown[0][:40]), "service_code"
            )
        query.category_ids = tuple(sorted(set(found.values())))
    statuses = {s.strip() for s in (args.get("status") or "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise UserError(_("Either open or closed."), "status")
    if len(statuses) == 1:
        query.open = statuses == {"open"}
    start = parse_moment(args["start_date"], "start_date") if args.get("start_date") else None
    end = parse_moment(args["end_date"], "end_date") if args.get("end_date") else None
    if start is None and end is None:
        end = now
    if start is None:
        start = end - WINDOW
    if end is None:
        end = min(start + WINDOW, max(now, start))
    if end < start:
        raise UserError(_("It is before start_date."), "end_date")
    if end - start > WINDOW:
        raise UserError(_("The dates may span at most 90 days."), "end_date")
    query.start, query.end = start, end
    return query


# Columns of a request: public ones only (see the module doc).
_DEPT = aliased(Department)
COLUMNS = (
    Complaint.id,
    Complaint.tracking_no,
    Complaint.is_open,
    Complaint.status,
    ComplaintCategory.code,
    ComplaintCategory.name,
    ComplaintCategory.name_en,
    Complaint.description,
    Complaint.consent_publish,
    # Moments written in China time by the database (`local_iso` in SQL).
    local_iso_text(Complaint.created_at),
    local_iso_text(Complaint.updated_at),
    Complaint.lat,
    Complaint.lon,
    Outfall.code,
    Outfall.name,
    _DEPT.name,
    _DEPT.name_en,
    local_iso_text(Complaint.complete_due_at),
    Complaint.paused_at.is_not(None),
)


def _select():
    return (
        select(*COLUMNS)
        .join(ComplaintCategory, ComplaintCategory.id == Complaint.category_id)
        .outerjoin(Outfall, Outfall.id == Complaint.outfall_id)
        .outerjoin(_DEPT, _DEPT.id == Complaint.department_id)
    )


def find_requests(query: RequestQuery) -> list:
    """The rows for GET requests, newest first, at most MAX_REQUESTS."""
    return db.session.execute(requests_statement(query)).all()


def requests_statement(query: RequestQuery):
    """GET requests' query: one index range scan (the window on created_at, led by the
    category or the open flag when filtered), cut at MAX_REQUESTS."""
    statement = _select()
    if query.ids:
        statement = statement.where(Complaint.tracking_no.in_(query.ids))
    else:
        statement = statement.where(
            Complaint.created_at >= query.start, Complaint.created_at <= query.end
        )
        if query.category_ids:
            statement = statement.where(Complaint.category_id.in_(query.category_ids))
        if query.open is not None:
            statement = statement.where(Complaint.is_open.is_(query.open))
    statement = statement.where(Complaint.tracking_no.is_not(None))
    return statement.order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(MAX_REQUESTS)


def find_request(raw_id: str):
    """The row of one request by its tracking number (however typed), or None."""
    number = normalise_tracking_no(raw_id)
    return db.session.execute(_select().where(Complaint.tracking_no == number)).first()


def first_photos(rows) -> dict[int, int]:
    """{complaint id: its first published photo id} for the consenting rows, in one query."""
    ids = [r[0] for r in rows if r.consent_publish]
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(ComplaintPhoto.complaint_id, func.min(ComplaintPhoto.id))
            .where(ComplaintPhoto.complaint_id.in_(ids), ComplaintPhoto.event_id.is_(None))
            .group_by(ComplaintPhoto.complaint_id)
        ).all()
    )


@dataclass
class Links:
    """URL prefixes of the public pages (built once per response)."""

    complaint: str  # ends before the tracking number

    def page(self, number: str) -> str:
        if number.isascii() and number.replace("-", "").isalnum():
            return self.complaint + number  # a tracking number as issued: nothing to quote
        return self.complaint + quote(number, safe="")

    def photo(self, number: str, photo_id: int) -> str:
        return f"{self.page(number)}/photos/{photo_id}/photo.jpg"


def render_request(
    row, photos: dict[int, int], links: Links, english: bool, notes: dict[str, str]
) -> dict:
    """A row as a GeoReport request, public fields only; `notes` are the status labels in
    the reader's language (looked up once per answer, not once per row)."""
    (
        complaint_id,
        number,
        is_open,
        status,
        code,
        name,
        name_en,
        description,
        consent,
        created_at,
        updated_at,
        lat,
        lon,
        outfall_code,
        outfall_name,
        dept_name,
        dept_name_en,
        due_at,
        paused,
    ) = row
    if lat is not None and lon is not None:
        lat, lon = round(lat, PUBLIC_DECIMALS), round(lon, PUBLIC_DECIMALS)
    if outfall_code:
        address = f"{outfall_name} ({outfall_code})"
    elif lat is not None and lon is not None:
        address = f"{lat:.{PUBLIC_DECIMALS}f}° N, {lon:.{PUBLIC_DECIMALS}f}° E"
    else:
        address = None
    photo = photos.get(complaint_id)
    return {
        "service_request_id": number,
        "status": "open" if is_open else "closed",
        "status_notes": notes.get(status, ""),
        "service_name": (name_en or name) if english else name,
        "service_code": code,
        "description": description if consent else None,
        "agency_responsible": ((dept_name_en or dept_name) if english else dept_name)
        if dept_name
        else None,
        "service_notice": None,
        "requested_datetime": created_at,
        "updated_datetime": updated_at,
        # The completion deadline the tracking page shows: while open and not paused (a
        # pause waiting for the reporter moves it; no date is better than a wrong one).
        "expected_datetime": due_at if is_open and not paused else None,
        "address": address,
        "address_id": outfall_code,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": links.photo(number, photo) if photo else None,
        "url": links.page(number),
    }


# --- Tokens ------------------------------------------------------------------------------


def token_for(complaint_id: int, secret: str) -> str:
    """The spec's token of a filed request: public (it leads only to the tracking number),
    unforgeable (keyed), and unlike the reporter's private link."""
    mac = hmac.new(secret.encode(), f"open311-token:{complaint_id}".encode(), hashlib.sha256)
    return f"{complaint_id}-{base64.urlsafe_b64encode(mac.digest()[:12]).decode()}"


def tracking_no_for_token(token: str, secret: str) -> str | None:
    """The tracking number a token stands for, or None for a token this portal never gave."""
    head, dash, _mac = (token or "").partition("-")
    if not dash or not head.isdigit() or len(head) > 10 or len(token) > 40:
        return None
    if not hmac.compare_digest(token_for(int(head), secret), token):
        return None
    return db.session.scalar(select(Complaint.tracking_no).where(Complaint.id == int(head)))
