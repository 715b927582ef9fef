/* Frontline's small amount of JavaScript. Pages work without it; this adds the PWA. */
(function () {
  "use strict";
  // A script's words in the page's language, looked up by their English (the page carries
  // the translations: frontline/core/javascript_text.py); %(name)s takes values[name].
  var translations = {};
  try { translations = JSON.parse(document.getElementById("frontline-text").textContent); }
  catch (error) { /* an English page carries none */ }
  function text(english, values) {
    return (translations[english] || english).replace(/%\((\w+)\)s/g, function (all, name) {
      return values && name in values ? String(values[name]) : all;
    });
  }
  window.Frontline = { text: text };

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

  // A failed htmx request is never silent: the reason is shown next to what failed, and goes
  // away with the next request from there that succeeds. Refusals that re-render their fragment
  // with the reason (400, 409, 422) are swapped instead (htmx-config in base.html).
  var FAILURES = {
    403: text("You may not do this."),
    404: text("Not found: it may have been handled or removed already."),
    429: text("Too many attempts: wait a moment, then try again."),
  };
  var REFUSALS_SHOWN_BY_THE_PAGE = [400, 409, 422];

  function failureText(status) {
    if (FAILURES[status]) return FAILURES[status];
    if (status >= 500) return text("Something went wrong on our side and it was not done. Try again.");
    return text("That did not work (%(status)s). Try again.", { status: status });
  }

  function showFailure(element, text) {
    var note = element.nextElementSibling;
    if (!note || !note.classList.contains("request-error")) {
      note = document.createElement("p");
      note.className = "request-error";
      note.setAttribute("role", "alert");
      element.insertAdjacentElement("afterend", note);
    }
    note.textContent = text;
  }

  function clearFailure(element) {
    var note = element.nextElementSibling;
    if (note && note.classList.contains("request-error")) note.remove();
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    // A refusal in plain words (no fragment to swap in) is shown as it is.
    var plain = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/plain") === 0;
    if (plain && xhr.responseText) return showFailure(event.detail.elt, xhr.responseText.slice(0, 300));
    if (REFUSALS_SHOWN_BY_THE_PAGE.indexOf(xhr.status) !== -1) return;
    showFailure(event.detail.elt, failureText(xhr.status));
  });
  document.addEventListener("htmx:sendError", function (event) {
    // Writes the tablet can keep for later are the outbox's (tablet.js): it says so itself.
    if (event.detail.elt.hasAttribute("data-offline-queue") && window.indexedDB) return;
    showFailure(event.detail.elt,
      text("Not sent: there is no connection. Nothing was saved; try again once back online."));
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful && event.detail.elt.isConnected) clearFailure(event.detail.elt);
  });

  // Loading states: what waits for an answer is busy (for screen readers, and styled as such).
  document.addEventListener("htmx:beforeSend", function (event) {
    event.detail.elt.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    event.detail.elt.removeAttribute("aria-busy");
  });
})();
