"""/manage/import: upload, dry-run report, apply, the outfall on /o/<code>; access; export."""

import io

import openpyxl
import pytest

from portal.agencies.models import Role
from tests import factories as f
from tests.imports.test_import import HEADER, _row
from tests.staff import login, totp_code


@pytest.fixture
def officer(app, client, make_staff, seed):
    seed(lambda: (f.region(code="450702", name="钦南区"), f.water_body(name="钦江", code="QJ01")))
    app.config["IMPORT_DIR"] = app.config["UPLOAD_DIR"] + "-imports"
    app.config["IMPORT_BACKGROUND"] = False  # one in-memory database: run in the request
    name = make_staff(Role.data_officer, totp=True)
    login(client, name, code=totp_code())
    return client


def _upload(client, rows):
    wb = openpyxl.Workbook()
    wb.active.append(HEADER)
    for row in rows:
        wb.active.append(row)
    data = io.BytesIO()
    wb.save(data)
    data.seek(0)
    return client.post(
        "/manage/import/",
        data={"file": (data, "台账.xlsx"), "crs": "wgs84"},
        content_type="multipart/form-data",
    )


def test_upload_dry_run_apply_and_the_outfall_is_public(officer):
    response = _upload(officer, [_row(1), _row(2)])
    assert response.status_code == 303
    job_url = response.headers["Location"]
    page = officer.get(job_url)
    assert page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert "新建" in text and "度分秒已转换" in text
    assert officer.get("/o/QJ01450702GY0001").status_code == 404  # a dry run changes nothing
    status = officer.get(job_url + "/status.json").get_json()
    assert status["state"] == "done" and status["processed"] == 2
    with officer.get(job_url + "/report.xlsx") as report:
        sheet = openpyxl.load_workbook(io.BytesIO(report.data)).active
        assert [c.value for c in sheet[2]][-2] == "新建"
    applied = officer.post(job_url + "/apply")
    assert applied.status_code == 303
    assert "已全部写入" in officer.get(applied.headers["Location"]).get_data(as_text=True)
    assert officer.get("/o/QJ01450702GY0001").status_code == 200


def test_refused_rows_show_their_cell_and_cannot_be_applied(officer):
    response = _upload(officer, [_row(1, region="火星区")])
    text = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert "F2" in text and "火星区" in text and "/apply" not in text


def test_the_page_lists_refused_rows_first_even_beyond_its_cap(officer, monkeypatch):
    from portal.imports import manage_views

    monkeypatch.setattr(manage_views, "REPORT_ROWS", 2)
    rows = [_row(n) for n in range(1, 5)] + [_row(5, region="火星区")]
    text = officer.get(_upload(officer, rows).headers["Location"]).get_data(as_text=True)
    listed = text[text.index("<tbody>") : text.index("</tbody>")]
    assert listed.count("<tr") == 2
    assert listed.index("火星区") < listed.index("新建")  # row 6 before row 2
    assert "还有 3 行未在此列出" in text


def test_a_bad_file_fails_with_its_message(officer):
    response = officer.post(
        "/manage/import/",
        data={"file": (io.BytesIO(b"%PDF-1.7 nothing"), "a.xlsx"), "crs": "wgs84"},
        content_type="multipart/form-data",
    )
    text = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert "不是电子表格" in text


def test_department_staff_may_not_import(client, make_staff):
    login(client, make_staff(Role.staff))
    assert client.get("/manage/import/").status_code == 403
    assert client.get("/manage/import/export.csv").status_code == 403


def test_export_and_template_downloads(officer):
    with officer.get("/manage/import/export.csv?type=GY") as r:
        assert r.data.startswith(b"\xef\xbb\xbf") and "排污口编码" in r.data.decode("utf-8-sig")
    with officer.get("/manage/import/template.xlsx") as r:
        assert r.mimetype.endswith(".sheet")
        assert len(openpyxl.load_workbook(io.BytesIO(r.data)).worksheets) == 2
    with officer.get("/manage/import/export.xlsx?type=GY") as r:
        assert r.status_code == 200
        assert 'filename="outfalls.xlsx"' in r.headers["Content-Disposition"]
        sheet = openpyxl.load_workbook(io.BytesIO(r.data)).worksheets[0]
        assert sheet["A1"].value == "排污口编码"


def test_xlsx_export_streams_rows_as_the_client_reads(officer, monkeypatch):
    from portal.imports import export

    read = []

    def rows(filters):
        for n in range(3000):
            read.append(n)
            yield [f"QJ01450702GY{n:04d}", f"测试排污口{n}"]

    monkeypatch.setattr(export, "rows", rows)
    monkeypatch.setattr("portal.core.xlsx._CHUNK", 4096)
    with officer.get("/manage/import/export.xlsx", buffered=False) as r:
        # The test client reads the first chunk; the rest is not built yet.
        assert r.status_code == 200 and len(read) < 3000
        data = b"".join(r.response)
    assert len(read) == 3000
    assert openpyxl.load_workbook(io.BytesIO(data)).worksheets[0].max_row == 3001


def test_signboards_batch_download(officer, seed):
    seed(lambda: f.outfall(code="QJ01450702GY0042"))
    with officer.get("/manage/import/signboards.pdf?not_installed=1") as r:
        assert r.status_code == 200 and r.data.startswith(b"%PDF")
    with officer.get("/manage/import/signboards.zip?type=GY") as r:
        assert r.status_code == 200 and r.data.startswith(b"PK")


def test_list_page_links_staff_to_export_and_import(officer):
    text = officer.get("/outfalls/?type=GY").get_data(as_text=True)
    assert "/manage/import/export.xlsx?type=GY" in text and "/manage/import/" in text
