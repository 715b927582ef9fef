/* Live progress on the sync run pages, from "sync.run_progress" events on the notifications socket.
 *
 * The pages work without this script: they poll with htmx while the socket is not live, and
 * refresh themselves without JavaScript. An element showing a run carries data-run-id,
 * data-run-status and data-run-pages; its figures are marked data-run-field="<name>".
 * Elements with data-run-refresh are fetched again when the socket (re)connects, since pushes
 * sent while it was down are never replayed, and when their run ends.
 */
(function () {
  "use strict";
  var FIGURES = ["pages", "created", "updated", "unchanged", "quarantined"];
  var numbers = new Intl.NumberFormat("en-GB");

  function refresh(element) {
    if (!window.htmx || !element.isConnected) return;
    window.htmx.ajax("GET", element.dataset.runRefresh, { target: element, swap: "outerHTML" });
  }

  function setField(element, name, text) {
    element.querySelectorAll('[data-run-field="' + name + '"]').forEach(function (cell) {
      cell.textContent = text;
    });
  }

  function apply(element, run) {
    // Pushes can arrive out of order: a finished run never goes back to running, and figures
    // never go back to an earlier page.
    if (element.dataset.runStatus !== "running") return;
    if (run.pages < Number(element.dataset.runPages || 0)) return;
    if (run.status !== "running" && element.dataset.runRefresh) {
      refresh(element); // the server renders the finished run (times, error) in full
      return;
    }
    element.dataset.runStatus = run.status;
    element.dataset.runPages = String(run.pages);
    if (element.tagName === "TR") element.className = "run-" + run.status;
    FIGURES.forEach(function (name) { setField(element, name, numbers.format(run[name])); });
    setField(element, "status", run.status_display);
  }

  document.addEventListener("notifications:event", function (event) {
    var message = event.detail;
    if (!message || message.type !== "sync.run_progress") return;
    var run = message.run;
    var shown = document.querySelectorAll('[data-run-id="' + Number(run.id) + '"]');
    if (shown.length) {
      shown.forEach(function (element) { apply(element, run); });
      return;
    }
    // A run the list does not show yet has started: fetch the list again.
    document.querySelectorAll("[data-run-list][data-run-refresh]").forEach(refresh);
  });

  document.addEventListener("notifications:status", function (event) {
    if (event.detail !== "live") return;
    document.querySelectorAll('[data-run-list], [data-run-refresh][data-run-status="running"]').forEach(refresh);
  });
})();
