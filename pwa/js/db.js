// @ts-check
/**
 * The phone's durable state in IndexedDB: the outbox of queued mutations, the replica of
 * what the server sent, the verdicts it refused, and a few settings.
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

import { full } from "./records.js";

const NAME = "touchline";
const VERSION = 1;

/** @type {Promise<IDBDatabase> | null} */
let opened = null;

/** @returns {Promise<IDBDatabase>} */
export function open() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("meta");
      db.createObjectStore("outbox", { keyPath: "id" });
      db.createObjectStore("records", { keyPath: ["type", "id"] }).createIndex("space", "space");
      db.createObjectStore("outcomes", { keyPath: "id" });
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
  return transaction(["meta", "outbox", "records", "outcomes"], "readwrite", async (tx) => {
    const outbox = tx.objectStore("outbox");
    const records = tx.objectStore("records");
    const outcomes = tx.objectStore("outcomes");
    for (const verdict of response.results) {
      if (verdict.verdict === "applied" || verdict.id > response.last_mutation_id) continue;
      /** @type {OutboxEntry | undefined} */
      const entry = await result(outbox.get(verdict.id));
      if (!entry) continue;
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
    if (response.reset) records.clear();
    for (const change of response.changes.map(full)) {
      if (change.data === null) {
        records.delete([change.type, change.id]);
        if (change.type === "match") await dropSpace(records, change.id);
        if (change.type === "team") await dropTeam(records, change.id);
      } else {
        records.put({ type: change.type, id: change.id, space: change.space, seq: change.seq, data: change.data });
      }
    }
    const meta = tx.objectStore("meta");
    meta.put(response.cursor, "cursor");
    meta.put(response.server_time, "lastSyncedAt");
    meta.put(new Date().toISOString(), "lastSyncedLocal");
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
  return transaction(["meta", "records"], "readwrite", async (tx) => {
    tx.objectStore("records").clear();
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
  await transaction(["meta", "records"], "readwrite", async (tx) => {
    tx.objectStore("records").clear();
    const meta = tx.objectStore("meta");
    meta.put(device, "device");
    meta.delete("cursor");
    meta.delete("lastSyncedAt");
  });
  await renumberOutbox(lastMutationId + 1);
}

/** Sign out: forget the device and the replica. Refused while mutations are queued. */
export function signOut() {
  return transaction(["meta", "records", "outbox", "outcomes"], "readwrite", async (tx) => {
    const pending = await result(tx.objectStore("outbox").count());
    if (pending > 0) throw new Error(`${pending} changes are still on this phone; sync them first`);
    tx.objectStore("records").clear();
    tx.objectStore("outcomes").clear();
    const meta = tx.objectStore("meta");
    for (const key of ["device", "cursor", "lastSyncedAt", "lastSyncedLocal"]) meta.delete(key);
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
