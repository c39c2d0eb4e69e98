// The outfall map: clusters and points from /api/v1/outfalls/map, filters, my location,
// colour by type or by remediation status. Settings and every label come from data-*
// attributes (no inline script, no text here).
//
// Extension point: once the map is ready the element fires "portal:map-ready" with
// { map: <L.Map> } in event.detail (and keeps it as el.portalMap), so another script can
// add its own layer without changing this file.
(function () {
  "use strict";
  var el = document.getElementById("outfall-big-map");
  if (!el || typeof L === "undefined" || !el.dataset.api || !window.fetch) {
    return;
  }
  var d = el.dataset;
  var types = JSON.parse(d.types || "{}");
  var statuses = JSON.parse(d.statuses || "{}");
  var remediations = JSON.parse(d.remediations || "{}");
  var form = document.getElementById("map-filters");
  var listLink = document.getElementById("map-list-link");
  var statusEl = document.getElementById("map-status");
  var listEl = document.getElementById("map-list");
  var locateBtn = document.getElementById("map-locate");
  var COLOURS = { GY: "#b42318", SH: "#1d4ed8", NY: "#15803d", YH: "#0e7490", QT: "#7c3aed" };
  // Remediation by stage: not started, planned or under way, signing off, done; no plan grey.
  var STAGES = {
    identified: "#b42318", monitored: "#b42318", traced: "#b42318",
    plan_approved: "#c2410c", remediating: "#c2410c",
    signoff_submitted: "#1d4ed8", dept_confirmed: "#1d4ed8", eee_approved: "#1d4ed8",
    closed: "#15803d", retained: "#15803d"
  };
  var colourSelect = document.getElementById("map-colour");
  var FILTERS = ["type", "kind", "remediation", "region"];
  var MAX_ZOOM = 19;
  // Must match portal/outfalls/grid.py (CELL_PX) so snapped requests repeat and hit caches.
  var CELL_PX = 96;

  var params = new URLSearchParams(window.location.search);
  var lat = parseFloat(params.get("lat"));
  var lon = parseFloat(params.get("lon"));
  var zoom = parseInt(params.get("z"), 10);
  if (!isFinite(lat) || !isFinite(lon)) {
    lat = parseFloat(d.lat);
    lon = parseFloat(d.lon);
  }
  if (!isFinite(zoom) || zoom < 0 || zoom > MAX_ZOOM) {
    zoom = parseInt(d.zoom, 10) || 9;
  }

  var map = L.map(el, { maxZoom: MAX_ZOOM }).setView([lat, lon], zoom);
  if (window.PortalMaps) {
    window.PortalMaps.baseLayer(map, d.tileUrl, d.attribution, d.labelTilesFailed, MAX_ZOOM);
  } else {
    L.tileLayer(d.tileUrl, { maxZoom: MAX_ZOOM, attribution: d.attribution }).addTo(map);
  }
  var layer = L.layerGroup().addTo(map);
  // The extension point: other layers (map-complaints.js) find the map here or wait for it.
  el.portalMap = map;
  el.dispatchEvent(new CustomEvent("portal:map-ready", { detail: { map: map } }));
  var controller = null;
  var timer = null;

  function say(text) {
    statusEl.textContent = text || "";
  }

  function fill(template, n) {
    return (template || "").replace("{n}", String(n));
  }

  function filterValues() {
    var values = {};
    FILTERS.forEach(function (name) {
      var field = form && form.elements[name];
      if (field && field.value) {
        values[name] = field.value;
      }
    });
    return values;
  }

  function clamp(v, lo, hi) {
    return Math.min(hi, Math.max(lo, v));
  }

  function snappedBbox(z) {
    // Grow the viewport outward to the server's grid so small pans repeat the same URL.
    var b = map.getBounds();
    var size = 360 / Math.pow(2, z) * CELL_PX / 256;
    var west = -180 + Math.floor((clamp(b.getWest(), -180, 180) + 180) / size) * size;
    var east = -180 + Math.ceil((clamp(b.getEast(), -180, 180) + 180) / size) * size;
    var south = -90 + Math.floor((clamp(b.getSouth(), -90, 90) + 90) / size) * size;
    var north = -90 + Math.ceil((clamp(b.getNorth(), -90, 90) + 90) / size) * size;
    var r = function (v, lo, hi) { return clamp(Math.round(v * 1e6) / 1e6, lo, hi); };
    return [r(west, -180, 180), r(south, -90, 90), r(east, -180, 180), r(north, -90, 90)].join(",");
  }

  function updateUrls() {
    var values = filterValues();
    var query = new URLSearchParams(values);
    var listUrl = listLink.getAttribute("href").split("?")[0];
    listLink.setAttribute("href", listUrl + (query.toString() ? "?" + query.toString() : ""));
    var c = map.getCenter();
    query.set("lat", c.lat.toFixed(5));
    query.set("lon", c.lng.toFixed(5));
    query.set("z", String(map.getZoom()));
    window.history.replaceState(null, "", window.location.pathname + "?" + query.toString());
  }

  function clusterIcon(count) {
    var size = count < 10 ? "s" : count < 100 ? "m" : "l";
    var px = count < 10 ? 30 : count < 100 ? 38 : count < 1000 ? 46 : 54;
    var label = document.createElement("span");
    label.textContent = String(count);
    return L.divIcon({
      html: label,
      className: "cluster-icon cluster-" + size,
      iconSize: [px, px]
    });
  }

  function popup(p) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var name = document.createElement("strong");
    name.textContent = p.name;
    box.appendChild(name);
    function line(label, value) {
      var row = document.createElement("p");
      row.textContent = label + ": " + value;
      box.appendChild(row);
    }
    line(d.labelCode, p.code);
    line(d.labelStatus, statuses[p.status] || p.status);
    if (p.remediation) {
      line(d.labelRemediation, remediations[p.remediation] || p.remediation);
    }
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = d.labelOpen;
    box.appendChild(link);
    return box;
  }

  function listItem(p) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = p.url;
    var strong = document.createElement("strong");
    strong.textContent = p.name;
    a.appendChild(strong);
    li.appendChild(a);
    var meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = p.code + " · " + (types[p.type] || p.type) + " · " + (statuses[p.status] || p.status);
    li.appendChild(meta);
    return li;
  }

  function colourOf(p) {
    if (colourSelect && colourSelect.value === "remediation") {
      return STAGES[p.remediation] || "#6b7280";
    }
    return COLOURS[p.type] || "#555";
  }

  function showLegend() {
    var byRemediation = colourSelect && colourSelect.value === "remediation";
    document.querySelectorAll(".map-legend").forEach(function (legend) {
      legend.hidden = (legend.dataset.legend === "remediation") !== byRemediation;
    });
  }

  var lastData = null;
  function draw(data) {
    lastData = data;
    layer.clearLayers();
    listEl.textContent = "";
    data.features.forEach(function (f) {
      var c = f.geometry.coordinates;
      var p = f.properties;
      var at = [c[1], c[0]];
      (p.outfalls || []).forEach(function (member) {
        listEl.appendChild(listItem(member)); // overlapping outfalls: listed, clustered
      });
      if (p.count !== undefined) {
        var marker = L.marker(at, { icon: clusterIcon(p.count), title: fill(d.labelCluster, p.count), keyboard: true });
        marker.on("click", function () {
          map.setView(at, Math.min(map.getZoom() + 2, MAX_ZOOM));
        });
        marker.addTo(layer);
      } else {
        L.circleMarker(at, {
          radius: 8,
          weight: 2,
          color: "#fff",
          fillColor: colourOf(p),
          fillOpacity: 0.95
        }).bindPopup(popup(p)).addTo(layer);
        listEl.appendChild(listItem(p));
      }
    });
    say(fill(d.labelCount, data.total) + (data.mode === "clusters" ? " " + d.labelZoomIn : ""));
    el.classList.add("map-ready");
  }

  function load() {
    if (controller) {
      controller.abort();
    }
    controller = new AbortController();
    var z = map.getZoom();
    var query = new URLSearchParams(filterValues());
    query.set("bbox", snappedBbox(z));
    query.set("zoom", String(z));
    say(d.labelLoading);
    el.classList.remove("map-ready");
    fetch(d.api + "?" + query.toString(), { signal: controller.signal, headers: { Accept: "application/geo+json" } })
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
    timer = window.setTimeout(function () {
      updateUrls();
      load();
    }, 250);
  }

  map.on("moveend", schedule);
  if (colourSelect) {
    colourSelect.addEventListener("change", function (event) {
      event.stopPropagation(); // a colour is no filter: redraw, do not reload
      showLegend();
      if (lastData) {
        draw(lastData);
      }
    });
    showLegend();
  }
  if (form) {
    form.addEventListener("change", schedule);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      schedule();
    });
  }

  if (locateBtn && navigator.geolocation) {
    var you = null;
    locateBtn.hidden = false;
    locateBtn.addEventListener("click", function () {
      say(d.labelLocating);
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          var at = [pos.coords.latitude, pos.coords.longitude];
          if (you) {
            layer.removeLayer(you);
            map.removeLayer(you);
          }
          you = L.circleMarker(at, { radius: 9, color: "#1d4ed8", weight: 3, fillColor: "#60a5fa", fillOpacity: 0.9 })
            .bindTooltip(d.labelYou).addTo(map);
          map.setView(at, 15);
          say(d.labelLocated);
        },
        function () {
          say(d.labelLocateFailed);
        },
        { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
      );
    });
  }

  load();
})();
