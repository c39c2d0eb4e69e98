"""The import: read a file, check every row as the ledger would (dry run), then apply it.

Rows go in batches of CHUNK: what the ledger's rules ask of the registry is loaded once
per batch (`ledger.BatchLookups`), the rows are judged by `ledger.check` (the forms' own
rules), and an apply writes each batch with `ledger.write_batch` (bulk inserts, one
flush, the history entries in one insert). An apply checks the whole file first and
writes nothing when a row is refused; then it writes batch by batch. Without a
`checkpoint` the caller commits once (the CLI: all or nothing); with one (the upload
page's job), each batch is committed together with the job's record of how far it got,
so a crash leaves the job saying so and a rerun resumes (rows already applied come out
unchanged: apply is idempotent). The rows come read (`reading`: by a reader process on
another core for a large file), judged and written here.
"""

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.bulk import fewer_collections
from ..core.clock import local_date, utcnow
from ..extensions import db
from ..outfalls import ledger
from ..outfalls.models import Outfall
from . import headers, reading, records, registry
from .normalise import Note
from .rows import Lookups, RowResult, read_row

CHUNK = 1000

# The ledger's field names (its form's and its history's) → the sheet's columns, to name
# the cell of a refusal and the column of a change.
LEDGER_FIELDS = {
    "category_l1": "type",
    "category_l2": "subtype",
    "water_body_id": "water_body",
    "region_id": "region",
    "channel_kind": "channel",
    "signboard_installed_on": "signboard_on",
    "supervising_department_id": "department",
    "supervising_department": "department",
    "responsible_entity_ids": "responsible",
    "responsible_entities": "responsible",
    "management_entity_id": "management",
    "management_entity": "management",
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


@fewer_collections()  # a bulk write (see core.bulk)
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
    checkpoint: Callable[[int, dict[str, int]], None] | None = None,
) -> Report:
    """Check every row of the file and, when `apply` and no row is refused, write them.

    Without `checkpoint` an apply is one reading in one transaction (all or nothing): each
    batch is written as soon as it is judged, and a refused row rolls the session back
    (the caller commits an applied report). With `checkpoint(last_row, written)` (the
    upload page's job) the whole file is checked first, then written batch by batch, and
    `checkpoint` is called after each written batch with its last sheet row and the
    created/updated counts so far; it may commit. `progress(done, total)` follows the
    rows (checked, then written: each row twice with a checkpoint).

    Raises:
        UserError: the file is refused as a whole (see readers), or has no header.
        ledger.EditConflict: someone saved an outfall of the file meanwhile.
    """
    spec = reading.Spec(
        str(path),
        filename,
        max_bytes=current_app.config["IMPORT_MAX_BYTES"],
        max_rows=current_app.config["IMPORT_MAX_ROWS"],
        crs=crs,
        create_waters=create_waters,
        chunk=CHUNK,
    )
    options = (actor, confirm_boundary, progress)
    if apply and checkpoint is None:
        header, outcomes = _pass(spec, True, *options, None, 1, strict=True)
        if any(o.status == "refused" for o in outcomes):
            db.session.rollback()
            return Report(filename, header, outcomes, applied=False)
        return Report(filename, header, outcomes, applied=True)
    header, outcomes = _pass(spec, False, *options, None, 2 if apply else 1)
    if not apply or any(o.status == "refused" for o in outcomes):
        return Report(filename, header, outcomes, applied=False)
    # Only the rows to create or update are read again, judged against the registry as it
    # is now, and written; an unchanged row stays as the check found it.
    todo = {o.row for o in outcomes if o.status in ("created", "updated")}
    _, rewritten = _pass(spec, True, *options, checkpoint, 2, done=len(outcomes), only=todo)
    written = {o.row: o for o in rewritten}
    return Report(filename, header, [written.get(o.row, o) for o in outcomes], applied=True)


