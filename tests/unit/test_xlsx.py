"""The streaming .xlsx writer: what openpyxl and calamine read back, and that it streams."""

import io
import zipfile

import openpyxl
import pytest
import python_calamine

from portal.core import xlsx

ROWS = [
    ["排污口编码", "经度", "说明", "", "是否"],
    ["QJ01450702GY0001", 108.62, "A & B <c> \"d\" 'e'", None, True],
    ["QJ01450702GY0002", -3, "  leading and trailing  ", "", False],
    ["QJ01450702GY0003", 1.5e-7, "bell\x07 and \ufffe gone, 𝄞 kept", "x", None],
    ["line\nbreak\ttab", 12345678901, "末列"],
]
# What a reader sees: forbidden characters dropped, empty cells empty.
EXPECTED = [
    ["排污口编码", "经度", "说明", None, "是否"],
    ["QJ01450702GY0001", 108.62, "A & B <c> \"d\" 'e'", None, True],
    ["QJ01450702GY0002", -3, "  leading and trailing  ", None, False],
    ["QJ01450702GY0003", 1.5e-7, "bell and  gone, 𝄞 kept", "x", None],
    ["line\nbreak\ttab", 12345678901, "末列", None, None],
]


def _book(sheets) -> bytes:
    out = io.BytesIO()
    xlsx.write(out, sheets)
    return out.getvalue()


def _openpyxl(data: bytes) -> dict[str, list[list]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    width = max(len(r) for r in EXPECTED)
    found = {}
    for sheet in book.worksheets:
        found[sheet.title] = [
            (list(row) + [None] * width)[:width] for row in sheet.iter_rows(values_only=True)
        ]
    book.close()
    return found


def _calamine(data: bytes) -> dict[str, list[list]]:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    width = max(len(r) for r in EXPECTED)
    found = {}
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        found[name] = [
            ([None if v == "" else v for v in row] + [None] * width)[:width] for row in rows
        ]
    return found


def _numbers_as_read(rows):
    # Both readers give whole numbers back as int or float; compare as numbers.
    return [
        [float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in r]
        for r in rows
    ]


def test_openpyxl_and_calamine_read_back_the_same_cells():
    data = _book([("排污口", ROWS), ("列说明", [["a", 1], ["b", 2]])])
    by_openpyxl, by_calamine = _openpyxl(data), _calamine(data)
    assert list(by_openpyxl) == list(by_calamine) == ["排污口", "列说明"]
    assert _numbers_as_read(by_openpyxl["排污口"]) == _numbers_as_read(EXPECTED)
    assert _numbers_as_read(by_calamine["排污口"]) == _numbers_as_read(EXPECTED)
    assert by_openpyxl["列说明"][0][:2] == by_calamine["列说明"][0][:2] == ["a", 1]


def test_the_package_is_deflated_and_well_formed():
    data = _book([("x", ROWS)])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        assert zf.namelist()[0] == "[Content_Types].xml"
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_DEFLATED}
        from xml.dom import minidom

        for name in zf.namelist():
            minidom.parseString(zf.read(name))  # raises on malformed XML


def test_sheet_names_are_made_acceptable_to_excel():
    names = xlsx.sheet_names(["a/b:c", "'quoted'", "x" * 40, "Dup", "dup", "", "a&b"])
    assert names[:3] == ["a_b_c", "quoted", "x" * 31]
    assert names[3:5] == ["Dup", "dup (2)"]
    assert names[5] == "Sheet6" and names[6] == "a&b"
    data = _book([(n, [[n]]) for n in ["a/b", "a&b", "<x>"]])
    assert list(_openpyxl(data)) == ["a_b", "a&b", "<x>"]


def test_column_letters():
    assert [xlsx.column_letter(i) for i in (0, 25, 26, 51, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "ZZ",
        "AAA",
    ]


def test_rows_are_written_out_as_they_come():
    consumed = 0

    def many():
        nonlocal consumed
        for n in range(20_000):
            consumed = n + 1
            yield [f"QJ{n:08d}", f"测试排污口{n}号，位于某某河段", n / 7]

    stream = xlsx.chunks([("x", many())])
    received = []
    for chunk in stream:
        received.append(chunk)
        if 0 < consumed < 20_000:
            break
    else:
        pytest.fail("nothing came out before the last row was read")
    received.extend(stream)
    assert consumed == 20_000
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(b"".join(received)))
    assert len(book.get_sheet_by_index(0).to_python()) == 20_000
