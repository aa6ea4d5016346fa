// @ts-check
/**
 * The story of a match as the watch page tells it: the goals in match order with the side
 * each counts for and the score just after it, who scored for each side, and the score at
 * each break. Pure: live events in, story out. Scores are counted as rules.score counts
 * them (an own goal for the other side); the page decides how names are shown.
 */

/**
 * @typedef {import("./rules.js").MatchEvent} MatchEvent
 * @typedef {"team" | "opposition"} Side
 * @typedef {{ team: number, opposition: number }} Score
 * @typedef {{ event: MatchEvent, side: Side, score: Score }} Goal
 * @typedef {{ side: Side, player_id: string | null, own_goal: boolean, goals: MatchEvent[] }} Scorer
 */

import { byMatchTime, countsFor } from "./rules.js";

/**
 * Every goal (own goals included) in match order, each with the score just after it.
 * @param {Iterable<MatchEvent>} events
 * @returns {Goal[]}
 */
export function goals(events) {
  const score = { team: 0, opposition: 0 };
  /** @type {Goal[]} */
  const told = [];
  for (const event of [...events].sort(byMatchTime)) {
    const side = countsFor(event);
    if (side === null) continue;
    score[side] += 1;
    told.push({ event, side, score: { ...score } });
  }
  return told;
}

/**
 * Who scored for each side, in the order they first scored: one entry per player of ours
 * (with all their goals), one for our goals logged without a name, one for the
 * opposition's own scorers (never named), and one per side for own goals (never named:
 * an own goal is a child's bad moment, not a headline).
 * @param {Goal[]} told what goals() answered
 * @returns {Scorer[]}
 */
export function scorers(told) {
  /** @type {Map<string, Scorer>} */
  const entries = new Map();
  for (const { event, side } of told) {
    const ownGoal = event.kind === "own_goal";
    const named = side === "team" && !ownGoal ? event.player_id : null;
    const key = `${side}:${ownGoal ? "own" : named ?? "-"}`;
    const entry = entries.get(key) ?? { side, player_id: named, own_goal: ownGoal, goals: [] };
    entry.goals.push(event);
    entries.set(key, entry);
  }
  return [...entries.values()];
}

/**
 * The score at each break: for every period that has ended (a half_time or full_time
 * marker among the events), the goals of that period and the ones before it.
 * @param {Iterable<MatchEvent>} events
 * @returns {Map<number, Score>} period -> score when it ended
 */
export function breakScores(events) {
  const list = [...events];
  /** @type {Map<number, Score>} */
  const scores = new Map();
  for (const marker of list) {
    if (marker.kind !== "half_time" && marker.kind !== "full_time") continue;
    const score = { team: 0, opposition: 0 };
    for (const event of list) {
      const side = countsFor(event);
      if (side !== null && event.period <= marker.period) score[side] += 1;
    }
    scores.set(marker.period, score);
  }
  return scores;
}
