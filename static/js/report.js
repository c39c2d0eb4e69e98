// The report form's helpers: a map to drop a pin, "use my location", nearby open
// reports, and photo count/size checks before a long upload. Every text comes from
// data-* attributes (translated on the server); without JavaScript the form still works
// with typed coordinates, a photo's GPS or the outfall's position.
(function () {
  "use strict";
  var el = document.getElementById("report-map");
  var form = document.querySelector("form.complaint");
  if (!el || !form) {
    return;
  }
  var d = el.dataset;
  var latInput = form.querySelector("input[name=lat]");
  var lonInput = form.querySelector("input[name=lon]");
  var sourceInput = document.getElementById("location_source");
  var outfallInput = form.querySelector("input[name=outfall]");
  var nearbyBox = document.getElementById("nearby-live");
  var statusEl = document.getElementById("location-status");
  var marker = null;
  var map = null;

  function showNearby(items) {
    nearbyBox.textContent = "";
    if (!items.length) {
      nearbyBox.hidden = true;
      return;
    }
    var p = document.createElement("p");
    p.textContent = d.msgNearby;
    nearbyBox.appendChild(p);
    var ul = document.createElement("ul");
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.tracking_no;
      li.appendChild(a);
      var extra = " · " + item.category;
      if (item.distance_m !== null) {
        extra += " · " + item.distance_m + " m";
      }
      li.appendChild(document.createTextNode(extra));
      ul.appendChild(li);
    });
    nearbyBox.appendChild(ul);
    nearbyBox.hidden = false;
  }

  function fetchNearby(lat, lon) {
    var params = new URLSearchParams();
    if (lat !== null) {
      params.set("lat", lat.toFixed(6));
      params.set("lon", lon.toFixed(6));
    }
    if (outfallInput && outfallInput.value.trim()) {
      params.set("outfall", outfallInput.value.trim());
    }
    if (!params.toString()) {
      return;
    }
    fetch(d.nearbyUrl + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { complaints: [] }; })
      .then(function (data) { showNearby(data.complaints || []); })
      .catch(function () { /* offline: the server still accepts the report */ });
  }

  function setPoint(lat, lon, source) {
    latInput.value = lat.toFixed(6);
    lonInput.value = lon.toFixed(6);
    sourceInput.value = source;
    if (map) {
      if (marker) {
        marker.setLatLng([lat, lon]);
      } else {
        marker = L.marker([lat, lon], { draggable: true, keyboard: true }).addTo(map);
        marker.on("dragend", function () {
          var p = marker.getLatLng();
          setPoint(p.lat, p.lng, "pin");
        });
      }
    }
    fetchNearby(lat, lon);
  }

  if (typeof L !== "undefined") {
    el.hidden = false;
    L.Icon.Default.imagePath = el.dataset.iconPath || "";
    var lat0 = parseFloat(d.lat);
    var lon0 = parseFloat(d.lon);
    var hasPoint = d.hasPoint === "true";
    map = L.map(el).setView([lat0, lon0], hasPoint ? 16 : 11);
    L.tileLayer(d.tileUrl, { maxZoom: 19, attribution: d.attribution }).addTo(map);
    map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, "pin"); });
    if (d.outfallLat) {
      // The outfall itself, for reference; the citizen's pin (if any) is a separate marker.
      L.circleMarker([parseFloat(d.outfallLat), parseFloat(d.outfallLon)], {
        radius: 9, color: "#0b6b3a", weight: 3, fillColor: "#2fa35f", fillOpacity: 0.9
      }).addTo(map).bindTooltip(d.outfallLabel);
    }
    if (hasPoint && latInput.value) {
      setPoint(parseFloat(latInput.value), parseFloat(lonInput.value), sourceInput.value || "pin");
    }
    el.classList.add("map-ready");
  }

  var locate = document.getElementById("use-location");
  if (locate && navigator.geolocation) {
    locate.parentElement.hidden = false;
    locate.addEventListener("click", function () {
      statusEl.textContent = d.msgLocating;
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          setPoint(pos.coords.latitude, pos.coords.longitude, "device");
          if (map) {
            map.setView([pos.coords.latitude, pos.coords.longitude], 17);
          }
          statusEl.textContent = d.msgLocated;
        },
        function () { statusEl.textContent = d.msgNoLocation; },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  // Contact fields matter only to those who choose to give them.
  var contact = document.getElementById("contact-fields");
  var identity = form.querySelectorAll("input[name=identity]");
  function toggleContact() {
    var named = form.querySelector("input[name=identity]:checked");
    contact.hidden = !named || named.value !== "named";
  }
  if (contact && identity.length) {
    identity.forEach(function (radio) { radio.addEventListener("change", toggleContact); });
    toggleContact();
  }

  var photos = document.getElementById("photos");
  var photoStatus = document.getElementById("photo-status");
  function checkPhotos() {
    var files = photos.files || [];
    var message = "";
    if (files.length > parseInt(d.maxPhotos, 10)) {
      message = d.msgTooMany;
    }
    for (var i = 0; i < files.length && !message; i++) {
      if (files[i].size > parseInt(d.maxBytes, 10)) {
        message = d.msgTooBig;
      }
    }
    photoStatus.textContent = message;
    photoStatus.hidden = !message;
    return !message;
  }
  if (photos) {
    photos.addEventListener("change", checkPhotos);
    form.addEventListener("submit", function (e) {
      if (!checkPhotos()) {
        e.preventDefault();
        photos.focus();
      }
    });
  }
})();
