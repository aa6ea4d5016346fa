// @ts-check
/**
 * The rules of a match, as sync_protocol/match.py states them: the period state machine,
 * which events a match takes, the score, the clock and the timeline order. Both pages
 * compute what they show from events with these functions, so a phone, a viewer and the
 * server agree on the same events; the cases in sync_protocol/golden/ hold this file and
 * the Python to one answer.
 */

import { KIND_LABELS, MAX_MINUTE, MAX_STOPPAGE, PERIOD_MARKERS } from "./protocol.js";

/**
 * @typedef {{
 *   id: string, match_id: string, kind: string, side: "team" | "opposition",
 *   period: number, minute: number, stoppage: number, player_id: string | null,
 *   replaced_player_id: string | null, note: string | null, recorded_at: string | null,
 *   assist_player_id?: string | null
 * }} MatchEvent
 * @typedef {"scheduled" | "live" | "interval" | "finished"} Status
 * @typedef {{ status: Status, period: number }} MatchState
 */

export const MARKERS = new Set(PERIOD_MARKERS);

// Labels per kind, from sync_protocol/match.py by way of the generated protocol.js.
export { KIND_LABELS };

/** @param {string} kind */
export function kindLabel(kind) {
  return /** @type {Record<string, string>} */ (KIND_LABELS)[kind] ?? kind;
}

export class TransitionRefused extends Error {}

/**
 * The state after a period marker; throws TransitionRefused where the server would
 * answer with a conflict (transition_refused).
 * @param {MatchState} state @param {string} kind @param {number} period @param {number} periods
 * @returns {MatchState}
 */
export function applyMarker(state, kind, period, periods) {
  if (kind === "kick_off") {
    if (state.status === "scheduled" && period === 1) return { status: "live", period: 1 };
    if (state.status === "interval" && period === state.period + 1 && period <= periods) {
      return { status: "live", period };
    }
  } else if (kind === "half_time") {
    if (state.status === "live" && period === state.period) return { status: "interval", period };
  } else if (kind === "full_time") {
    if ((state.status === "live" || state.status === "interval") && period === state.period) {
      return { status: "finished", period };
    }
  } else {
    throw new Error(`${kind} is not a period marker`);
  }
  throw new TransitionRefused(`${kindLabel(kind)} does not follow: match is ${state.status}`);
}

const MARKER_ORDER = { kick_off: 0, half_time: 1, full_time: 2 };

/**
 * The match state and the start of the period in play, folded from marker events as
 * sync_protocol/match.py `settle_markers` does: in match order (period, then kick-off
 * before half-time before full-time; the only order in which accepted markers are valid),
 * a marker that does not follow is refused and leaves the state as it was. A queued marker
 * in `refused` is one the server will refuse. The period started at its kick-off's
 * `recorded_at`, unless that is later than `now` (see `kickOffInstant`).
 * @template {{ kind: string, period: number, recorded_at: string | null }} E
 * @param {Iterable<E>} events @param {number} periods @param {number} [now] milliseconds since the epoch
 * @returns {MatchState & { periodStartedAt: string | null, refused: E[] }}
 */
export function foldMarkers(events, periods, now = Date.now()) {
  const markers = [...events]
    .filter((e) => MARKERS.has(e.kind))
    .sort(
      (a, b) =>
        a.period - b.period ||
        MARKER_ORDER[/** @type {keyof typeof MARKER_ORDER} */ (a.kind)] -
          MARKER_ORDER[/** @type {keyof typeof MARKER_ORDER} */ (b.kind)],
    );
  /** @type {MatchState} */
  let state = { status: "scheduled", period: 0 };
  /** @type {string | null} */
  let periodStartedAt = null;
  /** @type {E[]} */
  const refused = [];
  for (const marker of markers) {
    try {
      state = applyMarker(state, marker.kind, marker.period, periods);
      if (marker.kind === "kick_off") periodStartedAt = kickOffInstant(marker.recorded_at, now);
    } catch (error) {
      if (!(error instanceof TransitionRefused)) throw error;
      refused.push(marker);
    }
  }
  return { ...state, periodStartedAt, refused };
}

/**
 * When a period started (sync_protocol/match.py `kick_off_instant`): the phone's
 * `recordedAt` unless it is missing or later than `receivedAt`, since a phone whose clock
 * runs ahead must not hold the match clock at zero.
 * @param {string | null} recordedAt @param {number} receivedAt milliseconds since the epoch
 * @returns {string}
 */
