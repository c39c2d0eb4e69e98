// What every map of the portal shares: the base layer, a notice on the map when its tiles
// cannot load (markers, pins and lists keep working without them), and a plain "Leaflet"
// credit instead of Leaflet's default prefix with a flag. Texts come from data-* attributes.
(function () {
  "use strict";
  if (typeof L === "undefined") {
    return;
  }
  // After this many failed tiles and none loaded, the base map is said to be missing.
  var FAILED_TILES = 3;

  function notice(map, text) {
    var box = document.createElement("p");
    box.className = "tiles-failed";
    box.setAttribute("role", "status");
    box.textContent = text;
    box.hidden = true;
    map.getContainer().appendChild(box);
    return box;
  }

  // Adds the tile layer of `url` to `map`; `message` is shown on the map if tiles fail.
  function baseLayer(map, url, attribution, message, maxZoom) {
    map.attributionControl.setPrefix("Leaflet");
    var layer = L.tileLayer(url, { maxZoom: maxZoom || 19, attribution: attribution });
    var failed = 0;
    var loaded = 0;
    var box = message ? notice(map, message) : null;
    layer.on("tileerror", function () {
      failed += 1;
      if (box && !loaded && failed >= FAILED_TILES) {
        box.hidden = false;
        map.getContainer().classList.add("no-tiles");
      }
    });
    layer.on("tileload", function () {
      loaded += 1;
      if (box) {
        box.hidden = true;
        map.getContainer().classList.remove("no-tiles");
      }
    });
    layer.addTo(map);
    return layer;
  }

  window.PortalMaps = { baseLayer: baseLayer };
})();
