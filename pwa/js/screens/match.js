// @ts-check
/**
 * The pitch-side screen of one match: score and clock, the clock's buttons and Undo, the
 * log grid (locked after full-time), what the server refused, and the timeline.
 */

import * as db from "../db.js";
import { h } from "../dom.js";
import * as m from "../mutations.js";
import { refusalText } from "../refusals.js";
import * as rules from "../rules.js";
import { eventStatus, matchEvents, queue, refresh, store, whoText } from "../store.js";
import { toast } from "../toast.js";
import { editEvent } from "./edit-event.js";
import { lastMarker, logGrid, logMarker } from "./logging.js";
import { backButton, go, missing } from "./nav.js";
import { shareMatch } from "./share.js";

/**
 * @typedef {import("../mutations.js").Match} Match
 * @typedef {import("../rules.js").MatchEvent} MatchEvent
 */

/** @param {string} matchId */
export function matchScreen(matchId) {
  const match = store.view.matches.get(matchId);
  if (!match) return missing("match");
  const team = store.view.teams.get(match.team_id);
  const events = matchEvents(matchId).sort(rules.byMatchTime);
  const state = rules.foldMarkers(events, match.periods);
  const goals = rules.score(events);
  const teamName = team?.name ?? "Us";
  const [home, away] = match.is_home ? [teamName, match.opponent] : [match.opponent, teamName];
  const [homeGoals, awayGoals] = match.is_home ? [goals.team, goals.opposition] : [goals.opposition, goals.team];
  const undoable = events.filter((e) => !rules.MARKERS.has(e.kind) || e === lastMarker(events));
  const last = undoable.sort((a, b) => (a.recorded_at ?? "").localeCompare(b.recorded_at ?? "")).at(-1);
  const refused = store.snap.outcomes.filter((o) => outcomeMatch(o) === matchId);
  // A member of the team (read-only) follows the match; logging controls are not shown.
  const readOnly = team?.role === "member";

  return h(
    "section",
    { class: "screen match", "data-status": state.status },
    h(
      "div",
      { class: "topline" },
      backButton("#/", "Teams"),
      h("button", { class: "secondary small", onclick: () => go(`#/lineup/${matchId}`) }, "Lineup"),
      h("button", { class: "secondary small", onclick: () => go(`#/minutes/${matchId}`) }, "Minutes"),
      !readOnly && h("button", { class: "secondary small", onclick: () => shareMatch(match, teamName, state.status === "finished") }, "Share"),
    ),
    h(
      "header",
      { class: "scoreboard", "aria-label": "Score" },
      h("h1", { class: "teams" }, h("span", { class: "home" }, home), h("span", { class: "sr-only" }, " v "), h("span", { class: "away" }, away)),
      h(
        "div",
        { class: "score", id: "score", "aria-live": "polite" },
        h("span", { "data-side": "home" }, homeGoals),
        h("span", { class: "dash" }, "–"),
        h("span", { "data-side": "away" }, awayGoals),
      ),
      h(
        "div",
        { class: "clock-line" },
        h("span", { class: "period", id: "period" }, rules.periodLabel(state, match.periods)),
        h("span", { class: "clock", id: "clock", role: "timer" }, clockText(match, state)),
      ),
    ),
    readOnly && h("p", { class: "lead read-only" }, "You can follow this match but not log it: ask the team's owner to make you a coach."),
    !readOnly && h("div", { class: "row controls" }, clockButtons(match, state), last && state.status !== "finished" && h(
      "button",
      { class: "secondary undo", onclick: () => queue(m.deleteEvent(last.id)), "aria-label": `Undo ${rules.kindLabel(last.kind)} ${rules.minuteLabel(last)}` },
      `Undo ${rules.kindLabel(last.kind)}`,
    )),
    !readOnly && (state.status === "finished" ? lockedGrid(events) : logGrid(match)),
    refused.length > 0 && h(
      "section",
      { class: "refused", role: "alert" },
      h("h2", null, "Not saved"),
      refused.map((o) =>
        h(
          "div",
          { class: "refused-item" },
          h("p", null, h("strong", null, describeCommand(o)), ` — ${refusalText(o, state.status)}`),
          h("button", { class: "secondary small", onclick: async () => { await db.dismissOutcome(o.id); await refresh(); } }, "Dismiss"),
        ),
      ),
    ),
    h("h2", { class: "timeline-title" }, "Timeline"),
    h(
      "ol",
      { class: "timeline", reversed: true },
      [...events].reverse().map((e) => timelineItem(match, e, readOnly)),
    ),
    events.length === 0 && h("p", { class: "lead" }, "Nothing logged yet. Tap Kick-off when the whistle goes."),
  );
}

