// The outfall form's map pin: a click or a drag sets the latitude and longitude fields,
// typed coordinates move the pin. Everything comes from data-* attributes (strict CSP).
(function () {
  "use strict";
  var el = document.getElementById("pin-map");
  var latField = document.getElementById("lat");
  var lonField = document.getElementById("lon");
  if (!el || !latField || !lonField || typeof L === "undefined") {
    return;
  }
  var start = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
  var map = L.map(el).setView(start, latField.value ? 15 : 10);
  if (window.PortalMaps) {
    window.PortalMaps.baseLayer(map, el.dataset.tileUrl, el.dataset.attribution, el.dataset.msgTilesFailed, 18);
  }
  var marker = L.marker(start, { draggable: true });
  if (latField.value && lonField.value) {
    marker.addTo(map);
  }
  function place(latlng) {
    latField.value = latlng.lat.toFixed(6);
    lonField.value = latlng.lng.toFixed(6);
    marker.setLatLng(latlng).addTo(map);
  }
  map.on("click", function (event) { place(event.latlng); });
  marker.on("dragend", function () { place(marker.getLatLng()); });
  function typed() {
    var lat = parseFloat(latField.value);
    var lon = parseFloat(lonField.value);
    if (isFinite(lat) && isFinite(lon)) {
      marker.setLatLng([lat, lon]).addTo(map);
      map.panTo([lat, lon]);
    }
  }
  latField.addEventListener("change", typed);
  lonField.addEventListener("change", typed);
  el.classList.add("map-ready");
})();
