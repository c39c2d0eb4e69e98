"""Reading an inventory's rows: the file opened and refused as a whole if need be, its
header found, and each data row's cells normalised into ledger values (`rows.read_row`),
in batches for the service to judge and write.

A large file (`IMPORT_READER_MIN_BYTES` and more) is read by a reader process on another
core, `python -m portal.imports.reading`, while this process judges and writes the batches
before it: on a 100k-row sheet the reading is about a sixth of an apply's work. The reader
gets what it needs (the file, the limits, the registry's names: `rows.Lookups`) on its
stdin and sends the header, then the batches, then an end mark on its stdout, each a
length-prefixed pickle. A refusal in the reader (`UserError`) is raised here as it would
be raised in process; a reader that dies makes the import fail, never succeed with rows
missing. Both ways yield the same batches.
"""

import itertools
import os
import pickle
import struct
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from flask_babel import lazy_gettext as _l

from ..core.errors import UserError
from . import headers, readers
from .rows import Lookups, RowResult, read_row

# Names of a spreadsheet file: text under one is a file saved under the wrong name.
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")

# One row read: its sheet row number (1-based), its cells by field, what they say. The
# cells are kept only for a row that names a water to create (the service reads such a
# row again once an earlier row has created that water).
Read = tuple[int, dict[str, Any] | None, RowResult]


@dataclass(frozen=True)
class Spec:
    """What reading a file needs, all of it picklable (for the reader process)."""

    path: str
    filename: str
    max_bytes: int
    max_rows: int
    crs: str
    create_waters: bool
    chunk: int
    names: Lookups | None = None  # the registry's names, given per reading (service._pass)


@dataclass
class Opened:
    """A file's header and its sheet, ready to be read on from its first row."""

    header: headers.Header
    sheet: readers.Sheet


def open_file(spec: Spec) -> Opened:
    """The file's sheet and header.

    Raises:
        UserError: the file is refused as a whole (see readers), or has no header.
    """
    sheet = readers.open_sheet(
        Path(spec.path), spec.filename, max_bytes=spec.max_bytes, max_rows=spec.max_rows
    )
    head: list[list] = []
    for row in sheet.rows:
        head.append(row)
        if len(head) >= headers.SCAN_ROWS:
            break
    header = headers.find_header(head, sheet.merged)
    suffix = Path(spec.filename).suffix.lower()
    if header is None and sheet.kind == "csv" and suffix in SHEET_SUFFIXES:
        raise UserError(
            _l(
                "The file is named %(name)s but holds plain text, not a spreadsheet: open it "
                "in Excel and save it as .xlsx, or name it .csv.",
                name=Path(spec.filename).name,
            ),
            "file",
        )
    if header is None:
        raise UserError(
            _l("No header found: a row must name the code column and two others."),
            "file",
        )
    sheet.rows = itertools.chain(head, sheet.rows)
    return Opened(header, sheet)


def total_rows(opened: Opened) -> int | None:
    """How many data rows the sheet has, when its format says (not a CSV's)."""
    if opened.sheet.height is None:
        return None
    return opened.sheet.height - opened.header.data_start


def batches(opened: Opened, spec: Spec, only: set[int] | None) -> Iterator[list[Read]]:
    """The data rows read, `spec.chunk` at a time (all, or the row numbers in `only`);
    blank rows are skipped.

    Raises:
        UserError: the sheet has more than `spec.max_rows` data rows.
    """
    header, names = opened.header, spec.names
    limit = spec.max_rows + header.data_start
    columns = list(header.columns.items())
    batch: list[Read] = []
    for number, row in enumerate(opened.sheet.rows, 1):
        if number <= header.data_start:
            continue
        if number > limit:
            raise UserError(_l("The file has more than %(n)s rows.", n=spec.max_rows), "file")
        if only is not None and number not in only:
            continue
        if not any(str(v).strip() for v in row if v is not None):
            continue
        by_field = {key: (row[col] if col < len(row) else None) for key, col in columns}
        result = read_row(by_field, names, crs=spec.crs, create_waters=spec.create_waters)
        batch.append((number, by_field if result.new_water else None, result))
        if len(batch) >= spec.chunk:
            yield batch
            batch = []
    if batch:
        yield batch


# --- The reader process -------------------------------------------------------------------

_FRAME = struct.Struct("!I")
_ENDED = "the import's reader process ended before the file was read"


def _send(out: BinaryIO, message: tuple) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_FRAME.pack(len(data)))
    out.write(data)


def _receive(stream: BinaryIO) -> tuple:
    size = stream.read(_FRAME.size)
    if len(size) < _FRAME.size:
        raise RuntimeError(_ENDED)
    length = _FRAME.unpack(size)[0]
    data = stream.read(length)
    if len(data) < length:
        raise RuntimeError(_ENDED)
    return pickle.loads(data)  # noqa: S301 - our own child process, from our own pipe


def _serve(spec: Spec, only: set[int] | None, out: BinaryIO) -> None:
    """The reader process's work: the header, then the batches, then the end."""
    try:
        opened = open_file(spec)
        _send(out, ("header", opened.header, total_rows(opened)))
        for batch in batches(opened, spec, only):
            _send(out, ("rows", batch))
    except UserError as error:
        _send(out, ("refused", error.message, error.field))
        return
    _send(out, ("end",))


class ReaderProcess:
    """A reader process for one reading of a file (see the module's docstring).

    with ReaderProcess(spec, only) as reader:
        reader.header, reader.total
        for batch in reader.batches(): ...
    """

    def __init__(self, spec: Spec, only: set[int] | None):
        import portal

        root = str(Path(portal.__file__).resolve().parents[1])
        path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        env = dict(os.environ, PYTHONPATH=path)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "portal.imports.reading"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._stdout = self._process.stdout
        try:
            pickle.dump((spec, only), self._process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._process.stdin.close()
            first = self._next()
        except BaseException:
            self.close()
            raise
        self.header: headers.Header = first[1]
        self.total: int | None = first[2]

    def _next(self) -> tuple:
        message = _receive(self._stdout)
        if message[0] == "refused":
            raise UserError(message[1], message[2])
        return message

    def batches(self) -> Iterator[list[Read]]:
        while True:
            message = self._next()
            if message[0] == "end":
                return
            yield message[1]

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._stdout.close()

    def __enter__(self) -> "ReaderProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _main() -> None:
    spec, only = pickle.load(sys.stdin.buffer)  # noqa: S301 - from the parent process
    # The frames go out on the stdout it was given; anything else printed goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        _serve(spec, only, out)
        out.flush()
    except BrokenPipeError:  # the import ended (failed, or was stopped): nothing to say
        os._exit(1)


if __name__ == "__main__":
    _main()
