"""How a dataset is declared and read: columns, keyset batches and its version (ETag).

A dataset is one `Dataset` in datasets.py: its columns (a stable English name, an
explanation as an English msgid translated by Babel, an SQL expression or a value computed
from the row), the joins its columns need, and the aggregates that change whenever its data
does. Adding a column is adding one `Column` to that declaration.
"""

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Date, DateTime, Enum, String, TypeDecorator, and_, or_, select, type_coerce

from ..core.clock import local_iso, stored_moment
from ..dbtypes import local_iso_text
from ..extensions import db

BATCH = 2000


@dataclass(frozen=True)
class Column:
    """One field of a dataset."""

    name: str
    description: Any  # a lazy string
    expr: Any = None  # an SQL expression; None when `compute` derives the value
    kind: str = "text"  # text, int, float, date, datetime, bool, json, coord, coord3
    compute: Callable[[Any, dict], Any] | None = None  # (row, batch context) -> value
    hidden: bool = False  # selected for `compute`, not exported

    @property
    def coded(self) -> bool:
        """Its values are the codes of an enum (never free text)."""
        return self.expr is not None and isinstance(self.expr.type, Enum)


@dataclass(frozen=True)
class Dataset:
    """One downloadable table."""

    slug: str
    title: Any
    description: Any
    columns: tuple[Column, ...]
    joins: Callable[[Any], Any]  # adds the FROM clause and joins to select(columns)
    keys: tuple  # keyset columns (ascending), unique together
    version: Callable[[], tuple]  # scalar subqueries whose values change with the data
    modified: Callable[[], tuple] = tuple  # scalar subqueries of "last changed" moments
    scope: str | None = None  # "outfalls": the list's filters; "complaints": the record's
    location: tuple | None = None  # (lat, lon) expressions: offered as GeoJSON
    prepare: Callable[[list, dict], None] | None = None  # fills a batch's context
    reader: Callable | None = None  # (statement, filters, batch) -> batches (else keyset)
    narrow: Callable | None = None  # (statement, filters) -> statement
    extra: dict = field(default_factory=dict)

    @property
    def exported(self) -> list[Column]:
        return [c for c in self.columns if not c.hidden]

    @property
    def formats(self) -> tuple[str, ...]:
        return ("csv", "xlsx", "geojson") if self.location else ("csv", "xlsx")


def _raw(column: Column):
    """A column's expression as selected: enum codes, dates and times are read as the
    database hands them (SQLite's text), not made into Python objects first; the few
    conversions the downloads need (CONVERT) then start from either form. Moments come
    written by the database as the downloads write them (`dbtypes.local_iso_text`). A
    `compute` reading an exported column gets it so too (an enum as its code; a moment as
    ISO text with its offset: read it with `clock.stored_moment`)."""
    if not column.hidden and column.kind not in ("bool", "json"):
        if _local_moment(column):
            return local_iso_text(column.expr)
        if isinstance(_stored_type(column), (Enum, Date, DateTime)):
            return type_coerce(column.expr, String)
    return column.expr


def _stored_type(column: Column):
    kind = column.expr.type
    return kind.impl if isinstance(kind, TypeDecorator) else kind


def _local_moment(column: Column) -> bool:
    """A stored moment the database writes in China time (see _raw)."""
    return column.kind == "datetime" and isinstance(_stored_type(column), DateTime)


def _as_read(column: Column) -> bool:
    """The column's values are written as selected (see _raw): no call per value."""
    return column.kind in _AS_READ or (column.expr is not None and _local_moment(column))


def _statement(ds: Dataset):
    selected = [_raw(c).label(c.name) for c in ds.columns if c.expr is not None]
    if ds.location:
        selected += [ds.location[0].label("_lat"), ds.location[1].label("_lon")]
    selected += [k.label(f"_k{i}") for i, k in enumerate(ds.keys)]
    return ds.joins(select(*selected))


def _after(keys: tuple, values: tuple):
    """Rows after `values` in the order of `keys` (a keyset seek)."""
    first, *rest = keys
    if not rest:
        return first > values[0]
    return or_(first > values[0], and_(first == values[0], _after(tuple(rest), values[1:])))


