// @ts-check
/**
 * What the sync bar says. Pure: the page passes what it knows, this returns the words
 * and the tone. The bar never claims more than is true: offline is said as soon as the
 * browser knows it, a server that keeps failing gives one steady message (with the count)
 * until a sync succeeds, and the count names changes, not rows.
 */

/**
 * @param {{ signedIn: boolean, pending: number, online: boolean,
 *   state: import("./sync.js").SyncState, problem: string | null, lastSynced: string | undefined }} now
 * @returns {{ text: string, tone: "ok" | "warn" | "bad" }}
 */
export function barText({ signedIn, pending, online, state, problem, lastSynced }) {
  const waiting = pending === 1 ? "1 change on phone" : `${pending} changes on phone`;
  const last = `last synced ${lastSynced ? new Date(lastSynced).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "never"}`;
  if (!signedIn) return pending ? { text: `${waiting} · sign in to sync`, tone: "warn" } : { text: "Not signed in", tone: "ok" };
  if (state === "signed_out" || state === "error") return { text: problem ?? "Sync stopped", tone: "bad" };
  if (!online || state === "offline") {
    return { text: `Offline · ${pending ? waiting : "nothing waiting"} · ${last}`, tone: "warn" };
  }
  if (state === "retrying") {
    return { text: `${pending ? waiting : "Nothing waiting"} · ${problem ?? "server not answering"}, retrying · ${last}`, tone: "warn" };
  }
  if (pending) return { text: `${waiting} · ${state === "syncing" ? "syncing…" : "waiting"} · ${last}`, tone: "warn" };
  return { text: `All synced · ${last}`, tone: "ok" };
}

/**
 * What the coach is told after this phone gave a restored server back what it held.
 * @param {number} events @param {number} records
 */
export function restoredText(events, records) {
  const others = records - events;
  const plural = (/** @type {number} */ n, /** @type {string} */ word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (events === 0) return `${plural(records, "record")} restored from this phone`;
  const more = others > 0 ? ` (and ${plural(others, "other record")})` : "";
  return `${plural(events, "event")} restored from this phone${more}`;
}
