"""The half-year progress report (Qinzhou §(十四): by 30 June and 30 December) as XLSX.

Exact counts at any date, by region, from the outfalls' own dates (the same arithmetic as
/progress: identified by the date, signed off by the date, retained apart).
"""

import io
from datetime import date

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import select

from ..extensions import db
from ..geo.models import Region
from .progress import tally
from .rollup import dated_rows


def report_rows(on: date) -> list[tuple[str, str, int, int, int, float]]:
    """(region code, name, identified, signed off, retained, share) at `on`, and a total."""
    by_region: dict[int, list] = {}
    everything = []
    for region, _water, _l1, _kind, _stage, dated in dated_rows():
        by_region.setdefault(region, []).append(dated)
        everything.append(dated)
    names = {r.id: (r.code, r.name) for r in db.session.scalars(select(Region))}
    rows = []
    for region_id, dated in sorted(by_region.items(), key=lambda kv: names[kv[0]][0]):
        t = tally(dated, on)
        rows.append((*names[region_id], t.identified, t.signed_off, t.retained, t.share))
    t = tally(everything, on)
    rows.append(("", _("Total"), t.identified, t.signed_off, t.retained, t.share))
    return rows


def report_xlsx(on: date) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = on.isoformat()
    sheet.append([_("Remediation progress"), on.isoformat()])
    sheet.append(
        [
            _("Region code"),
            _("Region"),
            _("Identified by then"),
            _("Signed off"),
            _("Retained"),
            _("Signed-off share"),
        ]
    )
    for row in report_rows(on):
        sheet.append(list(row))
        sheet.cell(row=sheet.max_row, column=6).number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
