"""The half-year progress report (Qinzhou §(十四): by 30 June and 30 December) as XLSX and PDF.

Exact counts at any date, by region, from the outfalls' own dates (the same arithmetic as
/progress: identified by the date, signed off by the date, retained apart). Both formats are
rendered from the one `report_rows`; the PDF embeds the signboards' vendored Noto Sans SC,
subset to the glyphs used (fpdf2, as portal/outfalls/signboard.py).
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
    for region, _water, _l1, _kind, _stage, dated, n in dated_rows():
        by_region.setdefault(region, []).extend([dated] * n)
        everything.extend([dated] * n)
    names = {r.id: (r.code, r.name) for r in db.session.scalars(select(Region))}
    rows = []
    for region_id, dated in sorted(by_region.items(), key=lambda kv: names[kv[0]][0]):
        t = tally(dated, on)
        rows.append((*names[region_id], t.identified, t.signed_off, t.retained, t.share))
    t = tally(everything, on)
    rows.append(("", _("Total"), t.identified, t.signed_off, t.retained, t.share))
    return rows


def _columns() -> list[str]:
    return [
        _("Region code"),
        _("Region"),
        _("Identified by then"),
        _("Signed off"),
        _("Retained"),
        _("Signed-off share"),
    ]


def share_text(share: float) -> str:
    """The share as both reports print it: one decimal, per cent."""
    return f"{share * 100:.1f} %"


_PDF_FONT = "NotoSansSC"  # the signboards' vendored font, embedded as fpdf2 subsets it


def report_pdf(on: date) -> bytes:
    """The same figures as `report_xlsx`, as an A4 PDF table (no personal data in it)."""
    from fpdf import FPDF  # ~0.4 s to import: only when a PDF is asked for

    from ..outfalls.signboard import pdf_font_path

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"{_('Remediation progress')} {on.isoformat()}")
    pdf.set_lang("zh-CN")
    pdf.set_creator("portal.remediation.report")
    pdf.add_font(_PDF_FONT, "", pdf_font_path())
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font(_PDF_FONT, size=16)
    pdf.cell(text=f"{_('Remediation progress')} {on.isoformat()}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_PDF_FONT, size=9)
    pdf.multi_cell(
        0,
        5,
        _(
            "Outfalls identified by the date, signed off (销号) by the date and retained, by "
            "region; retained outfalls are not counted as signed off."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    pdf.set_font(_PDF_FONT, size=9)
    widths = (28, 60, 26, 24, 20, 24)
    aligns = ("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")
    from fpdf.fonts import FontFace

    heading = FontFace(emphasis="", fill_color=(230, 230, 230))  # the one font is bold already
    with pdf.table(
        col_widths=widths, text_align=aligns, first_row_as_headings=True, headings_style=heading
    ) as table:
        table.row(_columns())
        for code, name, identified, signed, retained, share in report_rows(on):
            table.row([code, name, str(identified), str(signed), str(retained), share_text(share)])
    return bytes(pdf.output())


def report_xlsx(on: date) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = on.isoformat()
    sheet.append([_("Remediation progress"), on.isoformat()])
    sheet.append(_columns())
    for row in report_rows(on):
        sheet.append(list(row))
        sheet.cell(row=sheet.max_row, column=6).number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
