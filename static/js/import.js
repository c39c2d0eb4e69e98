// The import job page: poll the job's status while it runs, reload when it has finished.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || (box.dataset.state !== "queued" && box.dataset.state !== "running")) {
    return;
  }
  var bar = box.querySelector("progress");
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.state !== "queued" && s.state !== "running") {
          window.location.reload();
          return;
        }
        if (bar && s.total) {
          bar.max = s.total;
          bar.value = s.processed;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
