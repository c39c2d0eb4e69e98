"""Open data downloads (/data): every dataset in every format, read back as a person's tools
would (csv module expecting the BOM, openpyxl, a GeoJSON schema), filters, 304s, privacy."""

import csv
import io
from datetime import UTC, datetime

import jsonschema
import pytest
from openpyxl import load_workbook

from portal.opendata.datasets import DATASETS
from tests import factories

REPORTER = {"name": "赵六保密", "phone": "13900001111", "email": "secret.reporter@example.test"}

# RFC 7946 as far as these files use it: a FeatureCollection of Point features.
GEOJSON_SCHEMA = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"const": "Feature"},
                    "properties": {"type": "object"},
                    "geometry": {
                        "oneOf": [
                            {"type": "null"},
                            {
                                "type": "object",
                                "required": ["type", "coordinates"],
                                "properties": {
                                    "type": {"const": "Point"},
                                    "coordinates": {
                                        "type": "array",
                                        "minItems": 2,
                                        "maxItems": 2,
                                        "prefixItems": [
                                            {"type": "number", "minimum": -180, "maximum": 180},
                                            {"type": "number", "minimum": -90, "maximum": 90},
                                        ],
                                    },
                                },
                            },
                        ]
                    },
                },
            },
        },
    },
}


def _registry():
    water = factories.water_body()
    other_water = factories.water_body()
    first = factories.outfall(water_body=water, name='=HYPERLINK("x")排污口')
    second = factories.outfall(water_body=other_water, lat=None, lon=None)
    factories.approval(first, limits={"cod": 30})
    factories.plan(first)
    # COD 40 breaks the permit's 30; the second record is within it.
    factories.monitoring(first)
    factories.monitoring(first, sampled_at=datetime(2026, 10, 2, 2, tzinfo=UTC), cod=20.0)
    factories.complaint(
        outfall=first.code,
        lat=21.95123,
        lon=108.62345,
        consent=True,
        description="黑水直排",
        **REPORTER,
    )
    factories.complaint(
        outfall=second.code,
        lat=21.96,
        lon=108.61,
        consent=False,
        description="不公开的描述",
        **REPORTER,
    )
    return {"first": first.code, "second": second.code, "water": water.id}


@pytest.fixture
def data(seed):
    return seed(_registry)


def _csv(response) -> list[dict]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def _xlsx(response) -> list[dict]:
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    sheet = book[book.sheetnames[0]]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert book.sheetnames[1] == "fields"
    # Read-only mode leaves out the empty cells at the end of a row.
    return [dict(zip(header, [*r, *[None] * (len(header) - len(r))], strict=True)) for r in body]


def _geojson(response) -> list[dict]:
    doc = response.get_json(force=True)
    jsonschema.validate(doc, GEOJSON_SCHEMA)
    return doc["features"]


@pytest.mark.parametrize("slug", sorted(DATASETS))
def test_every_dataset_reads_back_in_every_format(client, data, slug):
    counts = {}
    for fmt in DATASETS[slug].formats:
        response = client.get(f"/data/{slug}.{fmt}")
        assert response.status_code == 200, (slug, fmt)
        assert f'filename="{slug}.{fmt}"' in response.headers["Content-Disposition"]
        assert response.headers["ETag"]
        rows = {"csv": _csv, "xlsx": _xlsx, "geojson": _geojson}[fmt](response)
        counts[fmt] = len(rows)
        names = [c.name for c in DATASETS[slug].exported]
        if rows and fmt != "geojson":
            assert list(rows[0]) == names
        if rows and fmt == "geojson":
            assert list(rows[0]["properties"]) == names
    assert len(set(counts.values())) == 1, counts


def test_csv_and_xlsx_are_streams_with_the_expected_rows(client, data):
    response = client.get("/data/outfalls.csv")
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    rows = _csv(response)
    by_code = {r["code"]: r for r in rows}
    assert set(by_code) == {data["first"], data["second"]}
    first = by_code[data["first"]]
    assert first["remediation_status"] == "remediating"
    assert first["remediation_category"] == "regularise"
    assert first["responsible_entity"].startswith("测试化工有限公司")
    # A spreadsheet would run a text starting with "=": it is written as text.
    assert first["name"].startswith("'=HYPERLINK")
    assert by_code[data["second"]]["lat"] == ""
    [xrow] = [r for r in _xlsx(client.get("/data/outfalls.xlsx")) if r["code"] == data["first"]]
    assert xrow["lat"] == pytest.approx(21.95) and xrow["name"].startswith("'=")


