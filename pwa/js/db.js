// @ts-check
/**
 * The phone's durable state in IndexedDB: the outbox of queued mutations, the replica of
 * what the server sent, the verdicts it refused, and a few settings.
 *
 * The replica also holds what the phone must be able to give back in the repair step
 * (SPEC.md, "Repair"): an acknowledged entry's effect is written into it when the entry
 * leaves the outbox, and a deleted record leaves a tombstone with its last data.
 *
 * Every function here is one short transaction that only touches IndexedDB: nothing
 * awaits the network while a transaction is open, so a transaction can never be left
 * half-done by a slow or dead connection. A mutation is on disk when `enqueue` resolves.
 */

/**
 * @typedef {{ id: number, name: string, args: Record<string, any>, client_time: string, sent: boolean }} OutboxEntry
 * @typedef {import("./records.js").Change} Change
 * @typedef {{ type: string, id: string, space: string, seq: number, data: Record<string, any> }} StoredRecord
 * @typedef {{ id: number, name: string, args: Record<string, any>, verdict: string,
 *   error: { code: string, message: string, field: string | null } | null, at: string }} Outcome
 * @typedef {{ id: string, token: string, name: string, email: string }} Device
 */

import { MATCH_DEFAULTS } from "./protocol.js";
import { full } from "./records.js";

const NAME = "touchline";
const VERSION = 2;

/** An acknowledged create: the type of record its args describe, and its space's field. */
const CREATED = /** @type {Record<string, [string, string]>} */ ({
  add_event: ["event", "match_id"],
  create_match: ["match", "id"],
  add_player: ["player", "team_id"],
});
/** An acknowledged change or delete: the type of record and the argument naming it. */
const CHANGED = /** @type {Record<string, [string, string]>} */ ({
  edit_event: ["event", "event_id"],
  update_match: ["match", "match_id"],
  update_player: ["player", "player_id"],
});
const DELETED = /** @type {Record<string, [string, string]>} */ ({
  delete_event: ["event", "event_id"],
  delete_match: ["match", "match_id"],
  delete_player: ["player", "player_id"],
});
const DEFAULTS = /** @type {Record<string, Record<string, any>>} */ ({
  event: { side: "team", stoppage: 0, player_id: null, replaced_player_id: null, note: null, recorded_at: null, assist_player_id: null },
  match: MATCH_DEFAULTS,
  player: { squad_number: null, full_name: null },
});

/** @type {Promise<IDBDatabase> | null} */
let opened = null;

/** @returns {Promise<IDBDatabase>} */
export function open() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, VERSION);
    request.onupgradeneeded = (event) => {
      const db = request.result;
      if (event.oldVersion < 1) {
        db.createObjectStore("meta");
        db.createObjectStore("outbox", { keyPath: "id" });
        db.createObjectStore("records", { keyPath: ["type", "id"] }).createIndex("space", "space");
        db.createObjectStore("outcomes", { keyPath: "id" });
      }
      if (event.oldVersion < 2) db.createObjectStore("tombstones", { keyPath: ["type", "id"] });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("close Touchline's other tabs to update it"));
  });
  return opened;
}

/**
 * @template T
 * @param {IDBRequest<T>} request
 * @returns {Promise<T>}
 */
function result(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** @param {IDBTransaction} tx @returns {Promise<void>} */
function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("transaction aborted"));
  });
}

/**
 * Run `work` in one transaction and resolve once it has committed. `work` may await
 * only requests of this transaction.
 * @template T
 * @param {string[]} stores @param {IDBTransactionMode} mode
 * @param {(tx: IDBTransaction) => Promise<T>} work
 * @returns {Promise<T>}
 */
async function transaction(stores, mode, work) {
  const db = await open();
  const tx = db.transaction(stores, mode, { durability: "strict" });
  const done = committed(tx);
  try {
    const value = await work(tx);
    await done;
    return value;
  } catch (error) {
    done.catch(() => {});
    try {
      tx.abort();
    } catch {
      // already finished
    }
    throw error;
  }
}

/** @param {string} key @returns {Promise<any>} */
export function getMeta(key) {
  return transaction(["meta"], "readonly", (tx) => result(tx.objectStore("meta").get(key)));
}

/** @param {string} key @param {any} value */
export function setMeta(key, value) {
  return transaction(["meta"], "readwrite", (tx) => result(tx.objectStore("meta").put(value, key)));
}

/**
 * Queue a mutation under the device's next mutation id, durably.
 * @param {string} name @param {Record<string, any>} args
 * @returns {Promise<OutboxEntry>}
 */
export function enqueue(name, args) {
  return transaction(["meta", "outbox"], "readwrite", async (tx) => {
    const meta = tx.objectStore("meta");
    const id = (await result(meta.get("nextMutationId"))) ?? 1;
    /** @type {OutboxEntry} */
    const entry = { id, name, args, client_time: new Date().toISOString(), sent: false };
    tx.objectStore("outbox").add(entry);
    meta.put(id + 1, "nextMutationId");
    return entry;
  });
}

