// The report form on a weak signal. Every text comes from data-* attributes (translated
// on the server), so the checks here say exactly what the server would. Without
// JavaScript the same form posts its photos in full and the server does all of this.
//
// - Photos: read the original's capture time and GPS (exifr), shrink to ~2048 px JPEG,
//   send each one as soon as it is picked, one at a time, with progress and retries; the
//   form then carries tokens, not bytes.
// - The form remembers what was typed (localStorage) across reloads and lost connections;
//   the tracking page forgets it once the report is filed.
// - Submit: required fields checked first, an error summary linking each field, the
//   button shows progress and cannot be pressed twice, offline waits for the connection.
// - The map: a pin, "use my location", nearby open reports, a notice when tiles fail.
(function () {
  "use strict";
  var form = document.querySelector("form.complaint");
  if (!form || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  var fd = form.dataset;
  var el = document.getElementById("report-map");
  var d = el ? el.dataset : {};
  var latInput = form.querySelector("input[name=lat]");
  var lonInput = form.querySelector("input[name=lon]");
  var sourceInput = document.getElementById("location_source");
  var outfallInput = form.querySelector("input[name=outfall]");
  var keyInput = document.getElementById("form_key");
  var csrfInput = form.querySelector("input[name=csrf_token]");
  var photosInput = document.getElementById("photos");
  var stagedList = document.getElementById("staged-photos");
  var button = document.getElementById("send-report");
  var sendStatus = document.getElementById("send-status");
  var summary = document.getElementById("error-summary");
  var question = document.getElementById("location-question");
  var refused = fd.refused === "true";
  var DRAFT_KEY = "portal-report-draft";
  var DRAFT_MAX_AGE_MS = 20 * 3600 * 1000; // staged photos are kept 24 h on the server

  document.documentElement.classList.add("js");
  form.querySelectorAll(".js-only").forEach(function (node) { node.hidden = false; });
  form.querySelectorAll(".no-js-only").forEach(function (node) { node.hidden = true; });

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (all, name) {
      return values[name] !== undefined ? String(values[name]) : all;
    });
  }

  // --- The map ---------------------------------------------------------------------------
  var marker = null;
  var map = null;
  var nearbyBox = document.getElementById("nearby-live");
  var statusEl = document.getElementById("location-status");

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
    if (!nearbyBox || !window.fetch) {
      return;
    }
    var params = new URLSearchParams();
    params.set("lat", lat.toFixed(6));
    params.set("lon", lon.toFixed(6));
    if (outfallInput && outfallInput.value.trim()) {
      params.set("outfall", outfallInput.value.trim());
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
    saveSoon();
  }

  // Leaflet is loaded by this script, after it has started (photos must not wait for
  // 40 KB of map code on a slow link); without it the coordinates fields still work.
  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.body.appendChild(script);
    });
  }

  function loadMap() {
    if (!el || !d.leafletJs) {
      return;
    }
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = d.leafletCss;
    document.head.appendChild(css);
    loadScript(d.leafletJs)
      .then(function () { return loadScript(d.mapCommonJs); })
      .then(initMap)
      .catch(function () { /* no map: the coordinates fields below still work */ });
  }

  function initMap() {
    if (!el || typeof L === "undefined" || map) {
      return;
    }
    el.hidden = false;
    L.Icon.Default.imagePath = d.iconPath || "";
    var hasPoint = d.hasPoint === "true";
    map = L.map(el).setView([parseFloat(d.lat), parseFloat(d.lon)], hasPoint ? 16 : 11);
    if (window.PortalMaps) {
      window.PortalMaps.baseLayer(map, d.tileUrl, d.attribution, d.msgTilesFailed);
    } else {
      L.tileLayer(d.tileUrl, { maxZoom: 19, attribution: d.attribution }).addTo(map);
    }
    map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, "pin"); });
    if (d.outfallLat) {
      // The outfall itself, for reference; the citizen's pin (if any) is a separate marker.
      L.circleMarker([parseFloat(d.outfallLat), parseFloat(d.outfallLon)], {
        radius: 9, color: "#0b6b3a", weight: 3, fillColor: "#2fa35f", fillOpacity: 0.9
      }).addTo(map).bindTooltip(d.outfallLabel);
    }
    if (latInput.value && lonInput.value) {
      map.setView([parseFloat(latInput.value), parseFloat(lonInput.value)], 16);
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
  } else if (locate) {
    locate.parentElement.hidden = true;
  }

  // --- Identity: with JavaScript, "anonymous" really sends no contact details -------------
  var contact = document.getElementById("contact-fields");
  function toggleContact() {
    var named = form.querySelector("input[name=identity]:checked");
    var on = !!named && named.value === "named";
    contact.hidden = !on;
    contact.querySelectorAll("input").forEach(function (input) { input.disabled = !on; });
  }
  if (contact) {
    form.querySelectorAll("input[name=identity]").forEach(function (radio) {
      radio.addEventListener("change", toggleContact);
    });
  }

  // --- The form's memory -----------------------------------------------------------------
  var FIELDS = ["description", "outfall", "lat", "lon", "location_source", "name", "phone", "email"];
  var CHOICES = ["category", "identity", "location_choice"];

  function readDraft() {
    try {
      var draft = JSON.parse(window.localStorage.getItem(DRAFT_KEY) || "null");
      if (draft && Date.now() - draft.saved < DRAFT_MAX_AGE_MS) {
        return draft;
      }
    } catch (e) { /* storage off (private mode) or damaged: start afresh */ }
    return null;
  }

  function saveDraft() {
    var draft = { saved: Date.now(), key: keyInput.value, values: {}, choices: {}, photos: [] };
    FIELDS.forEach(function (name) {
      var input = form.elements[name];
      if (input) {
        draft.values[name] = input.value;
      }
    });
    CHOICES.forEach(function (name) {
      var checked = form.querySelector("input[name=" + name + "]:checked");
      draft.choices[name] = checked ? checked.value : "";
    });
    draft.consent = !!(form.elements.consent && form.elements.consent.checked);
    stagedList.querySelectorAll("li.staged.done").forEach(function (li) {
      draft.photos.push({ token: li.dataset.token, thumb: li.dataset.thumb || "", point: li.dataset.point || "" });
    });
    try {
      window.localStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
    } catch (e) { /* full or off: the form still works */ }
  }

  var saveTimer = null;
  function saveSoon() {
    window.clearTimeout(saveTimer);
    saveTimer = window.setTimeout(saveDraft, 300);
  }

  function restoreDraft(draft) {
    var current = outfallInput ? outfallInput.value.trim() : "";
    var theirs = (draft.values.outfall || "").trim();
    if (current && theirs && current.toUpperCase() !== theirs.toUpperCase()) {
      return false; // a report about another outfall: this page starts afresh
    }
    keyInput.value = draft.key || keyInput.value;
    FIELDS.forEach(function (name) {
      var input = form.elements[name];
      if (input && draft.values[name] && !(name === "outfall" && current)) {
        input.value = draft.values[name];
      }
    });
    CHOICES.forEach(function (name) {
      var value = draft.choices[name];
      var radio = value && form.querySelector("input[name=" + name + "][value='" + value + "']");
      if (radio) {
        radio.checked = true;
      }
    });
    if (form.elements.consent) {
      form.elements.consent.checked = !!draft.consent;
    }
    (draft.photos || []).forEach(function (p) { addDone(p.token, p.thumb, p.point); });
    if (draft.choices.location_choice && question) {
      question.hidden = false;
    }
    return true;
  }

  // --- Photos ----------------------------------------------------------------------------
  var queue = [];
  var active = null;
  var MAX_SIDE = 2048;
  var errorList = null;

  function photoError(text) {
    if (!errorList) {
      errorList = document.createElement("ul");
      errorList.className = "field-error";
      errorList.id = "photos-live-error";
      errorList.setAttribute("role", "alert");
      stagedList.parentNode.insertBefore(errorList, stagedList);
    }
    errorList.textContent = "";
    if (text) {
      var li = document.createElement("li");
      li.textContent = text;
      errorList.appendChild(li);
    }
    errorList.hidden = !text;
  }

  function photoCount() {
    return stagedList.querySelectorAll("li.staged:not(.refused)").length;
  }

  function item(label) {
    var li = document.createElement("li");
    li.className = "staged";
    var img = document.createElement("img");
    img.alt = label;
    img.width = 96;
    img.height = 72;
    li.appendChild(img);
    var status = document.createElement("span");
    status.className = "staged-status";
    li.appendChild(status);
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", label);
    li.appendChild(bar);
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "linklike";
    remove.textContent = fd.msgPhotoRemove;
    remove.setAttribute("aria-label", fd.msgPhotoRemove + " " + label);
    li.appendChild(remove);
    stagedList.appendChild(li);
    return { li: li, img: img, status: status, bar: bar, remove: remove };
  }

  function addDone(token, thumb, point) {
    if (!token || stagedList.querySelector("li[data-token='" + token + "']")) {
      return;
    }
    var parts = item(fill(fd.msgPhotoName, { n: photoCount() + 1 }));
    finish(parts, token, thumb, point);
    parts.remove.addEventListener("click", function () { parts.li.remove(); saveSoon(); });
  }

  function finish(parts, token, thumb, point) {
    parts.li.classList.add("done");
    parts.li.dataset.token = token;
    parts.li.dataset.thumb = thumb || "";
    parts.li.dataset.point = point || "";
    if (thumb && !parts.img.src) {
      parts.img.src = thumb;
    }
    parts.bar.hidden = true;
    parts.status.textContent = fd.msgPhotoDone;
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "photo_token";
    hidden.value = token;
    parts.li.appendChild(hidden);
    if (point) {
      checkDistance(point.split(",").map(parseFloat));
    }
  }

  // Server-rendered photos (after a refusal) can be removed too.
  stagedList.querySelectorAll("li.staged").forEach(function (li) {
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "linklike";
    remove.textContent = fd.msgPhotoRemove;
    remove.addEventListener("click", function () { li.remove(); saveSoon(); });
    li.appendChild(remove);
  });

  function exifText(value) {
    return typeof value === "string" ? value : "";
  }

  // What the original says about when and where, before shrinking drops its EXIF.
  function readMetadata(file) {
    if (!window.exifr || !/jpe?g|heic|heif|tiff/i.test(file.type || file.name)) {
      return Promise.resolve({});
    }
    return window.exifr.parse(file, {
      ifd0: false, exif: true, gps: true, reviveValues: false,
      translateKeys: false, translateValues: false, mergeOutput: false
    }).then(function (out) {
      out = out || {};
      var exif = out.exif || {};
      var gps = out.gps || {};
      var meta = { captured: exifText(exif[36867] || exif[36868]), offset: exifText(exif[36881]) };
      if (isFinite(gps.latitude) && isFinite(gps.longitude)) {
        meta.lat = gps.latitude.toFixed(7);
        meta.lon = gps.longitude.toFixed(7);
      }
      return meta;
    }).catch(function () { return {}; });
  }

  // On 50 KB/s every 100 KB is two seconds: the photo travels as a JPEG of about 2048 px,
  // made smaller still (quality, then size) until it fits TARGET_BYTES. Also a preview,
  // as a data: URL (the page's CSP allows no blob: images).
  var TARGET_BYTES = 350 * 1024;
  var STEPS = [[2048, 0.82], [2048, 0.72], [1800, 0.72], [1600, 0.7], [1600, 0.62]];

  function encode(bitmap, side, quality) {
    var scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
    var canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return new Promise(function (resolve) {
      canvas.toBlob(function (blob) { resolve(blob); }, "image/jpeg", quality);
    });
  }

  function preview(bitmap) {
    var canvas = document.createElement("canvas");
    var scale = 192 / Math.max(bitmap.width, bitmap.height);
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL("image/jpeg", 0.7);
  }

  function shrink(file) {
    if (!window.createImageBitmap || !document.createElement("canvas").toBlob) {
      return Promise.resolve({ blob: file, preview: "" });
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var small = preview(bitmap);
      var fits = Math.max(bitmap.width, bitmap.height) <= 2048 && file.size <= TARGET_BYTES;
      if (fits && /jpe?g/i.test(file.type)) {
        bitmap.close();
        return { blob: file, preview: small }; // small already: send it as it is
      }
      var step = 0;
      function attempt() {
        return encode(bitmap, STEPS[step][0], STEPS[step][1]).then(function (blob) {
          if (blob && blob.size > TARGET_BYTES && step < STEPS.length - 1) {
            // Far too big: skip the steps that cannot fit (bytes follow the pixels).
            step = blob.size > 2 * TARGET_BYTES ? Math.max(step + 1, 3) : step + 1;
            return attempt();
          }
          bitmap.close();
          return { blob: blob || file, preview: small };
        });
      }
      return attempt();
    }).catch(function () {
      return { blob: file, preview: "" }; // a format this browser cannot decode (HEIC): the server can
    });
  }

  function upload(job) {
    active = job;
    var body = new FormData();
    body.append("csrf_token", csrfInput ? csrfInput.value : "");
    body.append("form_key", keyInput.value);
    body.append("photo", job.blob, (job.file.name || "photo").replace(/\.\w+$/, "") + ".jpg");
    ["captured", "offset", "lat", "lon"].forEach(function (name) {
      if (job.meta[name]) {
        body.append(name === "captured" ? "captured_at" : name, job.meta[name]);
      }
    });
    var xhr = new XMLHttpRequest();
    job.xhr = xhr;
    xhr.open("POST", fd.uploadUrl);
    xhr.timeout = 180000;
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        var percent = Math.round(e.loaded / e.total * 100);
        job.parts.bar.value = percent;
        job.parts.status.textContent = fill(fd.msgPhotoUploading, { percent: percent });
      }
    };
    xhr.onload = function () {
      var data = {};
      try { data = JSON.parse(xhr.responseText || "{}"); } catch (e) { data = {}; }
      if (xhr.status === 201 && data.token) {
        finish(job.parts, data.token, data.thumb, data.point ? data.point.join(",") : "");
        photoError("");
        saveDraft();
        next();
      } else if (xhr.status >= 400 && xhr.status < 500 && xhr.status !== 429 && xhr.status !== 408) {
        // Refused for good (not a photo, too big…): say why, next to the field.
        job.parts.li.classList.add("refused");
        job.parts.bar.hidden = true;
        job.parts.status.textContent = data.error || fd.msgPhotoFailed;
        photoError(data.error || fd.msgPhotoFailed);
        next();
      } else {
        retry(job);
      }
    };
    xhr.onerror = xhr.ontimeout = function () { retry(job); };
    xhr.send(body);
  }

  function retry(job) {
    job.tries += 1;
    job.parts.status.textContent = fd.msgPhotoFailed;
    var delay = Math.min(30000, 2000 * Math.pow(2, job.tries - 1));
    var again = function () {
      window.removeEventListener("online", again);
      window.clearTimeout(job.timer);
      if (job.parts.li.isConnected) {
        upload(job);
      } else {
        next();
      }
    };
    job.timer = window.setTimeout(again, navigator.onLine === false ? 600000 : delay);
    window.addEventListener("online", again);
  }

  function next() {
    active = null;
    var job = queue.shift();
    if (job) {
      upload(job);
    } else {
      uploadsSettled();
    }
  }

  function pick(file) {
    var label = fill(fd.msgPhotoName, { n: photoCount() + 1 });
    if (photoCount() >= parseInt(fd.maxPhotos, 10)) {
      photoError(fd.msgTooMany);
      return;
    }
    if (file.size > parseInt(fd.maxBytes, 10) * 4) {
      photoError(fd.msgTooBig); // far too big even to shrink here
      return;
    }
    var parts = item(label);
    parts.status.textContent = fd.msgPhotoPreparing;
    var job = { file: file, parts: parts, tries: 0, meta: {}, blob: null };
    parts.remove.addEventListener("click", function () {
      if (job.xhr && active === job) {
        job.xhr.abort();
        next();
      }
      queue = queue.filter(function (j) { return j !== job; });
      parts.li.remove();
      saveSoon();
    });
    job.ready = readMetadata(file).then(function (meta) {
      job.meta = meta;
      return shrink(file);
    }).then(function (shrunk) {
      var blob = shrunk.blob;
      job.blob = blob;
      if (shrunk.preview) {
        parts.img.src = shrunk.preview;
      }
      if (blob.size > parseInt(fd.maxBytes, 10)) {
        parts.li.classList.add("refused");
        parts.bar.hidden = true;
        parts.status.textContent = fd.msgTooBig;
        photoError(fd.msgTooBig);
        return;
      }
      if (!parts.li.isConnected) {
        return;
      }
      if (active) {
        queue.push(job);
      } else {
        upload(job);
      }
    });
    pending.push(job);
  }
  var pending = [];

  function uploading() {
    return !!active || queue.length > 0 || pending.some(function (job) {
      return !job.blob && job.parts.li.isConnected;
    });
  }

  function picked() {
    var files = Array.prototype.slice.call(photosInput.files || []);
    // The files go one by one now; the form itself will carry only their tokens.
    photosInput.value = "";
    photoError("");
    files.forEach(pick);
  }
  if (photosInput) {
    photosInput.addEventListener("change", picked);
  }

  // A photo taken far from the outfall: ask which place is right (the server asks too).
  function distanceM(lat1, lon1, lat2, lon2) {
    var r = Math.PI / 180;
    var a = Math.pow(Math.sin((lat2 - lat1) * r / 2), 2) +
      Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.pow(Math.sin((lon2 - lon1) * r / 2), 2);
    return 12742000 * Math.asin(Math.sqrt(a));
  }

  function checkDistance(point) {
    if (!question || !fd.outfallLat || latInput.value || point.length !== 2 || !isFinite(point[0])) {
      return;
    }
    var far = distanceM(point[0], point[1], parseFloat(fd.outfallLat), parseFloat(fd.outfallLon));
    if (far <= parseFloat(fd.mismatchM)) {
      return;
    }
    var text = far < 1000 ? fill(fd.msgM, { n: Math.round(far / 10) * 10 })
      : fill(fd.msgKm, { n: (Math.round(far / 100) / 10).toLocaleString() });
    document.getElementById("location-question-text").textContent = fill(fd.msgFar, { distance: text });
    question.hidden = false;
  }

  // --- Checks before sending, and the error summary --------------------------------------
  function fieldError(input, anchor, text) {
    var id = anchor + "-error";
    var list = document.getElementById(id);
    if (!list) {
      list = document.createElement("ul");
      list.className = "field-error";
      list.id = id;
      var group = input.closest("fieldset.group");
      if (group) {
        group.appendChild(list);
      } else {
        input.parentNode.insertBefore(list, input.nextSibling);
      }
    }
    list.textContent = "";
    var li = document.createElement("li");
    li.textContent = text;
    list.appendChild(li);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
  }

  function clearErrors() {
    form.querySelectorAll("[aria-invalid]").forEach(function (node) { node.removeAttribute("aria-invalid"); });
    form.querySelectorAll("ul.field-error:not(#photos-live-error)").forEach(function (node) { node.remove(); });
  }

  function check() {
    var problems = [];
    var category = form.querySelector("input[name=category]:checked");
    if (!category) {
      var first = form.querySelector("input[name=category]");
      problems.push({ input: first, anchor: "category", text: fd.msgRequiredCategory });
    }
    var description = form.elements.description;
    if (!description.value.trim()) {
      problems.push({ input: description, anchor: "description", text: fd.msgRequiredDescription });
    }
    if (question && !question.hidden && !form.querySelector("input[name=location_choice]:checked")) {
      problems.push({
        input: form.querySelector("input[name=location_choice]"),
        anchor: "location_choice",
        text: document.getElementById("location-question-text").textContent
      });
    }
    var phone = form.elements.phone;
    if (phone && !phone.disabled && phone.value.trim() &&
        !/^(\+?86[- ]?)?(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/.test(phone.value.trim())) {
      problems.push({ input: phone, anchor: "phone", text: fd.msgPhone });
    }
    var email = form.elements.email;
    if (email && !email.disabled && email.value.trim() && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.value.trim())) {
      problems.push({ input: email, anchor: "email", text: fd.msgEmail });
    }
    return problems;
  }

  function showSummary(problems) {
    clearErrors();
    var list = summary.querySelector("ul");
    list.textContent = "";
    problems.forEach(function (p) {
      fieldError(p.input, p.anchor, p.text);
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "#" + p.input.id;
      a.textContent = p.text;
      li.appendChild(a);
      list.appendChild(li);
    });
    summary.hidden = false;
    summary.focus();
  }

  summary.addEventListener("click", function (e) {
    var link = e.target.closest("a[href^='#']");
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (target) {
      e.preventDefault();
      var details = target.closest("details");
      if (details) {
        details.open = true;
      }
      target.scrollIntoView({ block: "center" });
      target.focus();
    }
  });

  // --- Sending ---------------------------------------------------------------------------
  var sending = false;
  var waiting = false;
  var buttonText = button.textContent;

  function lock(text) {
    sending = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    button.textContent = text;
    sendStatus.textContent = text;
  }

  function unlock() {
    sending = false;
    waiting = false;
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = buttonText;
  }

  function send() {
    if (navigator.onLine === false) {
      waiting = true;
      lock(fd.msgOffline);
      sendStatus.textContent = fd.msgOffline;
      return;
    }
    if (uploading()) {
      waiting = true;
      lock(fd.msgWaiting);
      return;
    }
    saveDraft();
    lock(fd.msgSending);
    form.submit(); // no "submit" event: this is the one and only send
  }

  function uploadsSettled() {
    if (waiting && !uploading()) {
      send();
    }
  }

  window.addEventListener("online", function () {
    if (waiting) {
      send();
    }
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (sending) {
      return; // pressed twice: one report
    }
    var problems = check();
    if (problems.length) {
      showSummary(problems);
      return;
    }
    send();
  });

  // Back from the tracking page (bfcache): the button works again.
  window.addEventListener("pageshow", function (e) {
    if (e.persisted) {
      unlock();
    }
  });

  form.addEventListener("input", saveSoon);
  form.addEventListener("change", saveSoon);

  // --- Start -----------------------------------------------------------------------------
  var draft = refused ? null : readDraft();
  if (draft && restoreDraft(draft)) {
    sendStatus.textContent = fd.msgRestored;
  }
  if (contact) {
    toggleContact();
  }
  if (photosInput && photosInput.files && photosInput.files.length) {
    picked(); // chosen before this script had loaded
  }
  loadMap();
  if (refused) {
    saveDraft();
    summary.focus();
  }
})();
