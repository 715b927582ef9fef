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
})();
