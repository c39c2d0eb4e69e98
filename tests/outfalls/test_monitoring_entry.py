"""Staff enter monitoring by form and by CSV; corrections keep originals (/manage/…)."""

from io import BytesIO

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.outfalls.models import LedgerEntry, MonitoringRecord, Outfall
from tests import factories as f
from tests.outfalls.records_support import make_desk, sample_form

HEADER = "code,sampled_at,sampler_kind,organisation,lab,weather,ph,cod (mg/L),nh3n,tn,tp,flow_m3s"


@pytest.fixture
def desk(client, seed):
    return make_desk(client, seed)


def _records(app):
    with app.app_context():
        return db.session.scalars(select(MonitoringRecord).order_by(MonitoringRecord.id)).all()


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_sample_entered_by_form_is_published_with_its_exceedances(app, client, desk):
    page = client.get(f"/manage/outfalls/{desk.code}/monitoring/new").get_data(as_text=True)
    assert "mg/L" in page and "0–14" in page  # units on the form
    r = client.post(f"/manage/outfalls/{desk.code}/monitoring/new", data=sample_form(cod="150"))
    assert r.status_code == 303
    [record] = _records(app)
    assert (record.cod, record.lab, record.superseded) == (150.0, "钦州生态环境监测中心", False)
    assert record.sampled_at.isoformat() == "2026-10-01T01:30:00+00:00"  # China time in
    page = client.get(f"/outfalls/{desk.code}").get_data(as_text=True)
    assert "exceeds the limit 100 mg/L of GB 8978-1996 Level 1" in page
    assert _count(app, LedgerEntry) == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"ph": "14.5"}, "ph", "pH lies between 0 and 14"),
        ({"ph": "-1"}, "ph", "pH lies between 0 and 14"),
        ({"cod": "-3"}, "cod", "cannot be negative"),
        ({"tp": "-0.1"}, "tp", "cannot be negative"),
        ({"flow_m3s": "-1"}, "flow_m3s", "cannot be negative"),
        ({"temperature_c": "300"}, "temperature_c", "between -5 and 100"),
        ({"sampled_at": "2999-01-01T09:00"}, "sampled_at", "in the future"),
        ({"sampled_at": ""}, "sampled_at", "date and time of sampling"),
        ({"cod": "nan"}, "cod", "Enter a number"),
        (
            {k: "" for k in ("ph", "cod", "nh3n", "tn", "tp", "flow_m3s")},
            "ph",
            "at least one measured value",
        ),
    ],
)
def test_impossible_samples_are_refused(app, client, desk, fields, field, message):
    r = client.post(f"/manage/outfalls/{desk.code}/monitoring/new", data=sample_form(**fields))
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    assert _records(app) == []


def test_a_duplicate_sample_is_refused(app, client, desk):
    url = f"/manage/outfalls/{desk.code}/monitoring/new"
    assert client.post(url, data=sample_form()).status_code == 303
    r = client.post(url, data=sample_form(cod="20"))
    assert r.status_code == 400 and "already stored" in r.get_data(as_text=True)
    # The same time by the other sampler is another sample.
    assert client.post(url, data=sample_form(sampler_kind="self")).status_code == 303


def test_a_correction_keeps_the_original_and_the_public_sees_the_corrected_value(app, client, desk):
    client.post(f"/manage/outfalls/{desk.code}/monitoring/new", data=sample_form(cod="350"))
    [original] = _records(app)
    url = f"/manage/monitoring/{original.id}/correct"
    assert 'value="350.0"' in client.get(url).get_data(as_text=True)
    r = client.post(url, data=sample_form(cod="35"))
    assert r.status_code == 400 and 'id="reason-error"' in r.get_data(as_text=True)
    assert client.post(url, data=sample_form(cod="-35", reason="x")).status_code == 400
    r = client.post(url, data=sample_form(cod="35", reason="小数点录入错误"))
    assert r.status_code == 303
    old, new = _records(app)
    assert (old.cod, old.superseded) == (350.0, True)
    assert (new.cod, new.corrects_id, new.correction_reason) == (35.0, old.id, "小数点录入错误")
    page = client.get(f"/outfalls/{desk.code}").get_data(as_text=True)
    assert "corrected: 小数点录入错误" in page
    assert "350" not in page.split('id="mon-h"')[1].split("</table>")[0]
    # The superseded original can no longer be corrected (404: it is not a standing record).
    assert client.get(url).status_code == 404
    with app.app_context():
        actions = db.session.scalars(select(LedgerEntry.action).order_by(LedgerEntry.id)).all()
    assert actions == ["monitoring_added", "monitoring_corrected", "monitoring_corrected"]


def _upload(client, body: bytes, name: str = "samples.csv"):
    return client.post(
        "/manage/monitoring/upload",
        data={"file": (BytesIO(body), name)},
        content_type="multipart/form-data",
    )


