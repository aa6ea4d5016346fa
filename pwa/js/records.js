// @ts-check
/**
 * Change records as the server sends them, made whole (sync_protocol/records.py, SPEC.md
 * "Compact records" and "Live records"). A compact record leaves out nulls, the record's
 * own id and its space's id, and from protocol 3 writes ids bare; `full` puts them back,
 * so the phone's replica and the watch page hold what a full record says.
 *
 * Pure: no IndexedDB, no DOM, so the same golden cases run against it under Node.
 */

import { FIELDS, SPACE_FIELDS } from "./protocol.js";

/**
 * @typedef {{ type: string, id: string, space: string, seq: number, deleted?: boolean,
 *   data?: Record<string, any> | null }} Change
 */

/** @param {string} name */
const isId = (name) => name === "id" || name.endsWith("_id");

/**
 * An id in its usual 8-4-4-4-12 form, whether it came bare or not.
 * @param {string} id
 */
export function hyphenated(id) {
  if (id.length !== 32) return id;
  return `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
}

/**
 * `value` with every id in it hyphenated, at any depth.
 * @param {any} value
 * @returns {any}
 */
function hyphenateIds(value) {
  if (Array.isArray(value)) return value.map(hyphenateIds);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, isId(key) && typeof item === "string" ? hyphenated(item) : hyphenateIds(item)]),
  );
}

/**
 * The full `data` of a compact record (null for a tombstone): fields this app does not
 * know are kept, fields it knows and the record leaves out are null, ids are hyphenated.
 * @param {Change} change
 * @returns {Record<string, any> | null}
 */
export function expand(change) {
  if (change.deleted || change.data == null) return null;
  /** @type {Record<string, any>} */
  const data = {};
  for (const field of /** @type {Record<string, readonly string[]>} */ (FIELDS)[change.type] ?? []) data[field] = null;
  if ("id" in data) data.id = change.id;
  const spaceField = /** @type {Record<string, string>} */ (SPACE_FIELDS)[change.type];
  if (spaceField) data[spaceField] = change.space;
  return hyphenateIds(Object.assign(data, change.data));
}

/**
 * The whole change record a protocol-1 pull carries for a compact one: hyphenated `id`
 * and `space`, `deleted` always, and `data` expanded.
 * @param {Change} change
 * @returns {Change}
 */
export function full(change) {
  return { ...change, id: hyphenated(change.id), space: hyphenated(change.space), deleted: Boolean(change.deleted), data: expand(change) };
}