/** The match clock as the screen shows it, now.
 * @param {Match} match @param {ReturnType<typeof rules.foldMarkers>} state */
export function clockText(match, state) {
  return rules.clockDisplay(rules.clockSeconds(state, state.periodStartedAt, Date.now(), match.period_minutes));
}

/**
 * After full-time nothing more can be logged until the coach reopens the match, which
 * removes the full-time marker (the same undo the server allows for the latest marker).
 * @param {MatchEvent[]} events
 */
function lockedGrid(events) {
  const whistle = lastMarker(events);
  return h(
    "section",
    { class: "locked card" },
    h("p", null, "Full-time: logging is closed. Edit an event from the timeline, or reopen the match to log more."),
    whistle && h("button", { class: "secondary", onclick: async () => {
      await queue(m.deleteEvent(whistle.id));
      toast("Match reopened");
    } }, "Reopen match"),
  );
}

/** @param {import("../db.js").Outcome} outcome */
function outcomeMatch(outcome) {
  if (outcome.args.match_id) return outcome.args.match_id;
  const eventId = m.eventIdOf(outcome);
  return eventId ? store.view.events.get(eventId)?.match_id : undefined;
}

/** @param {import("../db.js").Outcome} outcome */
function describeCommand(outcome) {
  if (outcome.name === "add_event") return `${rules.kindLabel(outcome.args.kind)} ${rules.minuteLabel(/** @type {MatchEvent} */ (outcome.args))}`;
  return outcome.name.replace("_", " ");
}

/** @param {Match} match @param {MatchEvent} e @param {boolean} readOnly */
function timelineItem(match, e, readOnly) {
  const status = eventStatus(e.id);
  const isMarker = rules.MARKERS.has(e.kind);
  const who = whoText(match, e);
  // The button is named by its visible text (the spaces keep the words apart).
  return h(
    "li",
    { class: `event ${isMarker ? "marker" : ""} kind-${e.kind}`, "data-event-id": e.id, "data-status": status },
    h(
      "button",
      { class: "event-button", onclick: () => editEvent(match, e), disabled: readOnly },
      h("span", { class: "minute" }, rules.minuteLabel(e)),
      " ",
      h("span", { class: "what" }, h("strong", null, rules.kindLabel(e.kind)), who ? ` ${who}` : ""),
      " ",
      h("span", { class: `badge ${status.replace(" ", "-")}` }, status === "confirmed" && h("span", { "aria-hidden": "true" }, "✓ "), status),
    ),
  );
}

/** @param {Match} match @param {ReturnType<typeof rules.foldMarkers>} state */
function clockButtons(match, state) {
  const marker = (/** @type {string} */ kind, /** @type {string} */ label, cls = "primary clock-button") =>
    h("button", { class: cls, onclick: () => logMarker(match, kind) }, label);
  if (state.status === "scheduled") return marker("kick_off", "Kick-off");
  if (state.status === "live") {
    // Full-time is offered only where it is expected: a mis-tap must not end a match.
    return state.period < match.periods
      ? marker("half_time", match.periods === 2 ? "Half-time" : "End of period")
      : marker("full_time", "Full-time");
  }
  if (state.status === "interval") {
    return [marker("kick_off", state.period + 1 === 2 && match.periods === 2 ? "Start 2nd half" : `Start period ${state.period + 1}`), marker("full_time", "Full-time", "secondary small")];
  }
  return h("p", { class: "finished" }, "Full-time");
}
