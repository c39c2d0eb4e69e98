"""Reading every format the surveys arrive in, and refusing what is no spreadsheet.

Files are generated here: .xlsx with openpyxl, .xls with xlwt, .ods with odfpy, .csv in
UTF-8 (with and without BOM) and GB18030.
"""

import csv
import io
import zipfile

import openpyxl
import pytest
from flask_babel import force_locale

from portal.core.errors import UserError
from portal.imports import headers, readers

ROWS = [
    ["钦州市入河排污口排查台账"],
    ["排污口编码", "排污口名称", "类型", "经度", "纬度"],
    ["TW0001450702GY0001", "钦州港１号排污口", "GY", "108°33′12.5″", 21.95],
]
LIMITS = dict(max_bytes=10 * 1024 * 1024, max_rows=1000)


def _xlsx(path, rows=ROWS):
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def _xls(path):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("台账")
    for r, row in enumerate(ROWS):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(path))
    return path


def _ods(path):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="台账")
    for row in ROWS:
        tr = TableRow()
        for value in row:
            if isinstance(value, float):
                cell = TableCell(valuetype="float", value=value)
            else:
                cell = TableCell(valuetype="string")
            cell.addElement(P(text=str(value)))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


def _csv(path, encoding):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(ROWS)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _read(path, name=None):
    sheet = readers.open_sheet(path, name or path.name, **LIMITS)
    rows = list(sheet.rows)
    return sheet, rows


@pytest.mark.parametrize(
    "maker,name,kind",
    [
        (_xlsx, "a.xlsx", "xlsx"),
        (_xls, "a.xls", "xls"),
        (_ods, "a.ods", "ods"),
        (lambda p: _csv(p, "utf-8"), "a.csv", "csv"),
        (lambda p: _csv(p, "utf-8-sig"), "a.csv", "csv"),
        (lambda p: _csv(p, "gb18030"), "a.csv", "csv"),
        (lambda p: _csv(p, "gbk"), "a.csv", "csv"),
    ],
)
def test_every_format_reads_the_same_cells_and_header(tmp_path, maker, name, kind):
    sheet, rows = _read(maker(tmp_path / name))
    assert sheet.kind == kind
    header = headers.find_header(rows, sheet.merged)
    assert header is not None and header.row == 1
    data = rows[header.data_start]
    assert str(data[header.columns["code"]]) == "TW0001450702GY0001"
    assert data[header.columns["name"]] == "钦州港１号排污口"


def test_csv_encodings_are_detected():
    text = "排污口编码,名称\n".encode
    assert readers.detect_encoding(text("utf-8")) == "utf-8"
    assert readers.detect_encoding(b"\xef\xbb\xbf" + text("utf-8")) == "utf-8-sig"
    assert readers.detect_encoding(text("gb18030")) == "gb18030"


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
@pytest.mark.parametrize("shift", range(4))
def test_a_large_file_cut_inside_a_character_is_still_detected(encoding, shift):
    # The first 64 KiB of a big file end wherever they end: inside a character too.
    body = ("x" * shift + "钦州市钦南区排污口，" * 5000).encode(encoding)
    head = body[:65536]
    assert readers.detect_encoding(head) == encoding


def _refused(path, name=None, **limits) -> str:
    with pytest.raises(UserError) as info:
        readers.open_sheet(path, name or path.name, **(LIMITS | limits))
    assert info.value.field == "file"
    return str(info.value)


def test_not_a_spreadsheet_is_refused(tmp_path):
    pdf = tmp_path / "a.xlsx"
    pdf.write_bytes(b"%PDF-1.7\n" + b"\x00" * 100)
    assert "not a spreadsheet" in _refused(pdf)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\x00\x01\x02" * 50)
    assert "not a spreadsheet" in _refused(binary)
    other_zip = tmp_path / "c.xlsx"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("readme.txt", "hello")
    assert "not a spreadsheet" in _refused(other_zip)


@pytest.mark.parametrize(
    "text",
    [
        "<html><body><table><tr><td>排污口编码</td></tr></table></body></html>",
        '\ufeff  <?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:'
        'spreadsheet"></Workbook>',
    ],
    ids=["web page", "Excel 2003 XML"],
)
def test_a_web_page_or_xml_saved_as_xls_is_refused_with_what_to_do(app_ctx, tmp_path, text):
    path = tmp_path / "导出.xls"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as info:
        readers.open_sheet(path, path.name, **LIMITS)
    with force_locale("en"):
        assert "web page or an XML document" in str(info.value)
    with force_locale("zh"):
        assert "网页" in str(info.value) and ".xlsx" in str(info.value)


def test_corrupt_xlsx_is_refused(tmp_path):
    good = _xlsx(tmp_path / "good.xlsx").read_bytes()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(good[: len(good) // 2])
    assert "damaged" in _refused(broken)


def test_encrypted_xlsx_is_refused(tmp_path):
    # Office writes a password-protected workbook as an OLE compound file.
    path = tmp_path / "secret.xlsx"
    path.write_bytes(readers.CFB_MAGIC + b"\x00" * 1024)
    assert "encrypted" in _refused(path)


def test_zip_bomb_disguised_as_xlsx_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\x00" * (50 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    assert "unsafe" in _refused(path)


def test_oversized_and_empty_files_are_refused(tmp_path):
    path = _xlsx(tmp_path / "a.xlsx")
    assert "larger than" in _refused(path, max_bytes=100)
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    assert "empty" in _refused(empty)


def test_too_many_rows_are_refused(tmp_path):
    rows = ROWS[:2] + [[f"C{i:06d}", "x", "GY", 108.5, 21.9] for i in range(200)]
    assert "more than" in _refused(_xlsx(tmp_path / "big.xlsx", rows), max_rows=100)
    path = tmp_path / "big.csv"
    path.write_text("\n".join(",".join(map(str, r)) for r in rows), encoding="utf-8")
    sheet = readers.open_sheet(path, path.name, max_bytes=10**7, max_rows=100)
    with pytest.raises(UserError):
        list(sheet.rows)


def test_merged_ranges_come_in_row_coordinates(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["编码", "名称", "坐标", None, "类型"])
    ws.append([None, None, "经度", "纬度", None])
    ws.append(["A1", "x", 108.5, 21.9, "GY"])
    ws.merge_cells("C1:D1")
    ws.merge_cells("A1:A2")
    path = tmp_path / "m.xlsx"
    wb.save(path)
    sheet, rows = _read(path)
    header = headers.find_header(rows, sheet.merged)
    assert header.rows == 2 and header.columns["lon"] == 2 and header.columns["lat"] == 3
