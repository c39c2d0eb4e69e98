// The complaints layer of /map: public summaries from /api/v1/complaints/map (rounded to
// ~100 m, no reporter), switched on by a checkbox. Labels and the URL come from data-*
// attributes; the map comes from map.js through its extension point (el.portalMap or the
// "portal:map-ready" event).
(function () {
  "use strict";
  var box = document.getElementById("complaint-layer");
  var mapEl = document.getElementById("outfall-big-map");
  if (!box || !mapEl || typeof L === "undefined" || !window.fetch) {
    return;
  }
  var d = box.dataset;
  var toggle = document.getElementById("complaint-layer-toggle");
  var statusEl = document.getElementById("complaint-layer-status");
  var statuses = JSON.parse(d.statuses || "{}");
  var channels = JSON.parse(d.channels || "{}");
  var map = null;
  var layer = null;
  var controller = null;
  var timer = null;

  function say(text) {
    statusEl.textContent = text || "";
  }

  function fill(template, n) {
    return (template || "").replace("{n}", String(n));
  }

  function round(v) {
    return Math.round(v * 1000) / 1000;
  }

  function clamp(v, lo, hi) {
    return Math.min(hi, Math.max(lo, v));
  }

  function bbox() {
    var b = map.getBounds();
    return [
      clamp(round(b.getWest()), -180, 180),
      clamp(round(b.getSouth()), -90, 90),
      clamp(round(b.getEast()), -180, 180),
      clamp(round(b.getNorth()), -90, 90)
    ].join(",");
  }

  function popup(p) {
    var wrap = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = p.tracking_no;
    title.setAttribute("translate", "no");
    wrap.appendChild(title);
    [statuses[p.status] || p.status, channels[p.channel] || p.channel, p.received.slice(0, 10)]
      .forEach(function (text) {
        var line = document.createElement("div");
        line.textContent = text;
        wrap.appendChild(line);
      });
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = d.labelOpen;
    wrap.appendChild(link);
    return wrap;
  }

  function draw(data) {
    layer.clearLayers();
    data.features.forEach(function (f) {
      var c = f.geometry.coordinates;
      L.circleMarker([c[1], c[0]], {
        radius: 6,
        color: "#ffffff",
        weight: 2,
        fillColor: "#c2410c",
        fillOpacity: 0.9
      })
        .bindPopup(popup(f.properties))
        .addTo(layer);
    });
    var text = fill(d.labelCount, data.features.length);
    say(data.truncated ? text + " " + d.labelTruncated : text);
  }

  function load() {
    if (controller) {
      controller.abort();
    }
    controller = new AbortController();
    say(d.labelLoading);
    fetch(d.api + "?bbox=" + encodeURIComponent(bbox()), { signal: controller.signal })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(draw)
      .catch(function (error) {
        if (error.name !== "AbortError") {
          say(d.labelFailed);
        }
      });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(load, 250);
  }

  function apply() {
    if (toggle.checked) {
      layer.addTo(map);
      map.on("moveend", schedule);
      load();
    } else {
      map.off("moveend", schedule);
      map.removeLayer(layer);
      say("");
    }
  }

  function start(m) {
    if (map) {
      return;
    }
    map = m;
    layer = L.layerGroup();
    box.hidden = false;
    if (new URLSearchParams(window.location.search).get("complaints") === "1") {
      toggle.checked = true;
    }
    toggle.addEventListener("change", apply);
    apply();
  }

  if (mapEl.portalMap) {
    start(mapEl.portalMap);
  } else {
    mapEl.addEventListener("portal:map-ready", function (event) {
      start(event.detail.map);
    });
  }
})();
