"""Static files under hashed names, precompressed, cached for a year; share cards."""

import gzip
import json
import re

import brotli

from portal import staticfiles


def test_pages_link_hashed_static_files_served_for_a_year_compressed(client):
    page = client.get("/map").get_data(as_text=True)
    script = re.search(r'src="(/static/js/map\.[0-9a-f]{12}\.js)"', page).group(1)
    with client.get(script, headers={"Accept-Encoding": "gzip, br"}) as r:
        assert r.status_code == 200
        assert r.headers["Cache-Control"] == "max-age=315360000, public, immutable"
        assert r.headers["Content-Encoding"] == "br"
        body = brotli.decompress(r.data)
    with client.get(script, headers={"Accept-Encoding": "gzip"}) as r:
        assert r.headers["Content-Encoding"] == "gzip" and gzip.decompress(r.data) == body
    with client.get(script) as r:
        assert r.data == body and "Content-Encoding" not in r.headers
    assert b"portal:map-ready" in body
    # The plain name still answers (Leaflet builds some of its own), for an hour only.
    with client.get("/static/js/map.js") as r:
        assert r.status_code == 200 and r.headers["Cache-Control"] == "max-age=3600, public"


def test_stylesheets_point_at_hashed_images(app, client):
    names = app.extensions["static_manifest"]
    css = names["vendor/leaflet-1.9.4/leaflet.css"]
    with client.get(f"/static/{css}") as r:
        text = r.get_data(as_text=True)
    layers = names["vendor/leaflet-1.9.4/images/layers.png"].rsplit("/", 1)[1]
    assert f"url(images/{layers})" in text


def test_the_build_follows_changes_of_static(tmp_path):
    source = tmp_path / "static"
    (source / "js").mkdir(parents=True)
    (source / "js" / "a.js").write_text("var a = 1;" * 100)
    root = tmp_path / "build"
    folder, names = staticfiles.ensure_built(source, root)
    first = names["js/a.js"]
    assert (folder / first).exists() and (folder / f"{first}.br").exists()
    assert staticfiles.ensure_built(source, root) == (folder, names)  # unchanged: no rebuild
    (source / "js" / "a.js").write_text("var a = 2;" * 100)
    folder2, names2 = staticfiles.ensure_built(source, root)
    assert names2["js/a.js"] != first and folder2 != folder
    assert json.loads((root / "manifest.json").read_text())["files"] == names2
    assert (folder / first).exists()  # a worker still serving the old build keeps its files


def test_public_pages_describe_themselves_for_search_and_share_cards(client):
    page = client.get("/complaints/new", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert re.search(r'<meta name="description" content="用手机一分钟举报[^"]+">', page)
    assert re.search(r'<meta property="og:title" content="[^"]+">', page)
    assert 'property="og:image" content="https://pwk.example.test/static/img/share.' in page
    assert 'property="og:url" content="https://pwk.example.test/complaints/new"' in page
    home = client.get("/").get_data(as_text=True)
    assert '<meta name="description" content="钦州市每一个入河入海排污口' in home


def test_the_private_tracking_page_offers_no_share_card(client):
    form = {"category": "other", "description": "河面有泡沫。", "lat": "21.9", "lon": "108.6"}
    r = client.post("/complaints/new", data=form)
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "og:url" not in page and '<meta name="robots" content="noindex">' in page


def test_pages_and_json_are_gzipped_for_browsers_that_ask(client):
    plain = client.get("/complaints/new")
    packed = client.get("/complaints/new", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.data) < len(plain.data) / 2
    assert b"form_key" in gzip.decompress(packed.data)
    small = client.get("/api/v1/outfalls/map", headers={"Accept-Encoding": "gzip"})  # 400 JSON
    assert "Content-Encoding" not in small.headers


def test_a_gzipped_page_keeps_answering_304(client):
    first = client.get("/", headers={"Accept-Encoding": "gzip"})
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304
