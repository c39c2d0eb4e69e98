// Case page: "use in the reply" copies a response template into the resolve form.
// Without JavaScript the templates stay readable and can be copied by hand.
(function () {
  "use strict";
  var reply = document.getElementById("msg-resolve");
  if (!reply) {
    return;
  }
  document.querySelectorAll("button.use-template").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var details = reply.closest("details");
      if (details) {
        details.open = true;
      }
      reply.value = button.dataset.body;
      reply.focus();
    });
  });
})();
