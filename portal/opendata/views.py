"""/data: the open datasets, their fields, licence, size and date; /data/<dataset>.<format>
streams one (the outfall list's or the public record's filters apply), with an ETag and
Last-Modified so a repeat download is a 304."""

import hashlib
from datetime import UTC

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.http import http_date, is_resource_modified

from ..caching import public
from ..complaints import record
from ..complaints.record_forms import RecordFilterForm
from ..core.clock import local_today, utcnow
from ..core.errors import UserError
from ..core.periods import PeriodError, parse_period
from ..extensions import db
from ..forms import labelled_errors
from ..outfalls.forms import OutfallFilterForm
from ..outfalls.services import filter_choices
from . import writers
from .datasets import DATASETS
from .schema import count, records, version

bp = Blueprint("opendata", __name__, url_prefix="/data")

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}
DEFAULT_LICENCE = _l(
    "Open data: free to use, share and adapt for any purpose, with attribution to the "
    "Qinzhou outfall information portal (CC BY 4.0)."
)
RECORD_PERIODS = frozenset({"all", "days", "12m", "year", "month"})


def licence() -> str:
    return current_app.config.get("OPEN_DATA_LICENCE") or str(DEFAULT_LICENCE)


@bp.get("/")
@public
def index():
    """Every dataset with its fields, licence line, row count and "data as of"."""
    rows = []
    for ds in DATASETS.values():
        v = version(ds)
        rows.append((ds, db.session.scalar(select(count(ds))) or 0, v.modified))
    regions, waters = filter_choices()
    return render_template(
        "opendata/index.html",
        datasets=rows,
        licence=licence(),
        licence_url=current_app.config.get("OPEN_DATA_LICENCE_URL"),
        form=OutfallFilterForm(request.args),
        regions=regions,
        waters=waters,
        now=utcnow(),
    )


class BadFilter(Exception):
    def __init__(self, messages: list[str]):
        self.messages = messages


def _filters(scope: str | None):
    """The validated filters of a download (the list page's forms and rules).

    Raises:
        BadFilter: a value the list page would refuse (with its messages).
    """
    if scope == "outfalls":
        form = OutfallFilterForm(request.args)
        if not form.validate():
            raise BadFilter(labelled_errors(form))
        return form.filters()
    if scope == "complaints":
        form = RecordFilterForm(request.args)
        if not form.validate():
            raise BadFilter(labelled_errors(form))
        query = form.query()
        try:
            period = parse_period(query.period, local_today(), allowed=RECORD_PERIODS)
            return record.resolve(query, period)
        except PeriodError:
            raise BadFilter([record.period_error()]) from None
        except UserError as error:
            raise BadFilter([str(error.message)]) from None
    return None


def _etag(slug: str, fmt: str, token: str) -> str:
    args = "&".join(f"{k}={v}" for k, v in sorted(request.args.items(multi=True)))
    return hashlib.sha256(f"{slug}.{fmt}?{args}#{token}".encode()).hexdigest()[:32]


@bp.get("/<slug>.<any(csv, xlsx, geojson):fmt>")
def download(slug: str, fmt: str):
    """One dataset in one format, streamed; 304 when the client's copy is current."""
    ds = DATASETS.get(slug)
    if ds is None or fmt not in ds.formats:
        abort(404)
    try:
        filters = _filters(ds.scope)
    except BadFilter as error:
        return Response("\n".join(error.messages) + "\n", 400, mimetype="text/plain")
    v = version(ds)
    etag = _etag(slug, fmt, v.token)
    modified = v.modified.astimezone(UTC).replace(microsecond=0) if v.modified else None
    headers = {
        "ETag": f'"{etag}"',
        "Cache-Control": f"public, max-age={current_app.config['PUBLIC_CACHE_SECONDS']}",
        "Content-Disposition": f'attachment; filename="{slug}.{fmt}"',
        "Access-Control-Allow-Origin": "*",
    }
    if modified is not None:
        headers["Last-Modified"] = http_date(modified)
    if not is_resource_modified(request.environ, etag=etag, last_modified=modified):
        return Response(status=304, headers=headers)
    batches = records(ds, filters)
    if fmt == "csv":
        body = writers.csv_stream(ds, batches)
    elif fmt == "geojson":
        body = writers.geojson_stream(ds, batches)
    else:
        handle = writers.xlsx_file(ds, batches, licence())
        handle.seek(0, 2)
        headers["Content-Length"] = str(handle.tell())
        handle.seek(0)
        body = writers.file_chunks(handle)
    return Response(stream_with_context(body), mimetype=MIMETYPES[fmt], headers=headers)
