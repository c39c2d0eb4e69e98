"""Atom feeds: /outfalls/<code>/feed.atom, /waters/<id>/feed.atom, /regions/<code>/feed.atom
and /complaints/feed.atom (every new report). Public, cacheable, links from configuration."""

from datetime import UTC, datetime

from feedgen.feed import FeedGenerator
from flask import Blueprint, abort, current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..caching import public
from ..core.codes import is_plausible_code, normalise_code
from ..extensions import db
from ..geo.models import Region, WaterBody
from ..i18n import localname
from ..outfalls.models import Outfall
from ..urls import public_url
from . import feeds
from .feeds import Scope

bp = Blueprint("feeds", __name__)

ATOM = "application/atom+xml; charset=utf-8"
# A feed without entries still needs an <updated>; a fixed moment keeps its ETag stable.
EMPTY_UPDATED = datetime(2020, 1, 1, tzinfo=UTC)


def _atom(self_url: str, page_url: str, title: str, scope: Scope):
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(title)
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.author({"name": _("Outfall information portal")})
    feed.language(str(get_locale() or "zh"))
    found = feeds.entries(scope)
    feed.updated(found[0].at if found else EMPTY_UPDATED)
    for e in found:
        item = feed.add_entry(order="append")
        item.id(e.id)
        item.title(e.title)
        item.link(href=e.link, rel="alternate")
        item.updated(e.at)
        if e.summary:
            item.summary(e.summary)
    return current_app.response_class(feed.atom_str(pretty=False), mimetype=ATOM)


@bp.get("/outfalls/<code>/feed.atom")
@public
def outfall_feed(code: str):
    """An outfall's approvals, exceedances, remediation steps, changes and reports."""
    code = normalise_code(code)
    outfall = (
        db.session.scalars(select(Outfall).where(Outfall.code == code)).first()
        if is_plausible_code(code)
        else None
    )
    if outfall is None:
        abort(404)
    scope = feeds.outfall_scope(outfall.id)
    return _atom(
        public_url("feeds.outfall_feed", code=outfall.code),
        public_url("outfalls.show_outfall", code=outfall.code),
        _("Outfall %(name)s", name=outfall.name),
        scope,
    )


@bp.get("/waters/<int:water_id>/feed.atom")
@public
def water_feed(water_id: int):
    """Everything public about the outfalls of a water body (and the waters below it)."""
    water = db.session.get(WaterBody, water_id)
    if water is None:
        abort(404)
    return _atom(
        public_url("feeds.water_feed", water_id=water.id),
        public_url("outfalls.show_water", water_id=water.id),
        _("Outfalls of %(name)s", name=localname(water)),
        feeds.area_scope(water=water.id),
    )


@bp.get("/regions/<code>/feed.atom")
@public
def region_feed(code: str):
    """Everything public about the outfalls of a region (and the regions below it)."""
    region = db.session.scalars(select(Region).where(Region.code == code)).first()
    if region is None or not code.isdigit():
        abort(404)
    return _atom(
        public_url("feeds.region_feed", code=region.code),
        public_url("outfalls.list_outfalls", region=region.code),
        _("Outfalls in %(name)s", name=localname(region)),
        feeds.area_scope(region=region.code),
    )


@bp.get("/complaints/feed.atom")
@public
def complaints_feed():
    """Every new report, newest first (public summaries)."""
    return _atom(
        public_url("feeds.complaints_feed"),
        public_url("record.list_complaints"),
        _("New reports"),
        feeds.ALL_REPORTS,
    )
