/* Frontline service worker ({{ version }}).
 * Keeps the app shell (styles, scripts, icons) so the app opens on a flaky store Wi-Fi, and
 * shows an offline page for navigations when the network is gone. */
const CACHE = "frontline-{{ version }}";
const SHELL = [
  "{% load static %}{% static 'css/frontline.css' %}",
  "{% static 'vendor/htmx-2.0.11.min.js' %}",
  "{% static 'js/frontline.js' %}",
  "{% static 'js/notifications.js' %}",
  "{% static 'icons/frontline.svg' %}",
  "/offline/",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match("/offline/")));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((cached) => cached || fetch(request)));
  }
});

// Web Push: a system alert when the app is closed. An app that is open and visible already
// shows the notification as a toast, so it is not shown twice.
self.addEventListener("push", (event) => {
  let notification = {};
  try { notification = event.data ? event.data.json() : {}; } catch (error) { notification = {}; }
  const url = notification.id ? `/notifications/${notification.id}/open/` : "/notifications/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      if (windows.some((client) => client.visibilityState === "visible")) return undefined;
      return self.registration.showNotification(notification.title || "Frontline", {
        body: notification.body || "",
        tag: `notification-${notification.id || "latest"}`,
        icon: "{% static 'icons/frontline.svg' %}",
        data: { url },
      });
    })
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/notifications/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((client) => "navigate" in client);
      if (open) return open.navigate(url).then((client) => (client || open).focus());
      return self.clients.openWindow(url);
    })
  );
});
