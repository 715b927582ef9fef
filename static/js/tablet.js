/* Frontline on a shared tablet: notes, check-ins and follow-up outcomes written offline are
 * kept in IndexedDB and sent once when the connection returns (each with its Idempotency-Key,
 * so a retry never writes twice), and the tablet locks itself after the store's idle time.
 * Loaded only for a signed-in staff member on an unlocked tablet. */
(function () {
  "use strict";
  var staff = meta("frontline-staff");
  var lockAfter = Number(meta("frontline-lock-after")) * 1000;
  // A write waits to be sent at most this long (a shift); older, it is dropped and shown.
  var maxAge = Number(meta("frontline-offline-max-age")) * 1000;
  var csrf = csrfToken();
  var FINAL = [400, 403, 404, 409, 410, 422];  // refused for good: retrying cannot help
  var text = window.Frontline.text;
  var REFUSED = {
    403: text("You may not do this."),
    404: text("It is gone, or no longer yours to see."),
    409: text("Someone changed it in the meantime."),
  };
  var flushing = false;

  function meta(name) {
    var element = document.querySelector('meta[name="' + name + '"]');
    return element ? element.content : "";
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; }
    catch (error) { return ""; }
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // --- The outbox, in IndexedDB: one entry per write, keyed by its Idempotency-Key ----------

  function database() {
    return new Promise(function (resolve, reject) {
      var opening = indexedDB.open("frontline", 1);
      opening.onupgradeneeded = function () { opening.result.createObjectStore("outbox", { keyPath: "key" }); };
      opening.onsuccess = function () { resolve(opening.result); };
      opening.onerror = function () { reject(opening.error); };
    });
  }

  function inOutbox(mode, work) {
    return database().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction("outbox", mode);
        var request = work(transaction.objectStore("outbox"));
        transaction.oncomplete = function () { db.close(); resolve(request.result); };
        transaction.onerror = transaction.onabort = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  function keepEntry(entry) { return inOutbox("readwrite", function (store) { return store.put(entry); }); }
  function dropEntry(key) { return inOutbox("readwrite", function (store) { return store.delete(key); }); }

  // Only the signed-in person's entries: another's wait for them, to go with their session.
  function myEntries() {
    return inOutbox("readonly", function (store) { return store.getAll(); }).then(function (all) {
      return all.filter(function (entry) { return entry.staff === staff; })
        .sort(function (a, b) { return a.created - b.created; });
    });
  }

  function entryFrom(form, key) {
    var data = new FormData(form);
    data.delete("csrfmiddlewaretoken");
    var textField = form.dataset.offlineText;
    return {
      key: key || newKey(), staff: staff, state: "waiting", reason: "", created: Date.now(),
      url: form.getAttribute("hx-post") || form.getAttribute("action"),
      body: new URLSearchParams(data).toString(),
      label: form.dataset.offlineQueue,
      text: textField ? String(data.get(textField) || "") : "",
    };
  }

  function keep(form, key) {
    var entry = entryFrom(form, key);
    return keepEntry(entry).then(function () {
      form.reset();
      delete form.dataset.idempotencyKey;
      say(form, entry.key, text("Waiting to send: kept on this tablet and sent when the connection returns."));
      render();
    });
  }

  function say(form, key, message) {
    var note = document.querySelector('[data-outbox-key="' + key + '"]');
    if (!note) {
      note = document.createElement("p");
      note.className = "request-pending";
      note.setAttribute("role", "status");
      note.dataset.outboxKey = key;
      form.insertAdjacentElement("afterend", note);
    }
    note.textContent = message;
  }

  // --- Sending, in the order written, one at a time ------------------------------------------

  function flush() {
    if (flushing || !navigator.onLine || !staff) return Promise.resolve();
    flushing = true;
    return myEntries().then(function (entries) {
      return entries.filter(function (entry) { return entry.state === "waiting"; })
        .reduce(function (previous, entry) {
          return previous.then(function (goOn) { return goOn && send(entry); });
        }, Promise.resolve(true));
    }).catch(function (error) { console.warn("Frontline: the outbox could not be sent", error); })
      .then(function () { flushing = false; render(); });
  }

  function tooOld(entry) { return maxAge > 0 && Date.now() - entry.created > maxAge; }

  // Not sent late: what it says may no longer hold. Kept on screen, with the words, until
  // dismissed, like a refusal.
  function expire(entry) {
    entry.state = "refused";
    entry.reason = text("Written more than %(age)s ago, while offline: too old to send now. " +
      "Enter it again if it still applies.", { age: duration(maxAge) });
    return keepEntry(entry).then(function () { return true; });
  }

  function duration(ms) {
    var hours = Math.floor(ms / 3600000);
    if (hours >= 1) return text(hours === 1 ? "%(count)s hour" : "%(count)s hours", { count: hours });
    var minutes = Math.max(1, Math.floor(ms / 60000));
    return text(minutes === 1 ? "%(count)s minute" : "%(count)s minutes", { count: minutes });
  }

  // Even offline: the associate learns at once that an old write will not go.
  function expireOld() {
    return myEntries().then(function (entries) {
      return Promise.all(entries.filter(function (entry) {
        return entry.state === "waiting" && tooOld(entry);
      }).map(expire));
    });
  }

  function send(entry) {
    if (tooOld(entry)) return expire(entry);
    return fetch(entry.url, {
      method: "POST", credentials: "same-origin", body: entry.body,
      headers: {
        "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": csrf,
        "Idempotency-Key": entry.key, "HX-Request": "true",
        // The server refuses it too if it is older than a shift by its own clock.
        "X-Frontline-Written-At": new Date(entry.created).toISOString(),
      },
    }).then(function (response) {
      var signedOut = response.redirected && new URL(response.url).pathname.indexOf("/accounts/login/") === 0;
      if (response.ok && !signedOut) {
        return dropEntry(entry.key).then(function () { sent(entry); return true; });
      }
      if (FINAL.indexOf(response.status) === -1) return false;  // locked, busy, server trouble: later
      // 409 with Retry-After: the first send of this very entry is still running on the
      // server. It may yet fail, so the entry waits and goes again; its answer comes then.
      var wait = Number(response.headers.get("Retry-After"));
      if (response.status === 409 && wait > 0) {
        setTimeout(flush, wait * 1000);
        return false;
      }
      return reasonFor(response).then(function (reason) {
        entry.state = "refused";
        entry.reason = reason;
        return keepEntry(entry).then(function () { return true; });
      });
    }, function () { return false; });
  }

  function sent(entry) {
    var note = document.querySelector('[data-outbox-key="' + entry.key + '"]');
    if (note) note.textContent = text("Sent: %(label)s.", { label: entry.label });
  }

  // The server's own words when it gave any (the fragment's alert, or the API's message).
  function reasonFor(response) {
    return response.text().then(function (body) {
      var fallback = REFUSED[response.status] || text("It was refused (%(status)s).", { status: response.status });
      if ((response.headers.get("Content-Type") || "").indexOf("html") === -1) return body.slice(0, 300) || fallback;
      var page = new DOMParser().parseFromString(body, "text/html");
      var alert = page.querySelector("[role=alert], .form-error, .field-error");
      return alert && alert.textContent.trim() ? alert.textContent.trim() : fallback;
    });
  }

  function render() {
    return myEntries().then(function (entries) {
      var waiting = entries.filter(function (entry) { return entry.state === "waiting"; }).length;
      var box = document.getElementById("outbox");
      if (box) {
        box.hidden = waiting === 0;
        box.textContent = waiting ? text(waiting === 1 ? "%(count)s change waiting to send" :
          "%(count)s changes waiting to send", { count: waiting }) : "";
      }
      var problems = document.getElementById("outbox-problems");
      if (problems) {
        problems.replaceChildren.apply(problems, entries.filter(function (entry) {
          return entry.state === "refused";
        }).map(problem));
      }
    });
  }

  function problem(entry) {
    var item = document.createElement("div");
    item.className = "outbox-problem";
    item.setAttribute("role", "alert");
    var words = document.createElement("p");
    words.textContent = text("Not saved: %(label)s. %(reason)s", { label: entry.label, reason: entry.reason }) +
      (entry.text ? " " + text("What you wrote: “%(text)s”", { text: entry.text }) : "");
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "button button-quiet";
    dismiss.textContent = text("Dismiss");
    dismiss.addEventListener("click", function () { dropEntry(entry.key).then(render); });
    item.append(words, dismiss);
    return item;
  }

  function isQueueable(element) {
    return element && element.matches && element.matches("form[data-offline-queue]");
  }

  // Offline for sure: nothing is sent, the write waits in the outbox.
  document.addEventListener("submit", function (event) {
    if (!isQueueable(event.target) || navigator.onLine || !staff) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    keep(event.target);
  }, true);
  // Online as far as the browser knows: the request carries a key, and if it fails on the way
  // (it may have reached the server) the outbox sends it again with the same key.
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (!isQueueable(form)) return;
    form.dataset.idempotencyKey = form.dataset.idempotencyKey || newKey();
    event.detail.headers["Idempotency-Key"] = form.dataset.idempotencyKey;
  });
  document.addEventListener("htmx:sendError", function (event) {
    if (isQueueable(event.detail.elt)) keep(event.detail.elt, event.detail.elt.dataset.idempotencyKey);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var answered = event.detail.xhr && event.detail.xhr.status;
    if (isQueueable(event.detail.elt) && answered) delete event.detail.elt.dataset.idempotencyKey;
  });

  function showConnection() {
    var banner = document.getElementById("connection");
    if (banner) banner.hidden = navigator.onLine;
  }
  window.addEventListener("online", function () { showConnection(); flush(); });
  window.addEventListener("offline", showConnection);
  setInterval(function () { expireOld().then(render).then(flush); }, 30000);
  showConnection();
  expireOld().then(render).then(flush);

  // --- The lock after inactivity ---------------------------------------------------------------
  // The last touch is shared by the tablet's tabs; the server keeps the lock once it is set.
  var LAST_TOUCH = "frontline-last-touch";
  var lastWritten = 0;

  function touched(event) {
    var now = Date.now();
    if (event && now - lastWritten < 5000) return;
    lastWritten = now;
    try { localStorage.setItem(LAST_TOUCH, String(now)); } catch (error) { /* private mode */ }
  }

  function idleFor() {
    var last = Number(localStorage.getItem(LAST_TOUCH));
    return last ? Date.now() - last : 0;
  }

  function lockNow() {
    var back = location.pathname + location.search;
    fetch("/tablet/lock/", { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf } })
      .catch(function () { /* offline: the service worker saw it and keeps personal pages shut */ })
      .then(function () { location.assign("/tablet/locked/?next=" + encodeURIComponent(back)); });
  }

  function lockIfIdle() {
    if (lockAfter > 0 && idleFor() >= lockAfter) lockNow();
  }

  if (lockAfter > 0) {
    // A page restored from the back-forward cache or woken up is checked before anything else.
    window.addEventListener("pageshow", function (event) { if (event.persisted) lockIfIdle(); });
    document.addEventListener("visibilitychange", function () { if (!document.hidden) lockIfIdle(); });
    touched();  // opening a page is a touch (a session idle too long was locked by the server)
    ["pointerdown", "keydown", "wheel", "touchstart"].forEach(function (name) {
      document.addEventListener(name, touched, { capture: true, passive: true });
    });
    setInterval(lockIfIdle, 5000);
  }
})();