@contextmanager
def _reading(spec: reading.Spec, only: set[int] | None):
    """(header, data rows or None, batches of rows read) of one reading of the file: by a
    reader process for a large file (see reading), else here."""
    if Path(spec.path).stat().st_size >= current_app.config["IMPORT_READER_MIN_BYTES"]:
        with reading.ReaderProcess(spec, only) as reader:
            yield reader.header, reader.total, reader.batches()
        return
    opened = reading.open_file(spec)
    yield opened.header, reading.total_rows(opened), reading.batches(opened, spec, only)


def _pass(
    spec: reading.Spec,
    write,
    actor,
    confirm_boundary,
    progress,
    checkpoint,
    passes,
    done=0,
    only: set[int] | None = None,
    strict: bool = False,
) -> tuple[headers.Header, list[RowOutcome]]:
    """One reading of the file: judge every row (or those in `only`), and with `write`
    write each batch. `done` rows were processed before this pass (for `progress`).
    `strict`: after a refused row nothing more is written (the caller rolls back)."""
    names = Lookups.load()
    spec = replace(spec, names=names)
    lookups = ledger.BatchLookups()
    context = records.FileContext.load()
    outcomes: list[RowOutcome] = []
    seen: dict[str, int] = {}
    counts = {"created": 0, "updated": 0}
    writing = write
    with _reading(spec, only) as (header, rows, batches):
        total = rows * passes if rows is not None else None
        if only is not None:
            total = done + len(only)
        for batch in batches:
            judged = _batch(
                batch,
                header,
                names,
                lookups,
                seen,
                writing,
                actor,
                spec,
                confirm_boundary,
                counts,
                context,
                strict,
            )
            outcomes.extend(judged)
            if strict and any(o.status == "refused" for o in judged):
                writing = False
            if write and checkpoint is not None:
                checkpoint(batch[-1][0], dict(counts))
            if progress:
                progress(done + len(outcomes), total)  # the job's progress commits the batch
    return header, outcomes


def _batch(
    batch,
    header,
    names,
    lookups,
    seen,
    write,
    actor,
    spec: reading.Spec,
    confirm_boundary,
    counts,
    context: "records.FileContext",
    strict: bool = False,
) -> list[RowOutcome]:
    """Judge a batch of rows read with what they ask loaded at once; with `write`, write
    them."""
    reason = spec.filename
    read = [row for _number, _cells, row in batch]
    codes = [row.values["code"] for row in read if row.values["code"]]
    existing = {
        o.code: o
        for o in db.session.scalars(
            select(Outfall)
            .where(Outfall.code.in_(codes))
            .options(selectinload(Outfall.responsible_links))
        )
    }
    held = records.BatchRecords.load(list(existing.values()))
    now = utcnow()
    today = local_date(now)
    lookups.prefetch(
        codes,
        existing.values(),
        entity_names=[n for row in read for n, _c in row.entities]
        + [row.management for row in read if row.management],
        credit_codes=[c for row in read for _e, c in row.entities if c],
    )
    # The entities the rows name that the registry lacks: created at once by an apply,
    # planned by a dry run (a placeholder id, and a note on the row).
    new: dict[tuple[str, str | None], None] = {}
    for row in read:
        for name, credit in [*row.entities, *([(row.management, None)] if row.management else [])]:
            if lookups.find_entity(name, credit) is None:
                new[(name, credit)] = None
    if write:
        ledger.create_entities(
            [ledger.EntityData(name=name, credit_code=credit) for name, credit in new],
            actor=actor,
            reason=reason,
            lookups=lookups,
        )
    else:
        for name, credit in new:
            lookups.plan_entity(name, credit)
    outcomes, plans, works = [], [], []
    for number, cells, row in batch:
        if row.new_water and row.new_water in names.waters_by_name:
            # An earlier row of the file created (or planned) this water: read as naming it.
            row = read_row(cells, names, crs=spec.crs, create_waters=spec.create_waters)
        outcome, planned, work = _one(
            number,
            row,
            header,
            names,
            lookups,
            existing,
            seen,
            write,
            actor,
            reason,
            confirm_boundary,
            held,
            context,
            today,
        )
        outcomes.append(outcome)
        if planned is not None:
            plans.append(planned)
        if work is not None:
            works.append(work)
    if strict and any(o.status == "refused" for o in outcomes):
        write = False
    if write and (plans or works):
        entries: list[dict[str, Any]] = []
        new_ids = ledger.write_batch(
            plans, actor=actor, reason=reason, lookups=lookups, now=now, entries=entries
        )
        ids = {code: o.id for code, o in existing.items()}
        ids.update(zip([p.data.code for p in plans if p.outfall is None], new_ids, strict=True))
        records.write(
            works,
            entries,
            outfall_ids=ids,
            new_ids=set(new_ids),
            outfalls=existing,
            actor=actor,
            reason=reason,
            now=now,
            today=today,
        )
        for o in outcomes:
            if o.status in counts:
                counts[o.status] += 1
    return outcomes


