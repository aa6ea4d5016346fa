// @ts-check
/**
 * The commands a phone queues (sync_protocol/messages.py: COMMANDS) and how each one
 * changes what the phone shows before the server has answered.
 *
 * The screen is always `view(replica, outbox)`: the server's records as last pulled, with
 * every queued mutation applied on top in queue order. When a sync drops acknowledged
 * entries and brings the server's records, the same function gives the server's state,
 * so the phone ends exactly where the server is, whatever the server decided.
 */

import { MATCH_DEFAULTS } from "./protocol.js";

/**
 * @typedef {import("./db.js").OutboxEntry} OutboxEntry
 * @typedef {import("./db.js").StoredRecord} StoredRecord
 * @typedef {import("./rules.js").MatchEvent} MatchEvent
 * @typedef {{ id: string, name: string, role: string }} Team
 * @typedef {{ id: string, team_id: string, squad_number: number | null, display_name: string, full_name: string | null }} Player
 * @typedef {{ id: string, team_id: string, opponent: string, is_home: boolean, kickoff_at: string,
 *   venue: string | null, competition: string | null, periods: number, period_minutes: number }} Match
 * @typedef {{ player_id: string, role: "starting" | "bench", position: string | null }} LineupSlot
 * @typedef {{ name: string, args: Record<string, any> }} Command
 * @typedef {{ teams: Map<string, Team>, players: Map<string, Player>, matches: Map<string, Match>,
 *   events: Map<string, MatchEvent>, lineups: Map<string, LineupSlot[]>,
 *   pending: Map<string, "queued" | "sent"> }} View
 */

/** A random UUID, made on the phone so an entity exists before the server has seen it. */
export function newId() {
  return crypto.randomUUID();
}

/**
 * @param {{ team_id: string, opponent: string, is_home: boolean, kickoff_at: string,
 *   periods: number, period_minutes: number, venue?: string | null, competition?: string | null }} fields
 * @returns {Command}
 */
export function createMatch(fields) {
  return { name: "create_match", args: { id: newId(), venue: null, competition: null, ...fields } };
}

/**
 * @param {{ match_id: string, kind: string, side: "team" | "opposition", period: number,
 *   minute: number, stoppage: number, player_id?: string | null, replaced_player_id?: string | null,
 *   assist_player_id?: string | null, note?: string | null }} fields
 * @returns {Command}
 */
export function addEvent(fields) {
  return {
    name: "add_event",
    args: {
      id: newId(),
      player_id: null,
      replaced_player_id: null,
      note: null,
      ...fields,
      recorded_at: new Date().toISOString(),
    },
  };
}

/**
 * Only the fields given change; null clears an optional field.
 * @param {string} eventId @param {Partial<Omit<MatchEvent, "id" | "match_id" | "recorded_at">>} changes
 * @returns {Command}
 */
export function editEvent(eventId, changes) {
  return { name: "edit_event", args: { event_id: eventId, changes } };
}

/** @param {string} eventId @returns {Command} */
export function deleteEvent(eventId) {
  return { name: "delete_event", args: { event_id: eventId } };
}

/** @param {string} matchId @param {LineupSlot[]} players @returns {Command} */
export function setLineup(matchId, players) {
  return { name: "set_lineup", args: { match_id: matchId, players } };
}

/**
 * @param {{ team_id: string, squad_number: number | null, display_name: string, full_name?: string | null }} fields
 * @returns {Command}
 */
export function addPlayer(fields) {
  return { name: "add_player", args: { id: newId(), full_name: null, ...fields } };
}

/**
 * Only the fields given change; null clears the venue or competition.
 * @param {string} matchId @param {Partial<Omit<Match, "id" | "team_id">>} changes
 * @returns {Command}
 */
export function updateMatch(matchId, changes) {
  return { name: "update_match", args: { match_id: matchId, ...changes } };
}

/**
 * Delete the player and overwrite their names on the server for good ("Former player",
 * the shirt number stays); every phone forgets them on its next sync.
 * @param {string} playerId @returns {Command}
 */
export function erasePlayer(playerId) {
  return { name: "delete_player", args: { player_id: playerId, erase: true } };
}

/** @param {string} matchId @returns {Command} */
export function deleteMatch(matchId) {
  return { name: "delete_match", args: { match_id: matchId } };
}

/** The id of the event an entry creates or targets, if it targets one. @param {Command} entry */
export function eventIdOf(entry) {
  if (entry.name === "add_event") return /** @type {string} */ (entry.args.id);
  if (entry.name === "edit_event" || entry.name === "delete_event") {
    return /** @type {string} */ (entry.args.event_id);
  }
  return null;
}

/**
 * What the phone shows: the replica with the queued mutations applied in order.
 * @param {StoredRecord[]} records @param {OutboxEntry[]} outbox
 * @returns {View}
 */
export function view(records, outbox) {
  /** @type {View} */
  const v = {
    teams: new Map(),
    players: new Map(),
    matches: new Map(),
    events: new Map(),
    lineups: new Map(),
    pending: new Map(),
  };
  for (const record of records) {
    const data = /** @type {any} */ (record.data);
    if (record.type === "team") v.teams.set(record.id, data);
    else if (record.type === "player") v.players.set(record.id, data);
    else if (record.type === "match") v.matches.set(record.id, data);
    else if (record.type === "event") v.events.set(record.id, data);
    else if (record.type === "lineup") v.lineups.set(record.id, data.players);
  }
  for (const entry of outbox) {
    apply(v, entry);
    const eventId = eventIdOf(entry);
    if (eventId) v.pending.set(eventId, entry.sent ? "sent" : "queued");
  }
  return v;
}

/** @param {View} v @param {Command} entry */
function apply(v, { name, args }) {
  switch (name) {
    case "create_match":
      if (!v.matches.has(args.id)) {
        v.matches.set(args.id, /** @type {Match} */ ({ ...MATCH_DEFAULTS, ...args }));
      }
      break;
    case "update_match": {
      const { match_id, ...fields } = args;
      merge(v.matches, match_id, fields);
      break;
    }
    case "delete_match":
      v.matches.delete(args.match_id);
      break;
    case "add_event":
      if (!v.events.has(args.id) && v.matches.has(args.match_id)) {
        v.events.set(args.id, /** @type {MatchEvent} */ ({ stoppage: 0, side: "team", ...args }));
      }
      break;
    case "edit_event":
      merge(v.events, args.event_id, args.changes);
      break;
    case "delete_event":
      v.events.delete(args.event_id);
      break;
    case "set_lineup":
      v.lineups.set(args.match_id, args.players);
      break;
    case "add_player":
      if (!v.players.has(args.id)) v.players.set(args.id, /** @type {Player} */ ({ squad_number: null, ...args }));
      break;
    case "update_player": {
      const { player_id, ...fields } = args;
      merge(v.players, player_id, fields);
      break;
    }
    case "delete_player":
      v.players.delete(args.player_id);
      break;
  }
}

/** Change the given fields of a record the view holds (none if it is gone).
 * @param {Map<string, any>} records @param {string} id @param {Record<string, any>} fields */
function merge(records, id, fields) {
  const record = records.get(id);
  if (record) records.set(id, { ...record, ...fields });
}
