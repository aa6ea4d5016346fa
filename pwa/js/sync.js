// @ts-check
/**
 * The sync loop: push the outbox and pull changes through POST /sync until the phone
 * holds nothing the server has not acknowledged and has every change the server has.
 *
 * It runs on launch, when the network comes back, when the page becomes visible, after
 * every tap, and on a timer while the page is visible. Background Sync (where the browser
 * has it) only adds one more wake-up; nothing depends on it. Failures back off
 * exponentially; a 200 resets the backoff.
 */

import * as db from "./db.js";
import { PROTOCOL_VERSION } from "./protocol.js";
import { compareRepairOrder, repairOrder } from "./rules.js";

const BATCH = 200;
const REPAIR_BATCH = 500;
// The largest page the server gives (about 200 KB compressed): a phone back after days
// catches up in a round trip or two.
const PAGE = 5000;
const TIMER_MS = 20_000;
const REQUEST_TIMEOUT_MS = 20_000;
const BACKOFF_MAX_MS = 60_000;

/**
 * "retrying": the last request failed (the server answered an error or not at all) and
 * another is scheduled; "error": syncing stopped until the user acts.
 * @typedef {"idle" | "syncing" | "offline" | "retrying" | "error" | "signed_out"} SyncState
 */

export class Syncer extends EventTarget {
  /** @type {SyncState} */
  state = "idle";
  /** @type {string | null} What went wrong, in the coach's words (never the server's raw message). */
  problem = null;
  /** Records the server restored from this phone in its last repair (event "restored"). */
  restored = 0;
  /** Of those, events. */
  restoredEvents = 0;
  #running = false;
  #again = false;
  #failures = 0;
  #batch = BATCH;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retry;

  /** Start the triggers and sync once. */
  start() {
    addEventListener("online", () => this.kick());
    addEventListener("offline", () => {
      if (this.state !== "signed_out" && this.state !== "error") this.#set("offline", null);
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.kick();
    });
    setInterval(() => {
      if (document.visibilityState === "visible") this.kick();
    }, TIMER_MS);
    navigator.serviceWorker?.addEventListener("message", (event) => {
      if (event.data?.type === "sync") this.kick();
    });
    this.kick();
  }