export function kickOffInstant(recordedAt, receivedAt) {
  return recordedAt !== null && Date.parse(recordedAt) <= receivedAt ? recordedAt : new Date(receivedAt).toISOString();
}

/**
 * @typedef {{ period: number, minute: number, stoppage: number }} MatchTime
 * @typedef {"match_not_started" | "match_finished"} EventRefusal
 */

/**
 * Whether an event (not a period marker) at match time `at` fits the match, as
 * sync_protocol/match.py `check_event_time` decides: null when it does, else the code the
 * server refuses it with. Nothing before kick-off; in play and at a break anything; once
 * finished, only a time not after `fullTime` (the full-time marker's time), so a phone
 * that logged while the match was still on for it loses nothing.
 * @param {MatchState} state @param {MatchTime} at @param {MatchTime | null} fullTime
 * @returns {EventRefusal | null}
 */
export function checkEventTime(state, at, fullTime) {
  if (state.status === "scheduled") return "match_not_started";
  if (state.status === "finished" && (fullTime === null || compareMatchTime(at, fullTime) > 0)) return "match_finished";
  return null;
}

/**
 * @typedef {"assist_not_our_goal" | "assist_by_scorer"} AssistRefusal
 */

/**
 * Whether an event may name `assistId` as its assisting player, as sync_protocol/match.py
 * `check_assist` decides: null when it may (naming none always may), else the code the
 * server refuses it with. Only a goal of ours has an assist, never by its own scorer.
 * @param {string} kind @param {string} side @param {string | null} playerId
 * @param {string | null} assistId
 * @returns {AssistRefusal | null}
 */
export function checkAssist(kind, side, playerId, assistId) {
  if (assistId === null) return null;
  if (kind !== "goal" || side !== "team") return "assist_not_our_goal";
  if (assistId === playerId) return "assist_by_scorer";
  return null;
}

/**
 * Match times in the order the match is played: period, then minute, then stoppage.
 * @param {MatchTime} a @param {MatchTime} b
 */
export function compareMatchTime(a, b) {
  return a.period - b.period || a.minute - b.minute || a.stoppage - b.stoppage;
}

/** @param {string | null} recordedAt */
const recordedMs = (recordedAt) => (recordedAt === null ? -Infinity : Date.parse(recordedAt));

/**
 * Timeline order, earliest first (sync_protocol/match.py `timeline_key`): match time,
 * then when the phone recorded it (to the millisecond; none first), then the id, so the
 * coach and the family list the same events in the same order.
 * @param {{ id: string, period: number, minute: number, stoppage: number, recorded_at: string | null }} a
 * @param {{ id: string, period: number, minute: number, stoppage: number, recorded_at: string | null }} b
 */