def test_upload_page_states_units_and_offers_a_template(client, desk):
    page = client.get("/manage/monitoring/upload").get_data(as_text=True)
    assert "mg/L" in page and "GB18030" in page and "化学需氧量" in page
    r = client.get("/manage/monitoring/template.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    body = r.get_data(as_text=True)
    assert body.startswith("\ufeffcode,sampled_at,sampler_kind") and "cod (mg/L)" in body


def test_a_clean_csv_for_several_outfalls_is_stored(app, client, seed, desk):
    def second():
        outfall = f.outfall(
            department=db.session.get(Outfall, desk.outfall_id).supervising_department
        )
        return outfall.code

    code2 = seed(second)
    body = "\n".join(
        [
            HEADER,
            f"{desk.code},2026-10-01 09:30,supervisory,站,中心,dry,7.1,30,2,9,0.3,0.05",
            f"{code2.lower()},2026/10/2 10:00,自行监测,,,,7.4,28,,,,",
            f"{desk.code},2026-10-03 09:30,self,,,雨,,,,,,0.2",
        ]
    ).encode()
    r = _upload(client, body)
    assert r.status_code == 200
    assert "3 samples stored." in r.get_data(as_text=True)
    records = _records(app)
    assert len(records) == 3
    assert {r.outfall_id for r in records} == {desk.outfall_id, records[1].outfall_id}
    with app.app_context():
        sources = db.session.scalars(select(LedgerEntry.source).order_by(LedgerEntry.id)).all()
    assert sources == ["import"] * 3


def test_a_csv_with_bad_rows_stores_nothing_and_reports_each(app, client, seed, desk):
    seed(lambda: f.monitoring(db.session.get(Outfall, desk.outfall_id)))  # 2026-10-01 10:00 CST
    rows = [
        HEADER,
        f"{desk.code},2026-10-05 09:30,supervisory,,,,7.1,30,2,9,0.3,0.05",  # good
        f"{desk.code},2026-10-06 09:30,supervisory,,,,15,30,,,,",  # pH
        f"{desk.code},2026-10-07 09:30,supervisory,,,,7,-4,,,,",  # negative
        f"{desk.code},2999-10-07 09:30,supervisory,,,,7,4,,,,",  # future
        f"{desk.code},2026-10-05 09:30,supervisory,,,,7.2,31,,,,",  # same as line 2
        f"{desk.code},2026-10-01 10:00,supervisory,,,,7.2,31,,,,",  # stored already
        f"{desk.other_code},2026-10-08 09:30,supervisory,,,,7,4,,,,",  # not ours
        "NOSUCHCODE0001,2026-10-08 09:30,supervisory,,,,7,4,,,,",  # unknown
        f"{desk.code},yesterday,supervisory,,,,7,4,,,,",  # time
        f"{desk.code},2026-10-09 09:30,lab,,,,7,4,,,,",  # sampler
        f"{desk.code},2026-10-10 09:30,self,,,,7,<0.05,,,,",  # not a number
        f"{desk.code},2026-10-11 09:30,self,,,,,,,,,",  # nothing measured
    ]
    r = _upload(client, "\n".join(rows).encode())
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "Nothing was stored." in page and "11 rows refused" in page
    report = page.split('class="report"')[1].split("</table>")[0]
    for line, text in [
        (3, "pH lies between 0 and 14"),
        (4, "cannot be negative"),
        (5, "in the future"),
        (6, "The same sample as line 2 of this file"),
        (7, "already stored"),
        (8, "not one your department may edit"),
        (9, "No outfall has the code"),
        (10, "write the time as"),
        (11, "supervisory"),
        (12, "not a number"),
        (13, "at least one measured value"),
    ]:
        assert f"<td>{line}</td>" in report and text in report, (line, text)
    assert "<td>2</td>" not in report  # the good row is not listed as refused
    assert len(_records(app)) == 1  # only the row seeded before
    assert _count(app, LedgerEntry) == 0


@pytest.mark.parametrize(
    ("encoding", "bom", "label"),
    [
        ("utf-8", b"", "UTF-8"),
        ("utf-8", b"\xef\xbb\xbf", "UTF-8 (BOM)"),
        ("gb18030", b"", "GB18030"),
    ],
)
def test_csv_encodings_and_chinese_headers(app, client, desk, encoding, bom, label):
    text = "\r\n".join(
        [
            "排污口编码,采样时间,监测类型,采样单位,检测机构,天气,pH,化学需氧量（mg/L）,氨氮(mg/L),总氮,总磷,流量(m³/s)",
            f"{desk.code},2026-10-01 09:30,监督性监测,钦州市生态环境监测站,钦州监测中心,晴,"
            "7.2,31.5,2.1,9,0.3,0.01",
        ]
    )
    r = _upload(client, bom + text.encode(encoding))
    assert r.status_code == 200, r.get_data(as_text=True)
    assert f"Read as {label}." in r.get_data(as_text=True)
    [record] = _records(app)
    assert (record.organisation, record.lab, record.cod) == (
        "钦州市生态环境监测站",
        "钦州监测中心",
        31.5,
    )
    assert record.weather.value == "dry"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "The file is empty."),
        (b"code,sampled_at,colour\n", "Unknown columns: colour"),
        (b"code,ph\nX,7\n", "Missing columns: sampled_at, sampler_kind"),
        (HEADER.encode() + b"\n", "no data rows"),
        (b"\xff\xfe\x00\x00\xff\xff", "neither UTF-8 nor GB18030"),
    ],
)
def test_a_file_that_is_not_a_monitoring_csv_is_refused_whole(app, client, desk, body, message):
    r = _upload(client, body)
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    assert _records(app) == []


def test_a_csv_over_the_row_limit_is_refused(make_app):
    from tests.outfalls.records_support import make_desk as desk_for

    app = make_app(MONITORING_CSV_MAX_ROWS=2)
    client = app.test_client()

    def seed(factory):
        with app.app_context():
            result = factory()
            db.session.commit()
            return result

    desk = desk_for(client, seed)
    rows = [HEADER] + [f"{desk.code},2026-10-0{d} 09:30,self,,,,7,4,,,," for d in range(1, 4)]
    r = _upload(client, "\n".join(rows).encode())
    assert r.status_code == 400 and "More than 2 rows" in r.get_data(as_text=True)
