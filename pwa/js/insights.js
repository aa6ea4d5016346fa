// @ts-check
/**
 * Minutes played and stats, folded from matches' events, as sync_protocol/insights.py
 * decides them; golden/minutes.json and golden/stats.json hold both to the same answers.
 * Pure: pass a match's current events (a deleted event left out, an edited one as it is
 * now).
 *
 * Time is in whole minutes of match time: an event in period p happened
 * `minute - (p - 1) * period_minutes + stoppage` minutes into its period. A period that
 * has ended lasted until its half-time or full-time marker, added time included; the
 * period in play lasts until `now`.
 */

import { byMatchTime, foldMarkers, MARKERS, score } from "./rules.js";

/**
 * @typedef {{
 *   id: string, kind: string, side: string, period: number, minute: number, stoppage: number,
 *   player_id: string | null, replaced_player_id: string | null,
 *   assist_player_id?: string | null, recorded_at: string | null
 * }} LoggedEvent
 * @typedef {{
 *   id: string, periods: number, period_minutes: number, kickoff_at: string,
 *   lineup: { player_id: string, role: string }[], events: LoggedEvent[]
 * }} MatchLog
 * @typedef {{
 *   minutes: number, bench: number, started: boolean, appeared: boolean,
 *   on_pitch: boolean, by_period: number[]
 * }} PlayerMinutes
 * @typedef {import("./rules.js").MatchState} MatchState
 * @typedef {import("./rules.js").MatchTime} MatchTime
 * @typedef {{ status: MatchState["status"], period: number, periods: number[], played: number,
 *   players: Record<string, PlayerMinutes> }} Minutes
 */

/** @param {number} period @param {number} minute @param {number} stoppage @param {number} periodMinutes */
function offset(period, minute, stoppage, periodMinutes) {
  return Math.max(minute - (period - 1) * periodMinutes, 0) + stoppage;
}

/**
 * The state the markers reach, how long each period lasted, and whether the match kicked
 * off; markers that do not follow count for nothing.
 * @param {MatchLog} match @param {MatchTime | null} now
 */
function periodLengths(match, now) {
  const markers = match.events.filter((e) => MARKERS.has(e.kind));
  const folded = foldMarkers(markers, match.periods, 0);
  const refused = new Set(folded.refused);
  /** @type {Set<number>} */
  const started = new Set();
  /** @type {Map<number, number>} */
  const ended = new Map();
  for (const marker of markers) {
    if (refused.has(marker)) continue;
    if (marker.kind === "kick_off") started.add(marker.period);
    // A break then full time ends a period at the break.
    else if (marker.kind === "half_time" || !ended.has(marker.period)) {
      ended.set(marker.period, offset(marker.period, marker.minute, marker.stoppage, match.period_minutes));
    }
  }
  const lengths = new Array(match.periods).fill(0);
  for (const period of started) {
    const end = ended.get(period);
    if (end !== undefined) lengths[period - 1] = end;
    else if (now !== null) lengths[period - 1] = offset(period, now.minute, now.stoppage, match.period_minutes);
    else {
      // In play with no clock given: as far as the events logged in it go.
      let latest = 0;
      for (const e of match.events) {
        if (e.period === period) latest = Math.max(latest, offset(e.period, e.minute, e.stoppage, match.period_minutes));
      }
      lengths[period - 1] = latest;
    }
  }
  return { state: { status: folded.status, period: folded.period }, lengths, kickedOff: started.size > 0 };
}

/**
 * Minutes on the pitch and on the bench of every player in the lineup or named by one of
 * the team's substitutions or red cards (sync_protocol/insights.py `minutes_played`).
 * Starters are on at kick-off; the team's substitutions (replaced_player_id off, back to
 * the bench; player_id on) and red cards (off, not replaced) apply in timeline order. An
 * event timed past its period's end counts at the end. `now` is the match time of this
 * moment (`rules.minuteNow`); without it the period in play lasts as far as its latest
 * event.
 * @param {MatchLog} match @param {MatchTime | null} [now]
 * @returns {Minutes}
 */