export function byMatchTime(a, b) {
  const recorded = recordedMs(a.recorded_at) - recordedMs(b.recorded_at);
  return (
    a.period - b.period ||
    a.minute - b.minute ||
    a.stoppage - b.stoppage ||
    (Number.isNaN(recorded) ? 0 : recorded) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/**
 * Goals for each side: a goal counts for its side, an own goal for the other side.
 * @param {Iterable<{kind: string, side: string}>} events
 */
export function score(events) {
  const goals = { team: 0, opposition: 0 };
  for (const event of events) {
    const side = countsFor(event);
    if (side !== null) goals[side] += 1;
  }
  return goals;
}

/**
 * The side a goal counts for (an own goal for the other side), or null for any other event.
 * @param {{ kind: string, side: string }} event
 * @returns {"team" | "opposition" | null}
 */
export function countsFor(event) {
  if (event.kind === "goal") return event.side === "team" ? "team" : "opposition";
  if (event.kind === "own_goal") return event.side === "team" ? "opposition" : "team";
  return null;
}

/**
 * Seconds on the match clock: full periods already played plus time in this one.
 * Between periods and after full time it stands at the end of the last period.
 * @param {MatchState} state @param {string | null} periodStartedAt
 * @param {number} now milliseconds since the epoch @param {number} periodMinutes
 */
export function clockSeconds(state, periodStartedAt, now, periodMinutes) {
  const played = Math.max(state.period - 1, 0) * periodMinutes * 60;
  if (state.status === "live" && periodStartedAt) {
    return played + Math.max(Math.floor((now - Date.parse(periodStartedAt)) / 1000), 0);
  }
  if (state.status === "interval" || state.status === "finished") {
    return state.period * periodMinutes * 60;
  }
  return 0;
}

/** @param {number} seconds */
export function clockDisplay(seconds) {
  const minutes = Math.floor(seconds / 60);
  return `${String(minutes).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
}

/**
 * The minute (and stoppage minutes) to record for something that happens now: the
 * minute being played, counted from 1, with time past the period's end as stoppage.
 * @param {MatchState} state @param {string | null} periodStartedAt
 * @param {number} now @param {number} periodMinutes
 */
export function minuteNow(state, periodStartedAt, now, periodMinutes) {
  const period = Math.max(state.period, 1);
  const before = (period - 1) * periodMinutes;
  if (state.status !== "live" || !periodStartedAt) {
    return { period, minute: Math.min(before + (state.status === "scheduled" ? 0 : periodMinutes), MAX_MINUTE), stoppage: 0 };
  }
  const inPeriod = Math.floor(Math.max(now - Date.parse(periodStartedAt), 0) / 60000) + 1;
  const stoppage = Math.min(Math.max(inPeriod - periodMinutes, 0), MAX_STOPPAGE);
  return { period, minute: Math.min(before + Math.min(inPeriod, periodMinutes), MAX_MINUTE), stoppage };
}

/**
 * The match time to log an event of `kind` at, now: `minuteNow`, except that a
 * substitution made at a break is timed at the next period's kick-off (that period, its
 * first minute), as SPEC.md "Minutes played and stats" says: timed at the ended period's
 * last minute it would count from there, before that period's added time. After the last
 * period there is no next one, and the ended period's last minute stands.
 * @param {string} kind @param {MatchState} state @param {string | null} periodStartedAt
 * @param {number} now @param {{ periods: number, period_minutes: number }} format
 * @returns {MatchTime}
 */
export function eventTimeNow(kind, state, periodStartedAt, now, format) {
  if (kind === "substitution" && state.status === "interval" && state.period < format.periods) {
    return { period: state.period + 1, minute: Math.min(state.period * format.period_minutes, MAX_MINUTE), stoppage: 0 };
  }
  return minuteNow(state, periodStartedAt, now, format.period_minutes);
}

/** @param {MatchState} state @param {number} periods */
export function periodLabel(state, periods) {
  if (state.status === "scheduled") return "Not started";
  if (state.status === "finished") return "Full-time";
  const name =
    periods === 2 ? ["1st half", "2nd half"][state.period - 1] : `Period ${state.period}`;
  if (state.status === "interval") return periods === 2 ? "Half-time" : `Break after ${name}`;
  return name ?? `Period ${state.period}`;
}

/** @param {{minute: number, stoppage: number}} event */
export function minuteLabel(event) {
  return event.stoppage ? `${event.minute}+${event.stoppage}'` : `${event.minute}'`;
}

const REPAIR_TYPE_RANK = /** @type {Record<string, number>} */ ({ player: 0, match: 1, lineup: 2, event: 3 });
// Within a period: its kick-off, then its events, then its break or full time.
const REPAIR_EVENT_RANK = /** @type {Record<string, number>} */ ({ kick_off: 0, half_time: 2, full_time: 3 });

/**
 * Sort key of a record the repair step offers (sync_protocol/repair.py `repair_order`):
 * live records first, players, matches, lineups, then each match's events in match
 * order; then tombstones, events first and latest first, players last.
 * @param {{ type: string, deleted?: boolean, data: Record<string, any> | null }} record
 * @returns {[number, number, number[], string]}
 */
export function repairOrder(record) {
  const data = record.data ?? {};
  const number = (/** @type {any} */ value) => (Number.isInteger(value) ? value : 0);
  const when =
    record.type === "event"
      ? [number(data.period), REPAIR_EVENT_RANK[data.kind] ?? 1, number(data.minute), number(data.stoppage)]
      : [];
  const space = String(data.match_id ?? "");
  const typeRank = REPAIR_TYPE_RANK[record.type] ?? 4;
  if (record.deleted) return [1, -typeRank, when.map((part) => -part), space];
  return [0, typeRank, when, space];
}

/**
 * Compare two repair sort keys as Python compares tuples.
 * @param {[number, number, number[], string]} a @param {[number, number, number[], string]} b
 */
export function compareRepairOrder(a, b) {
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] - b[1];
  for (let i = 0; i < Math.min(a[2].length, b[2].length); i++) if (a[2][i] !== b[2][i]) return a[2][i] - b[2][i];
  if (a[2].length !== b[2].length) return a[2].length - b[2].length;
  return a[3] < b[3] ? -1 : a[3] > b[3] ? 1 : 0;
}