def _keyset(ds: Dataset, statement, batch: int):
    last = None
    while True:
        query = statement if last is None else statement.where(_after(ds.keys, last))
        rows = db.session.execute(query.order_by(*ds.keys).limit(batch)).all()
        if not rows:
            return
        yield rows
        if len(rows) < batch:
            return
        last = tuple(getattr(rows[-1], f"_k{i}") for i in range(len(ds.keys)))


def _code(value):
    return value.value if isinstance(value, enum.Enum) else value


# How each kind of value is written: codes for enums, ISO 8601 with offset for times.
CONVERT: dict[str, Callable[[Any], Any]] = {
    "text": _code,
    "int": _code,
    "float": _code,
    "date": lambda v: v if type(v) is str else v.isoformat(),
    "datetime": local_iso,
    "coord": lambda v: round(float(v), 6),
    "coord3": lambda v: round(float(v), 3),  # a citizen's location, published to ~100 m
    "bool": bool,
    "json": lambda v: v or None,
}


def plain(value: Any, kind: str) -> Any:
    """A value as the downloads write it (None stays None)."""
    return None if value is None else CONVERT[kind](value)


@dataclass
class Record:
    values: list
    lat: float | None
    lon: float | None
    key: Any


# Kinds whose values come from the database as written (enums by _raw): no call per value.
# (A date is SQLite's stored text, but a date object from PostgreSQL.)
_AS_READ = frozenset({"text", "int", "float"})


def records(ds: Dataset, filters: Any = None, batch: int = BATCH) -> Iterator[list[Record]]:
    """Every row of the dataset passing the filters, as batches of records (constant memory)."""
    statement = _statement(ds)
    if ds.narrow is not None and filters is not None:
        statement = ds.narrow(statement, filters)
    reader = ds.reader(statement, filters, batch) if ds.reader else _keyset(ds, statement, batch)
    # A record's values are taken from the row by position in one call (computed ones get
    # a placeholder), then the few that need it are converted or computed in place.
    positions = {c.name: i for i, c in enumerate(c for c in ds.columns if c.expr is not None)}
    exported = ds.exported
    take = itemgetter(*[positions.get(c.name, 0) for c in exported], 0)  # 0: at least two
    computed = [(i, c.compute, CONVERT[c.kind]) for i, c in enumerate(exported) if c.compute]
    converted = [
        (i, CONVERT[c.kind]) for i, c in enumerate(exported) if not c.compute and not _as_read(c)
    ]
    base = len(positions)
    lat_at, lon_at, key_at = (base, base + 1, base + 2) if ds.location else (None, None, base)
    width = len(exported)
    for rows in reader:
        context: dict = {}
        if ds.prepare is not None:
            ds.prepare(rows, context)
        out = []
        for row in rows:
            values = list(take(row))
            del values[width:]
            for i, convert in converted:
                value = values[i]
                if value is not None:
                    values[i] = convert(value)
            for i, compute, convert in computed:
                value = compute(row, context)
                values[i] = None if value is None else convert(value)
            out.append(
                Record(
                    values,
                    row[lat_at] if lat_at is not None else None,
                    row[lon_at] if lon_at is not None else None,
                    row[key_at],
                )
            )
        yield out


@dataclass(frozen=True)
class Version:
    token: str
    modified: datetime | None


def version(ds: Dataset) -> Version:
    """What the dataset's ETag and Last-Modified are made of, in one query."""
    parts = [*ds.version(), *ds.modified()]
    values = db.session.execute(select(*parts)).one()
    n = len(ds.version())
    moments = []
    for value in values[n:]:
        # SQLite hands raw subquery text back for some types.
        if isinstance(value, (str, datetime)):
            moments.append(stored_moment(value))
    token = "|".join(str(v) for v in values)
    return Version(token, max(moments) if moments else None)


def count(ds: Dataset):
    """The scalar subquery counting the dataset's rows (the first of `version`)."""
    return ds.version()[0]
