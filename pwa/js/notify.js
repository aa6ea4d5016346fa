// @ts-check
/**
 * "Notify me": goal alerts by Web Push for the share link this page was opened with.
 *
 * Shown only where the browser can receive pushes (a service worker and PushManager) and
 * the server sends them (GET /api/watch/push gives its key). On an iPhone or iPad without
 * them, the page says how: Safari delivers pushes only to a page added to the Home Screen.
 * The family picks what to hear (goals; the half-time and full-time score; cards), the
 * browser subscribes with the server's key, and the server is given the subscription with
 * the share token. The page remembers, per link, that it asked, so it can offer "Stop
 * alerts"; the notification itself offers the same (sw.js).
 */

import { h } from "./dom.js";

const STORE_PREFIX = "touchline.push.";

/** @param {string} text base64url, as the server gives its key */
function bytes(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** @param {ArrayBuffer | null} a @param {Uint8Array} b */
function sameKey(a, b) {
  if (!a || a.byteLength !== b.length) return false;
  const view = new Uint8Array(a);
  return view.every((value, i) => value === b[i]);
}

function isAppleMobile() {
  return /iPhone|iPad|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
}

/**
 * Put the alerts control after `after`, for the link `token`. Resolves once it is shown
 * (or known not to apply); never rejects.
 * @param {HTMLElement} after
 * @param {string} token
 */
export async function offerAlerts(after, token) {
  document.getElementById("notify")?.remove();
  const section = h("section", { id: "notify", class: "notify" });
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    if (isAppleMobile()) {
      section.append(h("p", { class: "hint" }, "For goal alerts on an iPhone, add this page to your Home Screen (Share → Add to Home Screen) and open it from there."));
      after.after(section);
    }
    return;
  }
  /** @type {{ enabled: boolean, public_key: string | null }} */
  let info;
  try {
    const response = await fetch("/api/watch/push", { cache: "no-store" });
    info = await response.json();
  } catch {
    return;
  }
  if (!info.enabled || !info.public_key) return;
  const key = bytes(info.public_key);
  after.after(section);
  const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
  const status = h("p", { class: "status", role: "status" });

  function stored() {
    try {
      return localStorage.getItem(STORE_PREFIX + token);
    } catch {
      return null;
    }
  }

  /** @param {string | null} endpoint */
  function store(endpoint) {
    try {
      if (endpoint) localStorage.setItem(STORE_PREFIX + token, endpoint);
      else localStorage.removeItem(STORE_PREFIX + token);
    } catch {
      // Private browsing: the page forgets, the server still knows.
    }
  }

  const choice = (/** @type {string} */ name, /** @type {string} */ label, /** @type {boolean} */ on) =>
    h("label", { class: "choice" }, h("input", { type: "checkbox", name, checked: on }), ` ${label}`);

  function showOff() {
    const form = h(
      "form",
      { class: "alerts" },
      h("h2", null, "Goal alerts"),
      h("p", null, "Get a notification on this phone, even with the page closed."),
      choice("goals", "Goals", true),
      choice("breaks", "Half-time and full-time score", true),
      choice("cards", "Cards", false),
      h("button", { type: "submit", id: "notify-me", class: "primary" }, "Notify me"),
      status,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = new FormData(/** @type {HTMLFormElement} */ (form));
      subscribe({ goals: data.has("goals"), breaks: data.has("breaks"), cards: data.has("cards") });
    });
    section.replaceChildren(form);
  }

  function showOn() {
    const stop = h("button", { type: "button", id: "stop-alerts", class: "secondary" }, "Stop alerts");
    stop.addEventListener("click", unsubscribe);
    section.replaceChildren(h("p", { class: "alerts-on" }, "🔔 Alerts are on for this match. "), stop, status);
  }

  /** @param {{ goals: boolean, breaks: boolean, cards: boolean }} choices */
  async function subscribe(choices) {
    status.textContent = "Asking…";
    try {
      if ((await Notification.requestPermission()) !== "granted") {
        status.textContent = "Notifications are blocked for this site: allow them in the browser's settings.";
        return;
      }
      const registration = await navigator.serviceWorker.ready;
      let subscription = await registration.pushManager.getSubscription();
      if (subscription && !sameKey(subscription.options.applicationServerKey, key)) {
        // The server has a new key: a subscription made with the old one no longer works.
        await subscription.unsubscribe();
        subscription = null;
      }
      subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      const response = await fetch("/api/watch/push", {
        method: "POST",
        headers,
        body: JSON.stringify({ subscription: subscription.toJSON(), ...choices }),
      });
      if (!response.ok) throw new Error(`server answered ${response.status}`);
      store(subscription.endpoint);
      showOn();
    } catch (error) {
      status.textContent = `Alerts could not be turned on (${error instanceof Error ? error.message : error}).`;
    }
  }

  async function unsubscribe() {
    const endpoint = stored();
    try {
      if (endpoint) {
        const response = await fetch("/api/watch/push", { method: "DELETE", headers, body: JSON.stringify({ endpoint }) });
        if (!response.ok && response.status !== 410) throw new Error(`server answered ${response.status}`);
      }
      store(null);
      showOff();
    } catch (error) {
      status.textContent = `Alerts could not be stopped (${error instanceof Error ? error.message : error}).`;
    }
  }

  if (stored()) showOn();
  else showOff();
}

/** The link stopped working: its alerts went with it. */
export function withdrawAlerts() {
  document.getElementById("notify")?.remove();
}
