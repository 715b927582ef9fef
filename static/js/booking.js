// The booking page starts in the store's time zone; the browser knows the customer's. Put it in
// the time zone field of the first step, unless the customer already chose one.
(function () {
  "use strict";
  var select = document.querySelector("select[data-detect-zone]");
  if (!select || new URLSearchParams(window.location.search).has("tz")) return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]')) {
    select.value = zone;
  }
})();
