"""Opening an uploaded inventory: .xlsx, .xls, .ods (python-calamine) and .csv (UTF-8 with
or without BOM, GB18030/GBK), refusing what is no spreadsheet before reading it.

Every refusal is a `UserError` with a translated message; nothing is written.
"""

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import lazy_gettext as _l

from ..core.errors import UserError

ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: .xls, or encrypted .xlsx

# A spreadsheet's XML compresses about 10–30×; a ratio far beyond, or more declared bytes
# than any real inventory needs, is a decompression bomb, refused before any byte is inflated.
MAX_RATIO = 200
MAX_UNCOMPRESSED = 1024 * 1024 * 1024
MAX_MEMBERS = 10_000


@dataclass
class Sheet:
    """The first sheet of a file: its rows (lists of values) and merged header ranges."""

    rows: Iterator[list]
    height: int | None
    merged: list = field(default_factory=list)
    kind: str = ""
    encoding: str | None = None


def _refuse(message) -> UserError:
    return UserError(message, "file")


def check_zip(path: Path) -> None:
    """Refuse a zip container that is encrypted, corrupt or a decompression bomb.

    Raises:
        UserError: as above, judged from the declared sizes only.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(_l("The file is damaged: it cannot be opened as a spreadsheet.")) from exc
    if len(members) > MAX_MEMBERS:
        raise _refuse(_l("The file is not a spreadsheet we can read safely (too many parts)."))
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise _refuse(
                _l("The file is encrypted: save it without a password and upload it again.")
            )
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if total > MAX_UNCOMPRESSED or (member.file_size > 1024 * 1024 and ratio > MAX_RATIO):
            raise _refuse(_l("The file would unpack to far more than its size: refused as unsafe."))


def detect_encoding(head: bytes) -> str:
    """The encoding of a CSV file from its first bytes: a BOM, valid UTF-8, else GB18030.

    Raises:
        UserError: the bytes are neither (binary data or an encoding we do not read).
    """
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in head:
        raise _refuse(_l("The file is not a spreadsheet (.xlsx, .xls, .ods or .csv)."))
    for encoding in ("utf-8", "gb18030"):
        try:
            # The head may end inside a character: an incremental decoder keeps a cut
            # sequence at the very end pending instead of refusing it.
            codecs.getincrementaldecoder(encoding)().decode(head, final=len(head) < 65536)
        except UnicodeDecodeError:
            continue
        return encoding
    raise _refuse(_l("The text file's encoding is not recognised: save it as UTF-8 or as GBK."))


def _csv_sheet(path: Path, max_rows: int) -> Sheet:
    with open(path, "rb") as fh:
        head = fh.read(65536)
    encoding = detect_encoding(head)
    sample = head.decode(encoding, errors="ignore")
    try:
        dialect = csv.Sniffer().sniff(sample[:16384], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","

    def rows() -> Iterator[list]:
        with open(path, encoding=encoding, newline="") as fh:
            for n, row in enumerate(csv.reader(fh, delimiter=delimiter), 1):
                if n > max_rows + 40:
                    raise _refuse(_l("The file has more than %(n)s rows.", n=max_rows))
                yield row

    try:
        with open(path, encoding=encoding, newline="") as fh:
            for _line in fh:
                pass
    except UnicodeDecodeError as exc:
        raise _refuse(
            _l("The text file's encoding is not recognised: save it as UTF-8 or as GBK.")
        ) from exc
    return Sheet(rows(), None, [], "csv", encoding)


def _calamine_sheet(path: Path, kind: str, max_rows: int) -> Sheet:
    import python_calamine as pc

    try:
        workbook = pc.CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except pc.PasswordError as exc:
        raise _refuse(
            _l("The file is encrypted: save it without a password and upload it again.")
        ) from exc
    except (pc.CalamineError, pc.ZipError, pc.XmlError, ValueError, OSError) as exc:
        raise _refuse(_l("The file is damaged: it cannot be opened as a spreadsheet.")) from exc
    if sheet.height > max_rows + 40:
        raise _refuse(_l("The file has more than %(n)s rows.", n=max_rows))
    start_row, start_col = sheet.start or (0, 0)
    merged = [
        ((r0 - start_row, c0 - start_col), (r1 - start_row, c1 - start_col))
        for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])
    ]
    # Rows before the first used one are skipped by calamine; merged ranges are absolute.
    return Sheet(iter(sheet.iter_rows()), sheet.height, merged, kind)


def open_sheet(path: Path, filename: str, *, max_bytes: int, max_rows: int) -> Sheet:
    """The first sheet of an uploaded inventory, by content (the name's extension is a hint).

    Raises:
        UserError: over the size limit, not a spreadsheet, encrypted, damaged, a bomb, too
            many rows.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise _refuse(_l("The file is larger than %(mb)s MB.", mb=max_bytes // (1024 * 1024)))
    if size == 0:
        raise _refuse(_l("The file is empty."))
    with open(path, "rb") as fh:
        head = fh.read(512)
    magic = head[:8]
    suffix = Path(filename).suffix.lower()
    if magic.startswith(ZIP_MAGIC):
        check_zip(path)
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
        if "xl/workbook.xml" in names:
            return _calamine_sheet(path, "xlsx", max_rows)
        if "content.xml" in names and "mimetype" in names:
            return _calamine_sheet(path, "ods", max_rows)
        raise _refuse(_l("The file is not a spreadsheet (.xlsx, .xls, .ods or .csv)."))
    if magic == CFB_MAGIC:
        if suffix in (".xlsx", ".xlsm"):
            # Office keeps a password-protected .xlsx inside an OLE container.
            raise _refuse(
                _l("The file is encrypted: save it without a password and upload it again.")
            )
        return _calamine_sheet(path, "xls", max_rows)
    if magic.startswith(
        (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!", b"7z")
    ):
        raise _refuse(_l("The file is not a spreadsheet (.xlsx, .xls, .ods or .csv)."))
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
        # What some systems export as ".xls": a web page's table, or Excel 2003's XML.
        raise _refuse(
            _l(
                "The file is a web page or an XML document, not a spreadsheet: open it in "
                "Excel and save it as .xlsx or .csv."
            )
        )
    return _csv_sheet(path, max_rows)
