"""The import: read a file, check every row as the ledger would (dry run), then apply it
all in one transaction (all or nothing). The CLI and the upload page call the same two.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.errors import UserError
from ..extensions import db
from ..outfalls.models import Outfall
from . import headers, readers
from .normalise import Note
from .rows import Lookups, read_row

CHUNK = 1000

# The ledger's field names → the sheet's columns, to name the cell of a refusal.
LEDGER_FIELDS = {
    "category_l1": "type",
    "category_l2": "subtype",
    "water_body_id": "water_body",
    "region_id": "region",
    "channel_kind": "channel",
    "signboard_installed_on": "signboard_on",
    "supervising_department_id": "department",
    "responsible_entity_ids": "responsible",
    "management_entity_id": "management",
}


@dataclass
class RowOutcome:
    """One input row in the report: created / updated / unchanged / refused."""

    row: int  # 1-based row number in the sheet
    status: str
    messages: list[tuple[str, str]] = field(default_factory=list)  # (column label, text)
    changes: list[dict[str, Any]] = field(default_factory=list)
    notes: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class Report:
    """The whole file's verdict."""

    filename: str
    header: headers.Header
    outcomes: list[RowOutcome]
    applied: bool = False

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def _column(header: headers.Header, key: str) -> str:
    col = header.columns.get(key)
    if col is None:
        return ""
    letters, c = "", col + 1
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def run(
    path: Path,
    filename: str,
    *,
    apply: bool,
    actor=None,
    crs: str = "wgs84",
    create_waters: bool = False,
    confirm_boundary: bool = False,
    progress: Callable[[int, int | None], None] | None = None,
) -> Report:
    """Check every row of the file and, when `apply`, write them all (caller commits).

    Raises:
        UserError: the file is refused as a whole (see readers), or has no header.
    """

    config = current_app.config
    sheet = readers.open_sheet(
        path, filename, max_bytes=config["IMPORT_MAX_BYTES"], max_rows=config["IMPORT_MAX_ROWS"]
    )
    head: list[list] = []
    for row in sheet.rows:
        head.append(row)
        if len(head) >= headers.SCAN_ROWS:
            break
    header = headers.find_header(head, sheet.merged)
    if header is None:
        raise UserError(
            _l("No header found: a row must name the code column and two others."),
            "file",
        )
    lookups = Lookups.load()
    # Data rows (an estimate until read: csv files are counted as they are read).
    total = sheet.height - header.data_start if sheet.height else None
    reason = filename
    outcomes: list[RowOutcome] = []
    seen: dict[str, int] = {}

    def rows():
        yield from enumerate(head[header.data_start :], header.data_start + 1)
        yield from enumerate(sheet.rows, len(head) + 1)

    batch: list[tuple[int, list]] = []

    def flush_batch():
        codes = [readers_code(r, header) for _n, r in batch]
        existing = {
            o.code: o
            for o in db.session.scalars(
                select(Outfall)
                .where(Outfall.code.in_([c for c in codes if c]))
                .options(selectinload(Outfall.responsible_links))
            )
        }
        for number, cells in batch:
            outcomes.append(
                _one(
                    number,
                    cells,
                    header,
                    lookups,
                    existing,
                    seen,
                    apply,
                    actor,
                    reason,
                    crs,
                    create_waters,
                    confirm_boundary,
                )
            )
        batch.clear()
        if progress:
            progress(len(outcomes), total)

    for number, cells in rows():
        if number > config["IMPORT_MAX_ROWS"] + header.data_start:
            raise UserError(
                _l("The file has more than %(n)s rows.", n=config["IMPORT_MAX_ROWS"]), "file"
            )
        if not any(str(v).strip() for v in cells if v is not None):
            continue
        batch.append((number, cells))
        if len(batch) >= CHUNK:
            flush_batch()
    if batch:
        flush_batch()
    return Report(filename, header, outcomes, applied=apply)


def readers_code(cells: list, header: headers.Header) -> str:
    from .normalise import clean_code

    col = header.columns["code"]
    return clean_code(cells[col] if col < len(cells) else None)[0]


def _one(
    number,
    cells,
    header,
    lookups,
    existing,
    seen,
    apply,
    actor,
    reason,
    crs,
    create_waters,
    confirm_boundary,
) -> RowOutcome:
    from . import registry

    by_field = {
        key: (cells[col] if col < len(cells) else None) for key, col in header.columns.items()
    }
    row = read_row(by_field, lookups, crs=crs, create_waters=create_waters)
    outcome = RowOutcome(number, "refused", notes=row.notes)
    code = row.values["code"]

    def cell(key):
        letter = _column(header, key)
        return f"{letter}{number}" if letter else key

    if code in seen:
        outcome.messages.append(
            (cell("code"), str(_l("The same code as row %(n)s.", n=seen[code])))
        )
        return outcome
    seen[code] = number
    if row.errors:
        outcome.messages += [(cell(k), str(m)) for k, m in row.errors]
        return outcome
    outfall = existing.get(code)
    values = dict(row.values)
    if apply:
        if row.new_water:
            values["water_body_id"] = registry.water_body_id(
                row.new_water,
                "sea" if values["water_kind"] == "sea" else "river",
                actor=actor,
                reason=reason,
            )
            lookups.waters_by_name[row.new_water] = [
                (values["water_body_id"], values["water_kind"] == "sea")
            ]
        values["responsible_entity_ids"] = [
            registry.entity_id(name, credit, actor=actor, reason=reason)
            for name, credit in row.entities
        ]
        if row.management:
            values["management_entity_id"] = registry.entity_id(
                row.management, None, actor=actor, reason=reason
            )
    else:
        # A dry run creates nothing: the entities it finds count, new ones are noted.
        ids = []
        for name, credit in row.entities:
            found = registry.find_entity(name, credit)
            if found is None:
                outcome.notes.append(("responsible", Note("new_entity", "", name)))
            else:
                ids.append(found)
        values["responsible_entity_ids"] = ids
        if row.management:
            found = registry.find_entity(row.management, None)
            values["management_entity_id"] = found
            if found is None:
                outcome.notes.append(("management", Note("new_entity", "", row.management)))
    boundary = confirm_boundary
    if outfall is not None:
        for key in ("local_code", "standard_code"):
            values.setdefault(key, getattr(outfall, key))
        # A spreadsheet keeps 15 significant digits: within a centimetre is the same point.
        for key in ("lat", "lon"):
            old = getattr(outfall, key)
            if values[key] is not None and old is not None and abs(values[key] - old) < 1e-7:
                values[key] = old
        # A point already accepted in its region is not asked about again.
        boundary = boundary or (
            (values["lat"], values["lon"], values["region_id"])
            == (outfall.lat, outfall.lon, outfall.region_id)
        )
    data = registry.outfall_data(values)
    problems = (
        []
        if row.new_water and not apply
        else registry.problems(data, outfall, confirm_boundary=boundary)
    )
    if problems:
        outcome.messages += [
            (cell(LEDGER_FIELDS.get(p.field, p.field or "code")), str(p.message)) for p in problems
        ]
        return outcome
    if outfall is None:
        outcome.status = "created"
        if apply:
            registry.write(
                None, data, actor=actor, reason=reason, confirm_boundary=confirm_boundary
            )
        return outcome
    changes = registry.changes(outfall, data)
    outcome.status = "updated" if changes else "unchanged"
    outcome.changes = changes
    if apply and changes:
        registry.write(outfall, data, actor=actor, reason=reason, confirm_boundary=boundary)
    return outcome
