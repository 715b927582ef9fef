/* Frontline service worker ({{ version }}).
 * Keeps the app shell (styles, scripts, icons) so the app opens on a flaky store Wi-Fi, and
 * shows an offline page for navigations when the network is gone.
 *
 * It also keeps the signed-in staff member's essentials readable offline: their day and the
 * customers they opened last. Those pages are always fetched from the network first; a copy
 * goes into a cache named after the staff member the server says the page is for (the
 * X-Frontline-Staff header), and is read only when the network fails. Personal copies are for
 * one person at a time: a page for someone else wipes the previous person's cache, signing out
 * wipes them all, a copy older than a shift is not shown, and none is shown while the tablet
 * is locked (the lock is seen on its way to the server, so it holds offline too). */
const CACHE = "frontline-{{ version }}";
const SHELL = [
  "{% load static %}{% static 'css/frontline.css' %}",
  "{% static 'css/customers.css' %}",
  "{% static 'vendor/htmx-2.0.11.min.js' %}",
  "{% static 'js/frontline.js' %}",
  "{% static 'js/tablet.js' %}",
  "{% static 'js/notifications.js' %}",
  "{% static 'icons/frontline.svg' %}",
  "/offline/",
];
const PERSONAL = "frontline-personal-";
const STATE = "frontline-state";
const LOCKED = "/__frontline/locked";
const PENDING_LOCK = "/__frontline/pending-lock";
const MAX_AGE_MS = {{ personal_max_age_seconds }} * 1000;
const RECENT_CUSTOMERS = {{ recent_customers }};
const PERSONAL_PAGES = [
  /^\/$/,
  /^\/customers\/search\/$/,
  /^\/customers\/\d+\/$/,
  /^\/customers\/\d+\/(panels(\/[\w-]+)?|timeline)\/$/,
  /^\/followups\/(mine\/[\w-]+|\d+)\/$/,
  /^\/appointments\/$/,
];
const CUSTOMER = /^\/customers\/(\d+)\//;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  // Old shells go; personal copies and the lock stay (a new version changes neither).
  const kept = (key) => key === CACHE || key === STATE || key.startsWith(PERSONAL);
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => !kept(key)).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST") {
    // Seen before the server answers, so that they hold offline too.
    if (url.pathname === "/accounts/logout/") event.waitUntil(forgetEveryone());
    if (url.pathname === "/tablet/lock/") event.respondWith(lock(request));
    return;
  }
  if (request.method !== "GET") return;
  if (PERSONAL_PAGES.some((page) => page.test(url.pathname)) && !url.search.includes("q=")) {
    event.respondWith(personal(request, url));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match("/offline/")));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((cached) => cached || fetch(request)));
  }
});

// --- Personal pages, per staff member --------------------------------------------------------

async function personal(request, url) {
  const key = keyFor(request, url);
  let response;
  try {
    await sendPendingLock();
    response = await fetch(request);
  } catch (error) {
    const saved = await recall(key);
    if (saved) return saved;
    if (request.mode === "navigate") return caches.match("/offline/");
    throw error;
  }
  await remember(key, url, response.clone());
  return response;
}

// A page and the htmx fragment at the same address differ: each is kept under its own key.
function keyFor(request, url) {
  if (!request.headers.get("HX-Request")) return url.origin + url.pathname;
  return `${url.origin}${url.pathname}?frontline-fragment=1`;
}

async function remember(key, url, response) {
  const staff = response.headers.get("X-Frontline-Staff");
  if (!staff) {
    // Sent to sign in or to the lock screen: nothing personal may be shown from here now.
    if (response.redirected) await setLocked(true);
    return;
  }
  if (!response.ok) return;
  await setLocked(false);
  const name = PERSONAL + staff;
  const others = (await caches.keys()).filter((cache) => cache.startsWith(PERSONAL) && cache !== name);
  await Promise.all(others.map((cache) => caches.delete(cache)));
  const headers = new Headers(response.headers);
  headers.set("X-Frontline-Saved-At", String(Date.now()));
  const copy = new Response(await response.blob(), { status: response.status, headers });
  const cache = await caches.open(name);
  await cache.put(key, copy);
  if (CUSTOMER.test(url.pathname)) await keepRecentCustomers(cache);
}

// The cache lists entries oldest first, and a put moves an entry to the end.
async function keepRecentCustomers(cache) {
  const requests = await cache.keys();
  const newestFirst = [];
  for (const request of requests.slice().reverse()) {
    const match = CUSTOMER.exec(new URL(request.url).pathname);
    if (match && !newestFirst.includes(match[1])) newestFirst.push(match[1]);
  }
  const dropped = new Set(newestFirst.slice(RECENT_CUSTOMERS));
  await Promise.all(requests.filter((request) => {
    const match = CUSTOMER.exec(new URL(request.url).pathname);
    return match && dropped.has(match[1]);
  }).map((request) => cache.delete(request)));
}

async function recall(key) {
  if (await isLocked()) return undefined;
  const name = (await caches.keys()).find((cache) => cache.startsWith(PERSONAL));
  if (!name) return undefined;
  const cache = await caches.open(name);
  const saved = await cache.match(key, { ignoreVary: true });
  if (!saved) return undefined;
  if (Date.now() - Number(saved.headers.get("X-Frontline-Saved-At")) > MAX_AGE_MS) {
    await cache.delete(key);
    return undefined;
  }
  return saved;
}

// A lock made offline is kept, and told to the server before any personal page is asked for:
// otherwise the server, which never heard of it, would serve the page to whoever holds the tablet.
async function lock(request) {
  await setLocked(true);
  const token = request.headers.get("X-CSRFToken") || (await formToken(request));
  try {
    const response = await fetch(request);
    await pendingLock().then((state) => state.delete(PENDING_LOCK));
    return response;
  } catch (error) {
    const state = await pendingLock();
    await state.put(PENDING_LOCK, new Response(token));
    if (request.mode === "navigate") return caches.match("/offline/");
    return new Response(null, { status: 202 });
  }
}

async function formToken(request) {
  try { return String((await request.clone().formData()).get("csrfmiddlewaretoken") || ""); }
  catch (error) { return ""; }
}

function pendingLock() { return caches.open(STATE); }

async function sendPendingLock() {
  const state = await pendingLock();
  const pending = await state.match(PENDING_LOCK);
  if (!pending) return;
  const response = await fetch("/tablet/lock/", {
    method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": await pending.text() },
  });
  if (response.ok || response.status === 403) await state.delete(PENDING_LOCK);
}

async function forgetEveryone() {
  const keys = await caches.keys();
  await Promise.all(keys.filter((key) => key.startsWith(PERSONAL)).map((key) => caches.delete(key)));
}

async function setLocked(locked) {
  const state = await caches.open(STATE);
  if (locked) await state.put(LOCKED, new Response("locked"));
  else await state.delete(LOCKED);
}

async function isLocked() {
  const state = await caches.open(STATE);
  return Boolean(await state.match(LOCKED));
}

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