  /** Ask for a sync soon; calls while one runs make it go round once more. */
  kick() {
    clearTimeout(this.#retry);
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#loop().finally(() => {
      this.#running = false;
    });
  }

  /** Also ask the browser for a Background Sync wake-up, where it has one. */
  requestBackgroundSync() {
    navigator.serviceWorker?.ready
      .then((registration) => /** @type {any} */ (registration).sync?.register("touchline-sync"))
      .catch(() => {});
  }

  async #loop() {
    for (;;) {
      this.#again = false;
      let more;
      try {
        more = await this.#round();
        this.#failures = 0;
      } catch (error) {
        this.#fail(error);
        return;
      }
      if (!more && !this.#again) {
        this.#set("idle", null);
        return;
      }
    }
  }

  /** @param {unknown} error */
  #fail(error) {
    if (error instanceof StopSync) {
      this.#set(error.state, error.message);
      return;
    }
    this.#failures += 1;
    const offline = !navigator.onLine || error instanceof TypeError || error instanceof DOMException;
    this.#set(offline ? "offline" : "retrying", offline ? null : serverTrouble(/** @type {any} */ (error)?.status));
    const backoff = Math.min(1000 * 2 ** (this.#failures - 1), BACKOFF_MAX_MS) * (0.75 + Math.random() / 2);
    const asked = /** @type {any} */ (error)?.retryAfterMs ?? 0;
    this.#retry = setTimeout(() => this.kick(), Math.max(backoff, asked));
  }

  /** @param {SyncState} state @param {string | null} problem */
  #set(state, problem) {
    this.state = state;
    this.problem = problem;
    this.dispatchEvent(new Event("change"));
  }

  /**
   * One request. Returns whether to go round again at once.
   * @returns {Promise<boolean>}
   */
  async #round() {
    /** @type {import("./db.js").Device | undefined} */
    const device = await db.getMeta("device");
    if (!device) throw new StopSync("signed_out", null);
    // The browser knows it has no network: nothing is handed over, so nothing is "sent".
    if (!navigator.onLine) throw new TypeError("offline");
    if (await db.getMeta("repairing")) {
      await this.#repair(device); // one an outage or a closed tab cut short
      return true;
    }
    const cursor = (await db.getMeta("cursor")) ?? null;
    const entries = await db.readOutbox(this.#batch);
    if (entries.length) {
      await db.markSent(entries.map((e) => e.id));
      this.dispatchEvent(new Event("data"));
    }
    // While failures repeat, the bar keeps saying so until a request succeeds, rather
    // than flickering to "syncing" on every retry.
    if (this.state !== "retrying") this.#set("syncing", null);

    const response = await fetch("/sync", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${device.token}` },
      body: JSON.stringify({
        protocol: PROTOCOL_VERSION,
        device_id: device.id,
        cursor,
        max_changes: PAGE,
        mutations: entries.map(({ id, name, args, client_time }) => ({ id, name, args, client_time })),
      }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      cache: "no-store",
    });
    const body = await response.json().catch(() => null);
    if (response.status === 401) {
      throw new StopSync("signed_out", "This phone was signed out. Sign in again; nothing queued is lost.");
    }
    if (response.status === 422 && body?.error?.code === "invalid_cursor") {
      await db.clearReplica();
      return true;
    }
    if (response.status === 409 && body?.error?.code === "protocol_too_new") {
      throw new StopSync("error", "The server is older than this app. Reload later.");
    }
    if (response.status === 413 && this.#batch > 1) {
      this.#batch = Math.ceil(this.#batch / 2);
      return true;
    }
    if (!response.ok || !body) {
      const error = new Error(body?.error?.message ?? `the server answered ${response.status}`);
      const retryAfter = Number(response.headers.get("Retry-After"));
      throw Object.assign(error, { status: response.status, retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : 0 });
    }

    const reason = body.reset?.reason;
    const told = (await db.getMeta("acknowledged")) ?? 0;
    if (reason === "generation_changed" || reason === "cursor_ahead" || (reason !== "unknown_device" && body.last_mutation_id < told)) {
      // The server went back in time. Take the push part, keep the pulled state and give
      // it back (SPEC.md, "Repair"), then pull from scratch.
      await db.applySync({ ...body, reset: null, changes: [], cursor });
      await db.setMeta("repairing", true);
      if (body.gap) await db.renumberOutbox(body.gap.expected);
      await this.#repair(device);
      return true;
    }
    if (reason === "unknown_device") {
      // The token belongs to another device id: the outbox is numbered for the wrong
      // counter. Renumber after that device's last id, then push again.
      await db.setMeta("device", { ...device, id: body.device_id });
      await db.renumberOutbox(body.last_mutation_id + 1);
    }
    await db.applySync(body);
    this.dispatchEvent(new Event("data"));
    if (body.gap) {
      await db.renumberOutbox(body.gap.expected);
      return true;
    }
    if (body.reset?.reason === "unknown_device" || body.has_more) return true;
    return (await db.readOutbox(1)).length > 0 && entries.length > 0;
  }

  /**
   * Offer the server everything this phone holds, in batches; then forget the pulled
   * state. Until every batch is answered the phone keeps it and "repairing" stays set.
   * @param {import("./db.js").Device} device
   */
  async #repair(device) {
    const records = (await db.heldRecords())
      .map((record) => ({ record, key: repairOrder(record) }))
      .sort((a, b) => compareRepairOrder(a.key, b.key))
      .map(({ record }) => record);
    let restored = 0;
    let events = 0;
    for (let start = 0; start < records.length; start += REPAIR_BATCH) {
      const response = await fetch("/sync/repair", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${device.token}` },
        body: JSON.stringify({ protocol: PROTOCOL_VERSION, device_id: device.id, records: records.slice(start, start + REPAIR_BATCH) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        cache: "no-store",
      });
      if (response.status === 404) break; // a server from before the repair step
      const body = await response.json().catch(() => null);
      if (!response.ok || !body) {
        throw Object.assign(new Error(body?.error?.message ?? `the server answered ${response.status}`), { status: response.status });
      }
      restored += body.restored;
      events += body.results.filter((/** @type {any} */ r) => r.type === "event" && r.outcome === "restored").length;
    }
    await db.forgetPulledState();
    this.restored = restored;
    this.restoredEvents = events;
    if (restored > 0) this.dispatchEvent(new Event("restored"));
    this.dispatchEvent(new Event("data"));
  }
}

/** @param {number | undefined} status */
function serverTrouble(status) {
  if (status === 429) return "server busy";
  if (status === 507) return "server storage full";
  return status && status >= 500 ? "server not answering" : "server refused the sync";
}

class StopSync extends Error {
  /** @param {SyncState} state @param {string | null} message */
  constructor(state, message) {
    super(message ?? state);
    this.state = state;
  }
}
