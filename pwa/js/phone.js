// @ts-check
/**
 * What the coach's app asks of the phone: to keep the screen on while a match is live, and
 * to keep its storage when space runs low.
 */

import * as db from "./db.js";
import { store } from "./store.js";

/** Ask once, the first time it matters, that the outbox is never evicted. */
export async function askForPersistentStorage() {
  if (!navigator.storage?.persist || (await db.getMeta("persistAsked"))) return;
  await db.setMeta("persistAsked", true);
  await navigator.storage.persist().catch(() => false);
}

/** Hold the screen on (`wanted`) or let it sleep. @param {boolean} wanted */
export async function keepAwake(wanted) {
  const wl = /** @type {any} */ (navigator).wakeLock;
  if (!wl) return;
  if (wanted && !store.wakeLock && document.visibilityState === "visible") {
    try {
      store.wakeLock = await wl.request("screen");
      store.wakeLock.addEventListener("release", () => {
        store.wakeLock = null;
      });
    } catch {
      store.wakeLock = null; // refused (battery saver); the match goes on regardless
    }
  } else if (!wanted && store.wakeLock) {
    const lock = store.wakeLock;
    store.wakeLock = null;
    await lock.release().catch(() => {});
  }
}