/** @param {number} [limit] @returns {Promise<OutboxEntry[]>} */
export function readOutbox(limit) {
  return transaction(["outbox"], "readonly", (tx) => result(tx.objectStore("outbox").getAll(null, limit)));
}

/** Mark entries as handed to the network: they may have reached the server. @param {number[]} ids */
export function markSent(ids) {
  return transaction(["outbox"], "readwrite", async (tx) => {
    const store = tx.objectStore("outbox");
    for (const id of ids) {
      const entry = await result(store.get(id));
      if (entry && !entry.sent) store.put({ ...entry, sent: true });
    }
  });
}

/**
 * Give queued entries consecutive ids starting at `first` (after a gap, or for a device
 * whose server-side counter is not the one the outbox was numbered for).
 * @param {number} first
 */
export function renumberOutbox(first) {
  return transaction(["meta", "outbox"], "readwrite", async (tx) => {
    const store = tx.objectStore("outbox");
    /** @type {OutboxEntry[]} */
    const entries = await result(store.getAll());
    store.clear();
    let id = first;
    for (const entry of entries) store.add({ ...entry, id: id++ });
    tx.objectStore("meta").put(id, "nextMutationId");
  });
}

/**
 * Apply one /sync response in one transaction: drop acknowledged entries, keep the
 * verdicts the server refused, write the pulled changes (after clearing the replica on a
 * reset, never the outbox), and store the new cursor.
 * @param {{ last_mutation_id: number, results: Array<{id: number, verdict: string, error?: any}>,
 *   reset: {reason: string} | null, changes: Change[], cursor: string | null, server_time: string }} response
 */
export function applySync(response) {
  return transaction(["meta", "outbox", "records", "outcomes", "tombstones"], "readwrite", async (tx) => {
    const outbox = tx.objectStore("outbox");
    const records = tx.objectStore("records");
    const tombstones = tx.objectStore("tombstones");
    const outcomes = tx.objectStore("outcomes");
    for (const verdict of response.results) {
      if (verdict.id > response.last_mutation_id) continue;
      /** @type {OutboxEntry | undefined} */
      const entry = await result(outbox.get(verdict.id));
      if (!entry) continue;
      if (verdict.verdict === "applied") {
        await hold(records, tombstones, entry);
        continue;
      }
      outcomes.put({
        id: entry.id,
        name: entry.name,
        args: entry.args,
        verdict: verdict.verdict,
        error: verdict.error ?? null,
        at: response.server_time,
      });
    }
    outbox.delete(IDBKeyRange.upperBound(response.last_mutation_id));
    if (response.reset) {
      records.clear();
      tombstones.clear();
    }
    for (const change of response.changes.map(full)) {
      if (change.data === null) {
        await bury(records, tombstones, change.type, change.id);
      } else {
        records.put({ type: change.type, id: change.id, space: change.space, seq: change.seq, data: change.data });
      }
    }
    const meta = tx.objectStore("meta");
    meta.put(response.cursor, "cursor");
    meta.put(response.server_time, "lastSyncedAt");
    meta.put(new Date().toISOString(), "lastSyncedLocal");
    meta.put(response.last_mutation_id, "acknowledged");
  });
}

/**
 * Write an acknowledged entry's effect into the replica; a later pull replaces it with
 * the server's record.
 * @param {IDBObjectStore} records @param {IDBObjectStore} tombstones @param {OutboxEntry} entry
 */
async function hold(records, tombstones, { name, args }) {
  if (name in CREATED) {
    const [type, space] = CREATED[name];
    if ((await result(records.getKey([type, args.id]))) === undefined) {
      records.put({ type, id: args.id, space: args[space], seq: 0, data: { ...DEFAULTS[type], ...args } });
    }
  } else if (name === "set_lineup") {
    records.put({ type: "lineup", id: args.match_id, space: args.match_id, seq: 0, data: { players: args.players } });
  } else if (name in CHANGED) {
    const [type, key] = CHANGED[name];
    /** @type {StoredRecord | undefined} */
    const held = await result(records.get([type, args[key]]));
    const { [key]: _named, ...fields } = name === "edit_event" ? args.changes : args;
    if (held) records.put({ ...held, data: { ...held.data, ...fields } });
  } else if (name in DELETED) {
    const [type, key] = DELETED[name];
    await bury(records, tombstones, type, args[key]);
  }
}

/**
 * Remove a record, keeping its tombstone with the last data held (a match takes its
 * events and lineup along).
 * @param {IDBObjectStore} records @param {IDBObjectStore} tombstones @param {string} type @param {string} id
 */
async function bury(records, tombstones, type, id) {
  /** @type {StoredRecord | undefined} */
  const held = await result(records.get([type, id]));
  if (type !== "team") {
    // A tombstone pulled after the phone's own delete keeps the data it had.
    const buried = held ? undefined : await result(tombstones.get([type, id]));
    tombstones.put({ type, id, data: held?.data ?? buried?.data ?? null });
  }
  records.delete([type, id]);
  if (type === "match") await dropSpace(records, id);
  if (type === "team") await dropTeam(records, id);
}

/**
 * Every record the phone holds, as the repair step offers it.
 * @returns {Promise<Array<{ type: string, id: string, deleted: boolean, data: Record<string, any> | null }>>}
 */
