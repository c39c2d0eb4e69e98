"""The signboard QR landing page /o/<code>: a permanent public contract."""

import io
from datetime import date

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import event

from portal.extensions import db
from portal.outfalls.models import OutfallStatus
from tests import factories as f


@pytest.fixture
def code(seed):
    def make():
        outfall = f.outfall()
        f.approval(outfall, limits={"cod": 30})
        f.plan(outfall)
        f.monitoring(outfall, cod=45.5)
        return outfall.code

    return seed(make)


def test_landing_shows_what_a_citizen_needs(client, code):
    r = client.get(f"/o/{code}", headers={"Accept-Language": "en"})
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    for expected in (
        code,
        "Responsible entity",
        "测试化工有限公司",  # the entity's name is data, shown as is
        "Supervising department",
        "钦环审〔2024〕1号",
        "Being remediated",
        "COD 45.5 mg/L exceeds the limit 30 mg/L of Limits in the approval",
        'href="tel:12369"',
        "Report a problem at this outfall",
        'name="viewport"',
    ):
        assert expected in page, expected


def test_landing_is_small_and_needs_no_map_library(client, code):
    r = client.get(f"/o/{code}")
    assert len(r.data) < 20_000
    assert "leaflet" not in r.get_data(as_text=True)
    with client.get("/static/css/portal.css") as css:
        assert len(r.data) + len(css.data) < 60_000


def test_landing_takes_at_most_three_queries(app, client, code):
    statements = []

    with app.app_context():
        engine = db.engine

    def count(*args):
        statements.append(args[2])

    # The worker's registry catch-up check runs once per REGISTRY_CATCHUP_SECONDS, not per
    # page (tests/search/test_catchup.py); it is not due during this request.
    follower = app.extensions["registry_catchup"]
    follower.next_at = follower.clock() + 3600
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(f"/o/{code}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 3, statements


@pytest.mark.parametrize(
    "typed",
    ["{code}", "{lower}", "{spaced}", "{dashed}", "{fullwidth}"],
)
def test_hand_typed_codes_redirect_to_the_canonical_url(client, code, typed):
    variants = {
        "code": code,
        "lower": code.lower(),
        "spaced": f"{code[:6]} {code[6:12]} {code[12:14]} {code[14:]}",
        "dashed": f"{code[:6]}-{code[6:12]}-{code[12:14]}-{code[14:]}",
        "fullwidth": "".join(chr(ord(c) + 0xFEE0) for c in code),
    }
    url = "/o/" + typed.format(**variants)
    r = client.get(url)
    if typed == "{code}":
        assert r.status_code == 200
    else:
        assert r.status_code == 301
        assert r.headers["Location"].endswith(f"/o/{code}")


def test_lookup_box_resolves_typed_codes(client, code):
    r = client.get("/o/", query_string={"code": f" {code.lower()[:6]} - {code[6:]} "})
    assert r.headers["Location"].endswith(f"/o/{code}")
    assert client.get("/o/", query_string={"code": ""}).status_code == 400


def test_unknown_code_gets_a_helpful_404_with_a_lookup_form(client):
    for url in ("/o/QT4507029999", "/o/%3Cscript%3E", "/o/x"):
        r = client.get(url, headers={"Accept-Language": "en"})
        assert r.status_code == 404
        page = r.get_data(as_text=True)
        assert "No outfall with this code" in page
        assert 'action="/o/"' in page
        assert "<script>" not in page


def test_merged_outfall_redirects_to_its_successor_which_says_so(client, seed):
    def make():
        target = f.outfall()
        old = f.outfall(
            status=OutfallStatus.merged, merged_into=target, status_since=date(2024, 8, 1)
        )
        return old.code, target.code

    old, target = seed(make)
    r = client.get(f"/o/{old}")
    assert r.status_code in (302, 303)
    assert f"/o/{target}?from={old}" in r.headers["Location"]
    page = client.get(r.headers["Location"], headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert f"Outfall {old} was merged into this outfall" in page


def test_merge_notice_cannot_be_forged(client, seed):
    a, b = seed(lambda: (f.outfall().code, f.outfall().code))
    page = client.get(f"/o/{b}?from={a}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "was merged into this outfall" not in page


def test_banned_outfall_says_it_is_banned_and_since_when(client, seed):
    code = seed(
        lambda: f.outfall(status=OutfallStatus.banned, status_since=date(2023, 11, 20)).code
    )
    page = client.get(f"/o/{code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "This outfall was banned on Nov 20, 2023" in page


def test_outfall_without_entity_or_monitoring_is_shown_honestly(client, seed):
    code = seed(lambda: f.outfall(responsible=None).code)
    page = client.get(f"/o/{code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Being traced" in page
    assert "No monitoring published" in page
    assert "None published" in page


def _decode(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1
    return results[0].text


def test_qr_png_encodes_the_permanent_public_url(client, code):
    with client.get(f"/o/{code}/qr.png") as r:
        assert r.mimetype == "image/png"
        assert _decode(r.data) == f"https://pwk.example.test/o/{code}"


def test_qr_never_takes_its_host_from_the_request(app, client, code):
    with client.get(f"/o/{code}/qr.png", headers={"Host": "evil.example"}) as r:
        assert _decode(r.data) == f"https://pwk.example.test/o/{code}"
    # In development without PUBLIC_BASE_URL: the configured host, else the dev server.
    app.config["PUBLIC_BASE_URL"] = None
    with client.get(f"/o/{code}/qr.png", base_url="http://evil.example") as r:
        assert _decode(r.data) == f"http://127.0.0.1:5000/o/{code}"
    app.config["SERVER_NAME"] = "portal.local:8000"
    with client.get(f"/o/{code}/qr.png", base_url="http://portal.local:8000") as r:
        assert _decode(r.data) == f"http://portal.local:8000/o/{code}"


def test_qr_svg_is_served(client, code):
    with client.get(f"/o/{code}/qr.svg") as r:
        assert r.mimetype == "image/svg+xml" and b"<svg" in r.data


def test_qr_and_signboards_of_unknown_or_typed_codes(client, code):
    assert client.get("/o/NOSUCH0000/qr.png").status_code == 404
    assert client.get("/o/NOSUCH0000/signboard.pdf").status_code == 404
    r = client.get(f"/o/{code.lower()}/signboard.svg")
    assert r.status_code == 301 and r.headers["Location"].endswith(f"/o/{code}/signboard.svg")


def test_signboard_pdf_carries_a_decodable_qr_code(client, code):
    import pypdfium2

    with client.get(f"/o/{code}/signboard.pdf") as r:
        assert r.mimetype == "application/pdf"
        pdf = pypdfium2.PdfDocument(r.data)
        width_mm = pdf[0].get_width() / 72 * 25.4
        assert abs(width_mm - 480) < 0.5
        image = pdf[0].render(scale=150 / 72).to_pil()
        pdf.close()
    results = zxingcpp.read_barcodes(image)
    assert [x.text for x in results] == [f"https://pwk.example.test/o/{code}"]


def test_signboard_svg_names_the_outfall_in_chinese(client, code):
    with client.get(f"/o/{code}/signboard.svg", headers={"Accept-Language": "en"}) as r:
        text = r.get_data(as_text=True)
    assert code in text and "监督电话" in text and "12369" in text
