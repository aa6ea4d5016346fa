// @ts-check
/// <reference lib="webworker" />
/**
 * The app shell, cached so the coach's app opens with no network at all.
 *
 * The server writes the shell's content hash into SHELL_VERSION when it serves this file,
 * so any change to the app makes a new worker with a new cache; the old cache is deleted
 * once the new worker takes over. Only the files below are ever answered from the cache:
 * the API, /sync and the live channel always go to the network.
 *
 * The family's watch page registers this file as `/sw.js?page=watch` for the `/watch`
 * scope: that worker keeps only the watch page's own files, in a cache of its own, so a
 * family phone downloads none of the coach's app and the page opens with no signal.
 */

const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
const SHELL_VERSION = "__SHELL_VERSION__";
const WATCH = new URL(sw.location.href).searchParams.get("page") === "watch";
const PREFIX = WATCH ? "touchline-watch-" : "touchline-shell-";
const CACHE = `${PREFIX}${SHELL_VERSION}`;
const WATCH_SHELL = [
  "/watch",
  "/app.css",
  "/js/watch.js",
  "/js/dom.js",
  "/js/insights.js",
  "/js/live.js",
  "/js/notify.js",
  "/js/protocol.js",
  "/js/records.js",
  "/js/rules.js",
  "/js/story.js",
  "/icons/icon-192.png",
];
const SHELL = WATCH ? WATCH_SHELL : [
  "/",
  "/watch",
  "/privacy",
  "/app.css",
  "/manifest.webmanifest",
  "/js/coach.js",
  "/js/api.js",
  "/js/db.js",
  "/js/dom.js",
  "/js/insights.js",
  "/js/live.js",
  "/js/mutations.js",
  "/js/notify.js",
  "/js/phone.js",
  "/js/protocol.js",
  "/js/records.js",
  "/js/refusals.js",
  "/js/rules.js",
  "/js/store.js",
  "/js/sync.js",
  "/js/syncbar.js",
  "/js/toast.js",
  "/js/watch.js",
  "/js/story.js",
  "/js/screens/account.js",
  "/js/screens/calendar.js",
  "/js/screens/edit-event.js",
  "/js/screens/home.js",
  "/js/screens/install.js",
  "/js/screens/lineup.js",
  "/js/screens/logging.js",
  "/js/screens/match.js",
  "/js/screens/members.js",
  "/js/screens/minutes.js",
  "/js/screens/nav.js",
  "/js/screens/new-match.js",
  "/js/screens/recovery.js",
  "/js/screens/share.js",
  "/js/screens/sheet.js",
  "/js/screens/signin.js",
  "/js/screens/stats.js",
  "/js/screens/team.js",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
  "/icons/icon-maskable-512.png",
  "/icons/apple-touch-icon.png",
];


sw.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      // The watch page has just fetched its files: revalidating them costs a 304 each.
      .then((cache) => cache.addAll(SHELL.map((path) => new Request(path, { cache: WATCH ? "no-cache" : "reload" }))))
      .then(() => sw.skipWaiting()),
  );
});

sw.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith(PREFIX) && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => sw.clients.claim()),
  );
});

sw.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== sw.location.origin) return;
  const path = request.mode === "navigate" ? navigationPath(url.pathname) : url.pathname;
  if (!SHELL.includes(path)) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => (await cache.match(path)) ?? fetch(request)),
  );
});

/** @param {string} pathname */
function navigationPath(pathname) {
  return pathname === "/watch" ? "/watch" : pathname === "/" || pathname === "/index.html" ? "/" : pathname;
}

// Background Sync wakes an open page to sync; with no page open there is nothing to do,
// and the page syncs on its own next launch.
sw.addEventListener("sync", (event) => {
  const syncEvent = /** @type {any} */ (event);
  if (syncEvent.tag !== "touchline-sync") return;
  syncEvent.waitUntil(
    sw.clients.matchAll({ type: "window" }).then((clients) => {
      for (const client of clients) client.postMessage({ type: "sync" });
    }),
  );
});

// Goal alerts (notify.js subscribes; the server sends {title, body, tag, url}, encrypted
// for this browser). The tag is the event's id, so a correction replaces its alert.
sw.addEventListener("push", (event) => {
  /** @type {{ title?: string, body?: string, tag?: string, url?: string }} */
  let data = {};
  try {
    data = event.data?.json() ?? {};
  } catch {
    data = { body: event.data?.text() };
  }
  event.waitUntil(
    sw.registration.showNotification(
      data.title ?? "Touchline",
      // `actions` is in the Notifications standard but not yet in TypeScript's DOM types.
      /** @type {NotificationOptions} */ ({
        body: data.body ?? "",
        tag: data.tag,
        icon: "/icons/icon-192.png",
        data: { url: data.url ?? "/watch" },
        actions: [{ action: "unsubscribe", title: "Stop alerts" }],
      }),
    ),
  );
});

sw.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url ?? "/watch", sw.location.origin);
  event.waitUntil(event.action === "unsubscribe" ? stopAlerts(url) : openPage(url));
});

/** @param {URL} url the watch page of the link, its token after `#` */
async function openPage(url) {
  const windows = await sw.clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = windows.find((client) => client.url === url.href);
  if (open) return open.focus();
  return sw.clients.openWindow(url.href);
}

/** @param {URL} url */
async function stopAlerts(url) {
  const subscription = await sw.registration.pushManager.getSubscription();
  if (!subscription) return;
  await fetch("/api/watch/push", {
    method: "DELETE",
    headers: { Authorization: `Bearer ${decodeURIComponent(url.hash.slice(1))}`, "Content-Type": "application/json" },
    body: JSON.stringify({ endpoint: subscription.endpoint }),
  });
}
