// Small location map of one outfall. Reads everything from data-* attributes so the page
// needs no inline script; the coordinates stay on the page as text if tiles never load.
(function () {
  "use strict";
  var el = document.getElementById("outfall-map");
  if (!el || typeof L === "undefined") {
    return;
  }
  var lat = parseFloat(el.dataset.lat);
  var lon = parseFloat(el.dataset.lon);
  if (!isFinite(lat) || !isFinite(lon)) {
    return;
  }
  var map = L.map(el, { scrollWheelZoom: false }).setView([lat, lon], 15);
  if (window.PortalMaps) {
    window.PortalMaps.baseLayer(map, el.dataset.tileUrl, el.dataset.attribution, el.dataset.msgTilesFailed, 18);
  } else {
    map.attributionControl.setPrefix("Leaflet");
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 18, attribution: el.dataset.attribution }).addTo(map);
  }
  L.circleMarker([lat, lon], {
    radius: 9,
    color: "#0b6b3a",
    weight: 3,
    fillColor: "#2fa35f",
    fillOpacity: 0.9
  }).addTo(map).bindTooltip(el.dataset.label);
  el.classList.add("map-ready");
})();