export function heldRecords() {
  return transaction(["records", "tombstones"], "readonly", async (tx) => {
    /** @type {StoredRecord[]} */
    const records = await result(tx.objectStore("records").getAll());
    /** @type {Array<{ type: string, id: string, data: Record<string, any> | null }>} */
    const dead = await result(tx.objectStore("tombstones").getAll());
    return [
      ...records.filter((r) => r.type !== "team").map((r) => ({ type: r.type, id: r.id, deleted: false, data: r.data })),
      ...dead.map((t) => ({ type: t.type, id: t.id, deleted: true, data: t.data })),
    ];
  });
}

/** After a repair: forget the pulled state and cursor (the outbox stays); pull afresh. */
export function forgetPulledState() {
  return transaction(["meta", "records", "tombstones"], "readwrite", async (tx) => {
    tx.objectStore("records").clear();
    tx.objectStore("tombstones").clear();
    const meta = tx.objectStore("meta");
    meta.delete("cursor");
    meta.delete("repairing");
  });
}

/** @param {IDBObjectStore} records @param {string} space */
async function dropSpace(records, space) {
  const keys = await result(records.index("space").getAllKeys(space));
  for (const key of keys) records.delete(key);
}

/**
 * A team tombstone: the phone lost the team (left, removed, deleted). Its roster and its
 * matches, with their events and lineups, go with it.
 * @param {IDBObjectStore} records @param {string} teamId
 */
async function dropTeam(records, teamId) {
  await dropSpace(records, teamId);
  /** @type {StoredRecord[]} */
  const matches = await result(records.getAll(IDBKeyRange.bound(["match", ""], ["match", "\uffff"])));
  for (const match of matches) {
    if (/** @type {any} */ (match.data).team_id !== teamId) continue;
    records.delete(["match", match.id]);
    await dropSpace(records, match.id);
  }
}

/** Forget the pulled state and cursor (an invalid cursor); the outbox stays. */
export function clearReplica() {
  return transaction(["meta", "records", "tombstones"], "readwrite", async (tx) => {
    tx.objectStore("records").clear();
    tx.objectStore("tombstones").clear();
    tx.objectStore("meta").delete("cursor");
  });
}

/** @param {number} id */
export function dismissOutcome(id) {
  return transaction(["outcomes"], "readwrite", (tx) => result(tx.objectStore("outcomes").delete(id)));
}

/**
 * Become a (newly registered) device: its counter starts after `lastMutationId`, so the
 * queue is renumbered from there; the replica of the previous sign-in is dropped.
 * @param {Device} device @param {number} lastMutationId
 */
export async function adoptDevice(device, lastMutationId) {
  await transaction(["meta", "records", "tombstones"], "readwrite", async (tx) => {
    tx.objectStore("records").clear();
    tx.objectStore("tombstones").clear();
    const meta = tx.objectStore("meta");
    meta.put(device, "device");
    meta.delete("cursor");
    meta.delete("acknowledged");
    meta.delete("lastSyncedAt");
  });
  await renumberOutbox(lastMutationId + 1);
}

/**
 * Sign out: forget the device and the replica. Refused while mutations are queued, unless
 * `discard` (the account is gone, so they can never be sent).
 * @param {{ discard?: boolean }} [options]
 */
export function signOut({ discard = false } = {}) {
  return transaction(["meta", "records", "outbox", "outcomes", "tombstones"], "readwrite", async (tx) => {
    const pending = await result(tx.objectStore("outbox").count());
    if (pending > 0 && !discard) throw new Error(`${pending} changes are still on this phone; sync them first`);
    if (discard) tx.objectStore("outbox").clear();
    tx.objectStore("records").clear();
    tx.objectStore("tombstones").clear();
    tx.objectStore("outcomes").clear();
    const meta = tx.objectStore("meta");
    for (const key of ["device", "cursor", "lastSyncedAt", "lastSyncedLocal", "acknowledged"]) meta.delete(key);
  });
}

/** The account signs in with `email` from now on. @param {string} email */
export function setDeviceEmail(email) {
  return transaction(["meta"], "readwrite", async (tx) => {
    const meta = tx.objectStore("meta");
    const device = await result(meta.get("device"));
    if (device) meta.put({ ...device, email }, "device");
  });
}

/**
 * Everything the screens show, read in one snapshot.
 * @returns {Promise<{ records: StoredRecord[], outbox: OutboxEntry[], outcomes: Outcome[],
 *   device: Device | undefined, lastSyncedLocal: string | undefined }>}
 */
export function snapshot() {
  return transaction(["meta", "outbox", "records", "outcomes"], "readonly", async (tx) => {
    const meta = tx.objectStore("meta");
    const [records, outbox, outcomes, device, lastSyncedLocal] = await Promise.all([
      result(tx.objectStore("records").getAll()),
      result(tx.objectStore("outbox").getAll()),
      result(tx.objectStore("outcomes").getAll()),
      result(meta.get("device")),
      result(meta.get("lastSyncedLocal")),
    ]);
    return { records, outbox, outcomes, device, lastSyncedLocal };
  });
}
