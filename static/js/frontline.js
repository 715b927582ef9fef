/* Frontline's small amount of JavaScript. Pages work without it; this adds the PWA. */
(function () {
  "use strict";
  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function (error) {
        console.warn("Frontline: the service worker did not register", error);
      });
    });
  }

  // Elements marked data-poll-unless-live poll (hx-trigger="every …") only while the
  // notifications socket is not live: live pushes keep them current otherwise. This stands in
  // for an htmx trigger filter, which htmx evaluates as a string: the Content Security Policy
  // forbids that (htmx-config sets allowEval to false).
  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail.elt;
    if (element.hasAttribute("data-poll-unless-live") &&
        document.documentElement.dataset.notifications === "live") {
      event.preventDefault();
    }
  });
})();