export function minutesPlayed(match, now = null) {
  const { state, lengths, kickedOff } = periodLengths(match, now);
  const starters = new Set(match.lineup.filter((s) => s.role === "starting").map((s) => s.player_id));
  /** @type {Map<string, number[]>} */
  const byPeriod = new Map(match.lineup.map((s) => [s.player_id, new Array(match.periods).fill(0)]));
  const changes = match.events
    .filter(
      (e) => e.side === "team" && (e.kind === "substitution" || e.kind === "red_card") && e.period >= 1 && e.period <= match.periods,
    )
    .sort(byMatchTime);
  for (const change of changes) {
    for (const player of [change.player_id, change.replaced_player_id]) {
      if (player !== null && !byPeriod.has(player)) byPeriod.set(player, new Array(match.periods).fill(0));
    }
  }
  /** @type {Map<string, number>} */
  const sentOffMinutes = new Map([...byPeriod.keys()].map((player) => [player, 0]));
  let on = kickedOff ? new Set(starters) : new Set();
  const appeared = new Set(on);
  /** @type {Set<string>} */
  let sentOff = new Set();
  let next = 0;
  for (let period = 1; period <= match.periods; period++) {
    const length = lengths[period - 1];
    // When each player on the pitch (or sent off) came to be so, in this period.
    /** @type {Map<string, number>} */
    const onSince = new Map([...on].map((player) => [player, 0]));
    /** @type {Map<string, number>} */
    const offSince = new Map([...sentOff].map((player) => [player, 0]));
    let cursor = 0;
    for (; next < changes.length && changes[next].period === period; next++) {
      const event = changes[next];
      cursor = Math.min(Math.max(offset(event.period, event.minute, event.stoppage, match.period_minutes), cursor), length);
      const red = event.kind === "red_card";
      const coming = red ? null : event.player_id;
      const going = red ? event.player_id : event.replaced_player_id;
      if (going !== null && onSince.has(going)) {
        /** @type {number[]} */ (byPeriod.get(going))[period - 1] += cursor - /** @type {number} */ (onSince.get(going));
        onSince.delete(going);
      }
      if (going !== null && red && !offSince.has(going)) offSince.set(going, cursor);
      if (coming !== null && !onSince.has(coming)) {
        onSince.set(coming, cursor);
        appeared.add(coming);
        const since = offSince.get(coming);
        if (since !== undefined) {
          sentOffMinutes.set(coming, /** @type {number} */ (sentOffMinutes.get(coming)) + cursor - since);
          offSince.delete(coming);
        }
      }
    }
    for (const [player, since] of onSince) /** @type {number[]} */ (byPeriod.get(player))[period - 1] += length - since;
    for (const [player, since] of offSince) sentOffMinutes.set(player, /** @type {number} */ (sentOffMinutes.get(player)) + length - since);
    on = new Set(onSince.keys());
    sentOff = new Set(offSince.keys());
  }
  const played = lengths.reduce((sum, length) => sum + length, 0);
  /** @type {Record<string, PlayerMinutes>} */
  const players = {};
  for (const [player, periods] of byPeriod) {
    const minutes = periods.reduce((sum, m) => sum + m, 0);
    players[player] = {
      minutes,
      bench: played - minutes - /** @type {number} */ (sentOffMinutes.get(player)),
      started: kickedOff && starters.has(player),
      appeared: kickedOff && appeared.has(player),
      on_pitch: kickedOff && on.has(player),
      by_period: periods,
    };
  }
  return { ...state, periods: lengths, played, players };
}

/**
 * The kinds counted for the player an event of the team names, and the count's name
 * (sync_protocol/insights.py `COUNTED`). Assists are counted apart.
 */
export const COUNTED = /** @type {const} */ ({
  goal: "goals",
  key_pass: "key_passes",
  save: "saves",
  tackle: "tackles",
  interception: "interceptions",
  foul: "fouls",
  yellow_card: "yellow_cards",
  red_card: "red_cards",
  own_goal: "own_goals",
  shot_on_target: "shots_on_target",
  shot_off_target: "shots_off_target",
  corner: "corners",
});

