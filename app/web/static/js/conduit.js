// A small htmx helper. Every page works without it (and without JS at all); it only polishes the
// htmx path. A file of its own because the CSP allows no inline script.
(function () {
  "use strict";

  // A 422 answer carries the form again, with its messages and the visitor's text: show it
  // (htmx leaves 4xx answers unswapped by default).
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