def test_monitoring_flags_exceedances_against_the_permit(client, data):
    rows = _csv(client.get("/data/monitoring.csv"))
    flags = sorted((r["sampled_at"], r["exceeded"], r["exceeded_indicators"]) for r in rows)
    assert flags == [
        ("2026-10-01T10:00:00+08:00", "true", "cod"),
        ("2026-10-02T10:00:00+08:00", "false", ""),
    ]
    assert {r["standard"] for r in rows} == {"PERMIT"}


def test_geojson_places_features_and_leaves_unknown_places_null(client, data):
    features = _geojson(client.get("/data/outfalls.geojson"))
    by_code = {f["properties"]["code"]: f for f in features}
    assert by_code[data["first"]]["geometry"]["coordinates"] == [108.62, 21.95]
    assert by_code[data["second"]]["geometry"] is None


def test_complaints_show_only_the_public_summary(client, data):
    for fmt in ("csv", "xlsx", "geojson"):
        body = client.get(f"/data/complaints.{fmt}").get_data()
        if fmt == "xlsx":
            book = load_workbook(io.BytesIO(body), read_only=True)
            body = repr([list(s.iter_rows(values_only=True)) for s in book]).encode()
        text = body.decode("utf-8", "replace")
        for secret in (*REPORTER.values(), "不公开的描述", "21.95123", "108.62345"):
            assert secret not in text, (fmt, secret)
    rows = _csv(client.get("/data/complaints.csv"))
    assert {r["description"] for r in rows} == {"黑水直排", ""}
    assert sorted((r["lat"], r["lon"]) for r in rows) == [
        ("21.951", "108.623"),
        ("21.96", "108.61"),
    ]
    features = _geojson(client.get("/data/complaints.geojson"))
    points = sorted(f["geometry"]["coordinates"] for f in features)
    assert points == [[108.61, 21.96], [108.623, 21.951]]


def test_outfall_filters_apply_to_every_outfall_dataset(client, data):
    rows = _csv(client.get(f"/data/outfalls.csv?water={data['water']}"))
    assert [r["code"] for r in rows] == [data["first"]]
    assert _csv(client.get(f"/data/monitoring.csv?water={data['water'] + 1000}")) == []
    assert len(_csv(client.get("/data/approvals.csv?type=GY"))) == 1
    assert _csv(client.get("/data/approvals.csv?type=SH")) == []


def test_complaint_filters_are_the_public_records(client, data):
    rows = _csv(client.get(f"/data/complaints.csv?outfall={data['first']}"))
    assert len(rows) == 1 and rows[0]["outfall_code"] == data["first"]
    response = client.get("/data/complaints.csv?outfall=NOPE0001")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/data/outfalls.csv?type=XX",
        "/data/outfalls.csv?water=0",
        "/data/outfalls.csv?water=99999999999",
        "/data/outfalls.csv?region=abc",
        "/data/complaints.csv?period=1999-99",
        "/data/complaints.csv?status=nonsense",
    ],
)
def test_bad_filters_are_refused_with_400(client, data, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response.mimetype == "text/plain"


def test_unknown_dataset_or_format_is_404(client, data):
    assert client.get("/data/nothing.csv").status_code == 404
    assert client.get("/data/outfalls.pdf").status_code == 404
    assert client.get("/data/department_months.geojson").status_code == 404


def test_repeat_download_is_a_304_until_the_data_changes(client, seed, data):
    first = client.get("/data/outfalls.csv")
    first.get_data()  # a streamed body is read (or closed) inside the test
    etag = first.headers["ETag"]
    assert (
        "max-age" in first.headers["Cache-Control"] and "public" in first.headers["Cache-Control"]
    )
    assert client.get("/data/outfalls.csv", headers={"If-None-Match": etag}).status_code == 304
    # Another filter or format is another file.
    other = client.get("/data/outfalls.csv?type=GY", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.get_data()
    modified = first.headers["Last-Modified"]
    since = client.get("/data/outfalls.csv", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    seed(factories.outfall)
    again = client.get("/data/outfalls.csv", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag
    again.get_data()


def test_data_page_lists_every_dataset_with_its_fields_and_counts(client, data):
    response = client.get("/data/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for slug, ds in DATASETS.items():
        assert f'id="{slug}"' in page
        for column in ds.exported:
            assert f"<code>{column.name}</code>" in page
    assert "CC BY 4.0" in page
    assert "2 个排污口" in page or "2 行" in page or "2 rows" in page
    for secret in REPORTER.values():
        assert secret not in page


def test_a_bad_filter_is_named_by_its_label(client, data):
    response = client.get("/data/outfalls.csv?type=XX", headers={"Accept-Language": "en"})
    assert response.get_data(as_text=True).startswith("Type: ")
