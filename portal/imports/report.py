"""The input sheet returned with a status and a message column on every row, so the
officer fixes it in Excel and loads it again; and the labels of every normalisation."""

from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..outfalls.labels import LEDGER_FIELD, LEDGER_VALUES, ledger_value_text
from . import readers
from .service import LEDGER_FIELDS, Report

STATUS = {
    "created": _l("created"),
    "updated": _l("updated"),
    "unchanged": _l("unchanged"),
    "refused": _l("not imported"),
}
NOTE_LABELS = {
    "fullwidth": _l("full-width characters made half-width"),
    "spaces": _l("stray spaces removed"),
    "code": _l("code normalised"),
    "number": _l("number read"),
    "dms": _l("degrees-minutes-seconds converted"),
    "swapped": _l("latitude and longitude swapped back"),
    "gcj02": _l("GCJ-02 converted to WGS84"),
    "bd09": _l("BD-09 converted to WGS84"),
    "excel_date": _l("Excel date serial read"),
    "date": _l("date read"),
    "deadline": _l("deadline read as the last day it allows"),
    "new_entity": _l("new entity"),
    "water_by_code": _l("receiving water taken by its code"),
    "plan_status": _l("remediation status not imported (the sign-off steps move it)"),
}


def field_heading(field: str, header) -> str:
    """What the officer calls a changed field: the sheet's own heading of its column, else
    the history's label of it."""
    col = header.columns.get(LEDGER_FIELDS.get(field, field))
    if col is not None and col < len(header.labels) and header.labels[col]:
        return header.labels[col]
    return str(LEDGER_FIELD.get(field, field))


class Wording:
    """A report's words in the current language, each translated once: a report has a
    message for every row of the sheet, and most say the same few things."""

    def __init__(self, header):
        self.header = header
        self._said: dict[tuple, str] = {}

    def _once(self, key: tuple, make) -> str:
        said = self._said.get(key)
        if said is None:
            said = self._said[key] = make()
        return said

    def note(self, kind: str) -> str:
        return self._once(("note", kind), lambda: str(NOTE_LABELS[kind]))

    def heading(self, field: str) -> str:
        return self._once(("heading", field), lambda: field_heading(field, self.header))

    def value(self, field: str, value) -> str:
        if isinstance(value, str) and field in LEDGER_VALUES:  # a code, by its label
            return self._once(("value", field, value), lambda: ledger_value_text(field, value))
        return ledger_value_text(field, value)


def message(outcome, say: Wording) -> str:
    """Everything the report says about one row, as one cell's text (`say`: the words of
    its report, shared by its rows)."""
    parts = [f"{cell}: {text}" for cell, text in outcome.messages]
    parts += [
        f"{say.heading(c['field'])}: {say.value(c['field'], c['old'])}"
        f" → {say.value(c['field'], c['new'])}"
        for c in outcome.changes
    ]
    parts += [f"{say.note(note.kind)}: {note.old} → {note.new}" for _key, note in outcome.notes]
    return "；".join(parts)


def write_report(source: Path, filename: str, report: Report, out: Path) -> None:
    """The input sheet (first sheet, values) with 状态/说明 columns appended, as .xlsx."""
    from openpyxl import Workbook

    config = current_app.config
    sheet = readers.open_sheet(
        source, filename, max_bytes=config["IMPORT_MAX_BYTES"], max_rows=config["IMPORT_MAX_ROWS"]
    )
    by_row = {o.row: o for o in report.outcomes}
    wording = Wording(report.header)
    book = Workbook(write_only=True)
    ws = book.create_sheet(_("Import report"))
    header_row = report.header.row + 1
    for number, row in enumerate(sheet.rows, 1):
        row = list(row)
        if number == header_row:
            row += [_("Status"), _("Message")]
        elif number in by_row:
            outcome = by_row[number]
            row += [str(STATUS[outcome.status]), message(outcome, wording)]
        ws.append(row)
    book.save(out)
