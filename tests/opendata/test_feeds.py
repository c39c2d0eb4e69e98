"""Atom feeds of an outfall, a water body, a region and of every new report: parsed back
with ElementTree in the Atom namespace, linked from their pages, cacheable, private data out."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from portal.complaints.models import ComplaintStatus
from portal.outfalls import history
from tests import factories

NS = {"a": "http://www.w3.org/2005/Atom"}
REPORTER = {"name": "孙七保密", "phone": "13600002222", "email": "feed.reporter@example.test"}


def _world():
    region = factories.region()
    water = factories.water_body()
    outfall = factories.outfall(region=region, water_body=water, name="测试排口甲")
    quiet = factories.outfall()
    factories.approval(outfall, decision_no="钦环审〔2025〕7号", limits={"cod": 30})
    factories.plan(outfall)
    factories.monitoring(outfall)  # COD 40 over the permit's 30
    history.record(
        chain=history.outfall_chain(outfall.id),
        subject_kind="outfall",
        subject_id=outfall.id,
        outfall_id=outfall.id,
        action="update",
        changes=[
            {"field": "address", "old": "a", "new": "b", "public": True},
        ],
        reason="现场复核",
    )
    history.record(
        chain=history.outfall_chain(outfall.id),
        subject_kind="outfall",
        subject_id=outfall.id,
        outfall_id=outfall.id,
        action="update",
        changes=[{"field": "internal_note", "old": "x", "new": "y", "public": False}],
    )
    receipt = factories.complaint(outfall=outfall.code, **REPORTER)
    complaint = receipt.complaint
    complaint.status = ComplaintStatus.resolved
    complaint.resolved_at = datetime(2026, 11, 20, 3, tzinfo=UTC)
    factories.complaint(outfall=quiet.code, **REPORTER)
    return {
        "code": outfall.code,
        "quiet": quiet.code,
        "water": water.id,
        "region": region.code,
        "tracking": complaint.tracking_no,
    }


@pytest.fixture
def world(seed):
    return seed(_world)


def _feed(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/atom+xml"
    assert "public" in response.headers["Cache-Control"]
    text = response.get_data(as_text=True)
    for secret in REPORTER.values():
        assert secret not in text
    root = ET.fromstring(response.get_data())
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert root.find("a:link[@rel='self']", NS).get("href").startswith("https://pwk.example.test/")
    return root, [
        (e.find("a:id", NS).text, e.find("a:title", NS).text) for e in root.findall("a:entry", NS)
    ]


def _kinds(entries) -> set[str]:
    return {entry_id.rsplit("#", 1)[1].split("-")[0] for entry_id, _title in entries}


def test_outfall_feed_has_every_kind_of_public_event(client, world):
    _root, entries = _feed(client, f"/outfalls/{world['code']}/feed.atom")
    assert _kinds(entries) == {"approval", "sample", "step", "change", "received", "resolved"}
    # The change of an internal field only is left out, as on the public history.
    assert len([e for e in entries if "#change-" in e[0]]) == 1
    assert all(e[0].startswith("https://pwk.example.test/") for e in entries)
    assert any("钦环审〔2025〕7号" in title for _id, title in entries)
    assert not any(world["quiet"] in entry_id for entry_id, _t in entries)


def test_water_and_region_feeds_cover_their_outfalls_only(client, world):
    for url in (f"/waters/{world['water']}/feed.atom", f"/regions/{world['region']}/feed.atom"):
        _root, entries = _feed(client, url)
        assert {"approval", "received"} <= _kinds(entries)
        assert sum("#received" in e[0] for e in entries) == 1


def test_all_reports_feed_lists_every_new_report(client, world):
    _root, entries = _feed(client, "/complaints/feed.atom")
    assert _kinds(entries) == {"received"}
    assert len(entries) == 2
    assert any(world["tracking"] in entry_id for entry_id, _t in entries)


def test_feeds_answer_304_to_a_repeat(client, world):
    url = f"/outfalls/{world['code']}/feed.atom"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize(
    "url",
    ["/outfalls/NOPE0000/feed.atom", "/waters/99999/feed.atom", "/regions/999999/feed.atom"],
)
def test_unknown_subjects_have_no_feed(client, world, url):
    assert client.get(url).status_code == 404


def test_pages_link_their_feeds(client, world):
    pages = {
        f"/outfalls/{world['code']}": f"/outfalls/{world['code']}/feed.atom",
        f"/waters/{world['water']}": f"/waters/{world['water']}/feed.atom",
        f"/outfalls/?region={world['region']}": f"/regions/{world['region']}/feed.atom",
        "/complaints/": "/complaints/feed.atom",
    }
    for page, feed in pages.items():
        html = client.get(page).get_data(as_text=True)
        assert f'<link rel="alternate" type="application/atom+xml" href="{feed}"' in html, page
