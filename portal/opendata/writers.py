"""Streaming writers: CSV (UTF-8 with BOM, for Excel on Chinese Windows), XLSX (openpyxl's
write-only mode, spooled to a temporary file) and GeoJSON. Each takes batches of records
and yields bytes, so a download of any size needs the memory of one batch."""

import csv
import io
import json
import tempfile
from collections.abc import Iterable, Iterator

from flask_babel import force_locale

from .schema import Column, Dataset, Record

BOM = "\ufeff"
CHUNK = 64 * 1024
# A text cell starting with one of these is a formula to a spreadsheet (CSV injection):
# it is written with a leading apostrophe, as OWASP recommends.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _formula_safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _json_text(value):
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# What a CSV cell needs besides csv's own writing (None is written empty, numbers as str);
# free text is made formula-safe in the loop itself (the most frequent cell).
_FORMULA_CHARS = frozenset(FORMULA_STARTS)
_CSV_TEXT = {
    "json": _json_text,
    "bool": lambda v: "true" if v else "false",
}


def csv_stream(ds: Dataset, batches: Iterable[list[Record]]) -> Iterator[bytes]:
    """The dataset as CSV: a BOM, a header of the field names, one line per record."""
    columns = ds.exported
    texts = [i for i, c in enumerate(columns) if c.kind == "text" and not c.coded]
    fixes = [(i, _CSV_TEXT[c.kind]) for i, c in enumerate(columns) if c.kind in _CSV_TEXT]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([c.name for c in columns])
    for batch in batches:
        for rec in batch:
            values = rec.values
            for i in texts:  # _formula_safe, inline
                value = values[i]
                if value.__class__ is str and value[:1] in _FORMULA_CHARS:
                    values[i] = "'" + value
            for i, fix in fixes:
                value = values[i]
                if value is not None:
                    values[i] = fix(value)
            writer.writerow(values)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def _cell(value, column: Column):
    if value is None:
        return None
    if column.kind == "json":
        return _json_text(value)
    return _formula_safe(value)  # openpyxl would write "=…" as a formula


def xlsx_file(ds: Dataset, batches: Iterable[list[Record]], licence: str):
    """The dataset as an XLSX workbook in a temporary file (rewound): the data sheet and a
    "fields" sheet with each field's explanation in Chinese and English."""
    from openpyxl import Workbook

    columns = ds.exported
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(ds.slug[:31])
    sheet.append([c.name for c in columns])
    for batch in batches:
        for rec in batch:
            sheet.append([_cell(v, c) for v, c in zip(rec.values, columns, strict=True)])
    fields = workbook.create_sheet("fields")
    fields.append(["field", "说明", "description"])
    for c in columns:
        with force_locale("zh"):
            zh = str(c.description)
        with force_locale("en"):
            en = str(c.description)
        fields.append([c.name, zh, en])
    fields.append([])
    fields.append(["licence", licence])
    spooled = tempfile.TemporaryFile()
    workbook.save(spooled)
    spooled.seek(0)
    return spooled


def file_chunks(handle) -> Iterator[bytes]:
    """A file's bytes in chunks; the file is closed (and, being temporary, removed) after."""
    try:
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()


def geojson_stream(ds: Dataset, batches: Iterable[list[Record]]) -> Iterator[bytes]:
    """The dataset as a GeoJSON FeatureCollection (RFC 7946): one Point feature per record,
    geometry null where the place is unknown."""
    names = [c.name for c in ds.exported]
    yield b'{"type":"FeatureCollection","features":['
    first = True
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for batch in batches:
        parts = []
        for rec in batch:
            geometry = None
            if rec.lat is not None and rec.lon is not None:
                digits = ds.extra.get("digits", 6)
                geometry = {
                    "type": "Point",
                    "coordinates": [round(rec.lon, digits), round(rec.lat, digits)],
                }
            parts.append(
                dumps(
                    {
                        "type": "Feature",
                        "geometry": geometry,
                        "properties": dict(zip(names, rec.values, strict=True)),
                    }
                )
            )
        if parts:
            yield ((b"" if first else b",") + ",".join(parts).encode("utf-8"))
            first = False
    yield b"]}"
