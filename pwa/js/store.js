// @ts-check
/**
 * The coach's app state, in one place: what the phone holds (db.snapshot()) and the view
 * made from it, the syncer, and what the page keeps of the phone (wake lock, install
 * prompt, the open match's live channel). Screens read it and never keep state of their
 * own; after a change they call changed() (or refresh(), which reads the phone first), and
 * the page draws itself again.
 */

import * as db from "./db.js";
import * as m from "./mutations.js";
import * as rules from "./rules.js";
import { Syncer } from "./sync.js";

/**
 * @typedef {import("./mutations.js").View} View
 * @typedef {import("./mutations.js").Player} Player
 * @typedef {import("./mutations.js").Match} Match
 * @typedef {import("./rules.js").MatchEvent} MatchEvent
 * @typedef {Awaited<ReturnType<typeof db.snapshot>>} Snapshot
 */

export const syncer = new Syncer();

export const store = {
  /** @type {Snapshot} */
  snap: { records: [], outbox: [], outcomes: [], device: undefined, lastSyncedLocal: undefined },
  /** @type {View} */
  view: m.view([], []),
  /** Which screen is on show (route and signed in or not); "" draws the next one afresh,
   * without the form values of the one before. */
  drawnKey: "",
  /** @type {any} */
  wakeLock: null,
  /** The browser's deferred install prompt, while it offers one. @type {any} */
  installPrompt: null,
  /** The open match's live channel. @type {import("./live.js").LiveChannel | null} */
  channel: null,
  /** @type {(() => void)[]} */
  listeners: [],
};

/** Call `listener` after every change. @param {() => void} listener */
export function subscribe(listener) {
  store.listeners.push(listener);
}

/** Something in the store changed: draw again. */
export function changed() {
  for (const listener of store.listeners) listener();
}

/** Read what the phone holds again, then draw. */
export async function refresh() {
  store.snap = await db.snapshot();
  store.view = m.view(store.snap.records, store.snap.outbox);
  changed();
}

/**
 * Queue a command in the outbox, show it, and have the syncer send it. On return the
 * command is on disk and on screen.
 * @param {import("./mutations.js").Command} command
 */
export async function queue(command) {
  await db.enqueue(command.name, command.args);
  await refresh();
  syncer.kick();
  syncer.requestBackgroundSync();
}

// --- what the screens read ---------------------------------------------------------------

/** @param {string} matchId */
export function matchEvents(matchId) {
  return [...store.view.events.values()].filter((e) => e.match_id === matchId);
}

/** @param {Match} match */
export function matchState(match) {
  return rules.foldMarkers(matchEvents(match.id), match.periods);
}

/**
 * The code the server would refuse an event (not a clock marker) at `at` with, as far as
 * the phone can tell from what it holds (rules.checkEventTime), or null when it fits.
 * @param {Match} match @param {rules.MatchTime} at
 */
export function eventRefusal(match, at) {
  const events = matchEvents(match.id);
  const state = rules.foldMarkers(events, match.periods);
  const refused = new Set(state.refused);
  const whistle = events.filter((e) => e.kind === "full_time" && !refused.has(e)).sort(rules.byMatchTime).at(-1);
  return rules.checkEventTime(state, at, whistle ?? null);
}

/** @param {string} teamId */
export function teamPlayers(teamId) {
  return [...store.view.players.values()]
    .filter((p) => p.team_id === teamId)
    .sort((a, b) => (a.squad_number ?? 999) - (b.squad_number ?? 999) || a.display_name.localeCompare(b.display_name));
}

/** @param {Player | undefined} player */
export function playerName(player) {
  if (!player) return "";
  return player.squad_number === null ? player.display_name : `${player.squad_number} ${player.display_name}`;
}

/** What the phone shows for a player it no longer holds (deleted or erased). */
export const FORMER_PLAYER = "Former player";

/** Who an event names, as the timeline shows it ("" for our team, unnamed).
 * @param {Match} match @param {MatchEvent} e */
export function whoText(match, e) {
  if (e.side === "opposition") return match.opponent;
  const name = (/** @type {string | null} */ id) => {
    if (!id) return "";
    const player = store.view.players.get(id);
    return player ? playerName(player) : FORMER_PLAYER;
  };
  if (e.kind === "substitution") return `${name(e.player_id)} on for ${name(e.replaced_player_id)}`;
  return e.kind === "goal" && e.assist_player_id ? `${name(e.player_id)} (assist ${name(e.assist_player_id)})` : name(e.player_id);
}

/**
 * Who is on the pitch and on the bench now: the lineup, then every substitution and red
 * card in match order. Without a lineup, every player is available.
 * @param {Match} match
 */
export function squad(match) {
  const players = teamPlayers(match.team_id);
  const lineup = store.view.lineups.get(match.id);
  if (!lineup || lineup.length === 0) return { onPitch: players, bench: players };
  const on = new Set(lineup.filter((s) => s.role === "starting").map((s) => s.player_id));
  const bench = new Set(lineup.filter((s) => s.role === "bench").map((s) => s.player_id));
  for (const e of matchEvents(match.id).sort(rules.byMatchTime)) {
    if (e.side !== "team") continue;
    if (e.kind === "substitution" && e.player_id) {
      if (e.replaced_player_id) {
        on.delete(e.replaced_player_id);
        bench.add(e.replaced_player_id);
      }
      bench.delete(e.player_id);
      on.add(e.player_id);
    } else if (e.kind === "red_card" && e.player_id) {
      on.delete(e.player_id);
    }
  }
  // Anyone not on the pitch can come on; the named bench is offered first.
  const off = players.filter((p) => !on.has(p.id));
  return {
    onPitch: players.filter((p) => on.has(p.id)),
    bench: [...off.filter((p) => bench.has(p.id)), ...off.filter((p) => !bench.has(p.id))],
  };
}

/**
 * An event is "on phone" until the server's answer is on the phone: a request that was
 * sent may still have been lost.
 * @param {string} eventId
 */
export function eventStatus(eventId) {
  if (store.view.pending.has(eventId)) return "on phone";
  const refused = store.snap.outcomes.some((o) => m.eventIdOf(o) === eventId);
  return refused ? "conflict" : "confirmed";
}

/** The highest sequence number the phone holds of a match. @param {string} matchId */
export function heldSeq(matchId) {
  let seq = 0;
  for (const record of store.snap.records) if (record.space === matchId && record.seq > seq) seq = record.seq;
  return seq;
}
