// Starts Swagger UI on the API docs page. Settings come from the page (json_script); requests made
// from the page with the browser's session carry the CSRF token, as the API asks for unsafe methods.
(function () {
  "use strict";
  var settings = JSON.parse(document.getElementById("swagger-settings").textContent);
  var csrfToken = document.body.getAttribute("data-csrf-token") || "";
  settings.dom_id = "#swagger-ui";
  settings.presets = [window.SwaggerUIBundle.presets.apis];
  settings.requestInterceptor = function (request) {
    if (csrfToken) {
      request.headers["X-CSRFToken"] = csrfToken;
    }
    return request;
  };
  window.ui = window.SwaggerUIBundle(settings);
})();