def _one(
    number: int,
    row: RowResult,
    header,
    names: Lookups,
    lookups: "ledger.BatchLookups",
    existing,
    seen,
    write,
    actor,
    reason,
    confirm_boundary,
    held: "records.BatchRecords",
    context: "records.FileContext",
    today,
) -> tuple[RowOutcome, "ledger.Plan | None", "records.Work | None"]:
    """One row's outcome, its plan when the outfall is to be written, and what else it
    writes (a decision, a plan)."""
    outcome = RowOutcome(number, "refused", notes=row.notes)
    code = row.values["code"]

    def cell(key):
        letter = _column(header, key)
        return f"{letter}{number}" if letter else key

    if code in seen:
        outcome.messages.append(
            (cell("code"), str(_l("The same code as row %(n)s.", n=seen[code])))
        )
        return outcome, None, None
    seen[code] = number
    if row.errors:
        outcome.messages += [(cell(k), str(m)) for k, m in row.errors]
        return outcome, None, None
    outfall = existing.get(code)
    values = dict(row.values)
    kind_sea = values["water_kind"] == "sea"
    if row.new_water:
        # A dry run plans the water; the apply creates it once, through the ledger.
        if write:
            values["water_body_id"] = registry.water_body_id(
                row.new_water, "sea" if kind_sea else "river", actor=actor, reason=reason
            )
            lookups.add_water(values["water_body_id"], row.new_water, kind_sea)
        else:
            values["water_body_id"] = lookups.plan_water(row.new_water, kind_sea)
        names.waters_by_name[row.new_water] = [(values["water_body_id"], kind_sea)]

    def entity(name, credit, key):
        found = lookups.find_entity(name, credit)
        if found is not None and found < 0:
            outcome.notes.append((key, Note("new_entity", "", name)))
        return found

    values["responsible_entity_ids"] = [
        entity(name, credit, "responsible") for name, credit in row.entities
    ]
    if row.management:
        values["management_entity_id"] = entity(row.management, None, "management")
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
    planned = ledger.plan(
        data,
        outfall=outfall,
        actor=actor,
        confirm_boundary=boundary,
        lookups=lookups,
        key=("row", number),
    )
    if planned.problems:
        outcome.messages += [
            (cell(LEDGER_FIELDS.get(p.field, p.field or "code")), str(p.message))
            for p in planned.problems
        ]
        return outcome, None, None
    verdict = records.judge(row, data, outfall, held, context, today)
    outcome.notes += verdict.notes
    if verdict.refusals:
        outcome.messages += [(cell(key), str(m)) for key, m in verdict.refusals]
        return outcome, None, None
    if outfall is None:
        outcome.status = "created"
        outcome.changes = verdict.changes  # the decision and plan it comes with
        return outcome, planned, verdict.work
    outcome.changes = planned.changes + verdict.changes
    outcome.status = "updated" if outcome.changes else "unchanged"
    return outcome, planned if planned.changes else None, verdict.work