/**
 * @typedef {{
 *   appearances: number, starts: number, minutes: number, assists: number,
 *   counts: Record<string, number>, available_matches: number, available_minutes: number,
 *   minutes_share: number | null, starts_share: number | null
 * }} PlayerStats
 * @typedef {{
 *   played: number, won: number, drawn: number, lost: number, goals_for: number,
 *   goals_against: number, clean_sheets: number, form: string[]
 * }} TeamStats
 */

/**
 * Who assisted each of the team's goals: the goal's assist_player_id, else an `assist`
 * event, unless a goal at the same match time already names its player.
 * @param {LoggedEvent[]} events
 */
function assists(events) {
  const named = events.filter((e) => e.kind === "goal" && e.side === "team" && e.assist_player_id);
  const key = (/** @type {LoggedEvent} */ e, /** @type {string | null | undefined} */ player) =>
    JSON.stringify([e.period, e.minute, e.stoppage, player]);
  const credited = new Set(named.map((e) => key(e, e.assist_player_id)));
  return [
    ...named.map((e) => /** @type {string} */ (e.assist_player_id)),
    ...events
      .filter((e) => e.kind === "assist" && e.side === "team" && e.player_id !== null && !credited.has(key(e, e.player_id)))
      .map((e) => /** @type {string} */ (e.player_id)),
  ];
}

/**
 * Player and team stats over `matches` (sync_protocol/insights.py `stats`): appearances
 * (started or came on), starts, minutes (a match in play counts as far as its latest
 * event), counts per COUNTED kind, assists; fairness as a share of the matches and minutes
 * each player was available for (in the lineup, or on the pitch); team results of finished
 * matches only, form newest first.
 * @param {Iterable<MatchLog>} matches
 * @returns {{ team: TeamStats, players: Record<string, PlayerStats> }}
 */
export function stats(matches) {
  /** @type {TeamStats} */
  const team = { played: 0, won: 0, drawn: 0, lost: 0, goals_for: 0, goals_against: 0, clean_sheets: 0, form: [] };
  /** @type {Record<string, PlayerStats>} */
  const players = {};
  /** @type {{ at: number, id: string, result: string }[]} */
  const results = [];
  const of = (/** @type {string} */ player) =>
    (players[player] ??= {
      appearances: 0,
      starts: 0,
      minutes: 0,
      assists: 0,
      counts: Object.fromEntries(Object.values(COUNTED).map((name) => [name, 0])),
      available_matches: 0,
      available_minutes: 0,
      minutes_share: null,
      starts_share: null,
    });
  for (const match of matches) {
    const minutes = minutesPlayed(match);
    const inLineup = new Set(match.lineup.map((s) => s.player_id));
    if (minutes.status !== "scheduled") {
      for (const [player, played] of Object.entries(minutes.players)) {
        if (!played.appeared && !inLineup.has(player)) continue;
        const line = of(player);
        line.appearances += played.appeared ? 1 : 0;
        line.starts += played.started ? 1 : 0;
        line.minutes += played.minutes;
        line.available_matches += 1;
        line.available_minutes += minutes.played;
      }
    }
    for (const event of match.events) {
      const name = /** @type {Record<string, string>} */ (COUNTED)[event.kind];
      if (name !== undefined && event.side === "team" && event.player_id !== null) of(event.player_id).counts[name] += 1;
    }
    for (const assister of assists(match.events)) of(assister).assists += 1;
    if (minutes.status === "finished") {
      const { team: goalsFor, opposition: goalsAgainst } = score(match.events);
      team.played += 1;
      team.goals_for += goalsFor;
      team.goals_against += goalsAgainst;
      if (goalsAgainst === 0) team.clean_sheets += 1;
      const result = goalsFor > goalsAgainst ? "W" : goalsFor < goalsAgainst ? "L" : "D";
      if (result === "W") team.won += 1;
      else if (result === "L") team.lost += 1;
      else team.drawn += 1;
      results.push({ at: Date.parse(match.kickoff_at), id: match.id, result });
    }
  }
  results.sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  team.form = results.slice(0, 5).map((r) => r.result);
  for (const line of Object.values(players)) {
    line.minutes_share = line.available_minutes ? line.minutes / line.available_minutes : null;
    line.starts_share = line.available_matches ? line.starts / line.available_matches : null;
  }
  return { team, players };
}
