/* Live notifications: toast + unread badge over /ws/notifications/, and the Web Push opt-in.
 *
 * The page is complete without this script (the badge is rendered by the server, the centre is
 * a normal page). The socket keeps the highest notification id this page has processed; on
 * every (re)connect it asks the server for everything after it, so a message dropped by the
 * channel layer or sent while the tablet was offline still shows, once.
 */
(function () {
  "use strict";
  var text = window.Frontline.text; // the page's language (frontline.js)
  var stateElement = document.getElementById("notifications-state");
  if (!stateElement) return;
  var state = JSON.parse(stateElement.textContent);
  var cursor = state.after || 0; // highest notification id processed
  var seen = new Set(); // ids processed, for pushes that arrive out of order
  var SEEN_LIMIT = 500;
  var unread = state.unread_count || 0;
  var RETRY_BASE_MS = 1000;
  var RETRY_CAP_MS = 30000;
  var TOAST_MS = 8000;
  var MAX_TOASTS_AT_ONCE = 3;
  var SIGNED_OUT = 4401; // the close code the server ends a signed-out socket with
  var LOCKED = 4423; // the tablet locked (in another tab, or idle): nothing personal is shown
  var socket = null;
  var attempt = 0;
  var retryTimer = null;
  var root = document.documentElement;

  function setStatus(status) {
    root.dataset.notifications = status;
    // Pages that show live state re-read it when the socket is (back) up: pushes sent while
    // it was down are never replayed.
    document.dispatchEvent(new CustomEvent("notifications:status", { detail: status }));
  }

  function setUnread(count) {
    unread = Math.max(0, count);
    document.querySelectorAll("[data-unread-count]").forEach(function (el) { el.textContent = String(unread); });
    document.querySelectorAll("[data-unread-badge]").forEach(function (el) { el.hidden = unread === 0; });
  }

  function remember(id) {
    seen.add(id);
    if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value);
    if (id > cursor) cursor = id;
  }

  function isNew(notification) {
    return !seen.has(notification.id) && notification.id > 0;
  }

  function showToast(notification) {
    var area = document.getElementById("toasts");
    if (!area) return;
    var toast = document.createElement("div");
    toast.className = "toast";
    toast.dataset.notificationId = String(notification.id);
    var link = document.createElement("a");
    link.href = "/notifications/" + notification.id + "/open/";
    var title = document.createElement("span");
    title.className = "toast-title";
    title.textContent = notification.title;
    link.appendChild(title);
    if (notification.body) {
      var body = document.createElement("span");
      body.className = "toast-body";
      body.textContent = notification.body;
      link.appendChild(body);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "button button-quiet";
    close.setAttribute("aria-label", text("Dismiss"));
    close.textContent = "×";
    close.addEventListener("click", function () { toast.remove(); });
    toast.appendChild(link);
    toast.appendChild(close);
    area.appendChild(toast);
    setTimeout(function () { toast.remove(); }, TOAST_MS);
  }

  function refreshCentre() {
    // On the centre page, re-render the list from the server rather than building it here.
    if (document.getElementById("notification-list") && window.htmx) {
      window.htmx.ajax("GET", "/notifications/", { target: "#notification-list", select: "#notification-list", swap: "outerHTML" });
    }
  }

  function receive(notifications, toastLimit) {
    var fresh = notifications.filter(isNew);
    fresh.forEach(function (n) { remember(n.id); });
    fresh.slice(-toastLimit).forEach(showToast);
    if (fresh.length) refreshCentre();
    return fresh;
  }

  function onMessage(event) {
    var message;
    try { message = JSON.parse(event.data); } catch (error) { return; }
    if (message.type === "notification") {
      var fresh = receive([message.notification], 1);
      if (fresh.length && !message.notification.read) setUnread(unread + 1);
    } else if (message.type === "catch_up") {
      receive(message.notifications, MAX_TOASTS_AT_ONCE);
      setUnread(message.unread_count); // the server's count is the truth after a gap
      if (message.has_more) { requestCatchUp(); return; }
      attempt = 0;
      setStatus("live");
    } else if (message.type === "unread") {
      setUnread(message.unread_count);
    } else if (message.type === "stores_changed") {
      requestCatchUp(); // a store just joined may have raised something while we switched
    } else if (message.type && message.type.indexOf(".") > 0) {
      // Another domain's live event (e.g. sync.run_progress): the page's own script handles it.
      document.dispatchEvent(new CustomEvent("notifications:event", { detail: message }));
    }
  }

  function requestCatchUp() {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "catch_up", after: cursor }));
    }
  }

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (socket && socket.readyState <= WebSocket.OPEN) return;
    setStatus("connecting");
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/notifications/");
    socket.addEventListener("open", requestCatchUp);
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", onClose);
  }

  function onClose(event) {
    // 4401: this session signed out (here or in another tab) or the account was deactivated.
    // Reconnecting would only be refused; reloading shows the sign-in page instead.
    if (event.code === SIGNED_OUT) {
      socket = null;
      setStatus("offline");
      location.reload();
      return;
    }
    // 4423: the tablet locked. This page goes to the lock screen too, and back here once
    // unlocked, when a new socket catches up on what was raised meanwhile.
    if (event.code === LOCKED) {
      socket = null;
      setStatus("offline");
      location.assign("/tablet/locked/?next=" + encodeURIComponent(location.pathname + location.search));
      return;
    }
    scheduleReconnect();
  }

  function scheduleReconnect() {
    setStatus("offline");
    socket = null;
    if (retryTimer) return;
    // Exponential backoff with full jitter, so that a store's tablets coming back after a
    // Wi-Fi drop or a deploy do not all reconnect in the same instant.
    var ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * Math.pow(2, attempt));
    attempt += 1;
    retryTimer = setTimeout(connect, Math.random() * ceiling);
  }

  function reconnectNow() {
    if (socket) return;
    attempt = 0;
    connect();
  }

  document.body.addEventListener("notifications:unread", function (event) {
    setUnread(event.detail.count); // sent by the server with htmx responses (HX-Trigger)
  });
  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") reconnectNow();
  });

  // The socket and the push opt-in start once the page has loaded, in a task of their own: the
  // page is complete without them, and on a slow tablet the first paint and the first tap come
  // before a connection that only brings news.
  function start() {
    if ("WebSocket" in window) connect();
    setupPush();
  }
  if (document.readyState === "complete") setTimeout(start, 0);
  else window.addEventListener("load", function () { setTimeout(start, 0); });

  // --- Web Push opt-in: asked only when the staff member presses the button ---------------
  function setupPush() {
    var box = document.querySelector("[data-push-optin]");
    if (!box || !state.push_public_key || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
    var subscribeButton = box.querySelector("[data-push-subscribe]");
    var unsubscribeButton = box.querySelector("[data-push-unsubscribe]");
    var status = box.querySelector("[data-push-status]");
    box.hidden = false;

    function show(subscribed, message) {
      subscribeButton.hidden = subscribed;
      unsubscribeButton.hidden = !subscribed;
      status.textContent = message || "";
    }

    function api(method, body) {
      return fetch("/api/notifications/push/subscriptions/", {
        method: method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body),
      }).then(function (response) {
        if (!response.ok && response.status !== 404) throw new Error(text("the server answered %(status)s", { status: response.status }));
      });
    }

    navigator.serviceWorker.ready
      .then(function (registration) { return registration.pushManager.getSubscription(); })
      .then(function (subscription) { show(Boolean(subscription)); });

    subscribeButton.addEventListener("click", function () {
      Notification.requestPermission()
        .then(function (permission) {
          if (permission !== "granted") throw new Error(text("alerts are blocked in this browser's settings"));
          return navigator.serviceWorker.ready;
        })
        .then(function (registration) {
          return registration.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: base64UrlToBytes(state.push_public_key),
          });
        })
        .then(function (subscription) { return api("POST", subscription.toJSON()); })
        .then(function () { show(true, text("Alerts are on for this tablet.")); })
        .catch(function (error) { show(false, text("Alerts could not be turned on: %(reason)s", { reason: error.message })); });
    });

    unsubscribeButton.addEventListener("click", function () {
      navigator.serviceWorker.ready
        .then(function (registration) { return registration.pushManager.getSubscription(); })
        .then(function (subscription) {
          if (!subscription) return null;
          var endpoint = subscription.endpoint;
          return subscription.unsubscribe().then(function () { return api("DELETE", { endpoint: endpoint }); });
        })
        .then(function () { show(false, text("Alerts are off for this tablet.")); })
        .catch(function (error) { show(true, text("Alerts could not be turned off: %(reason)s", { reason: error.message })); });
    });
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (error) { return ""; }
  }

  function base64UrlToBytes(text) {
    var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }
})();
