// Renders /api/v1/openapi.json with the vendored Swagger UI (the URL comes from data-spec-url).
(function () {
  "use strict";
  var el = document.getElementById("swagger-ui");
  if (!el || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: el.getAttribute("data-spec-url"),
    domNode: el,
    deepLinking: true,
    validatorUrl: null,
  });
})();
