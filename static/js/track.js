// The tracking page: "copy link" (the Clipboard API where the browser allows it, else the
// older copy command, else the link selected for a long press, as in WeChat), and the
// report form's saved draft forgotten once its report is filed.
(function () {
  "use strict";
  var receipt = document.querySelector("[data-clear-draft]");
  if (receipt) {
    try {
      window.localStorage.removeItem("portal-report-draft");
    } catch (e) { /* storage off: nothing was kept */ }
  }
  var button = document.getElementById("copy-link");
  var input = document.getElementById("private-link");
  var status = document.getElementById("copy-status");
  if (!button || !input) {
    return;
  }
  button.hidden = false;

  function selectLink() {
    input.focus();
    input.select();
    input.setSelectionRange(0, input.value.length); // iOS ignores select() alone
  }

  function legacyCopy() {
    selectLink();
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  function said(ok) {
    status.textContent = ok ? button.dataset.msgCopied : button.dataset.msgManual;
    if (!ok) {
      selectLink();
    }
  }

  button.addEventListener("click", function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(
        function () { said(true); },
        function () { said(legacyCopy()); }
      );
    } else {
      said(legacyCopy());
    }
  });
  input.addEventListener("focus", selectLink);
})();
