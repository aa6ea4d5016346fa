// @ts-check
/**
 * Minutes played in one match, to plan the next change at a glance: the squad, least
 * played first, with bench time, who is on the pitch now and who started. Computed on the
 * phone (insights.minutesPlayed, up to the minute being played now) from the events it
 * holds, pulled and queued alike, as the timeline shows them: no network. coach.js draws it
 * again every MINUTES_REDRAW_MS, so the minutes follow the clock.
 */

import { h } from "../dom.js";
import * as insights from "../insights.js";
import * as rules from "../rules.js";
import { FORMER_PLAYER, matchEvents, matchState, playerName, store, teamPlayers } from "../store.js";
import { clockText } from "./match.js";
import { backButton, go, missing } from "./nav.js";

/** How often the screen is drawn again while it is on show. */
export const MINUTES_REDRAW_MS = 15_000;

/** @param {string} matchId */
export function minutesScreen(matchId) {
  const match = store.view.matches.get(matchId);
  if (!match) return missing("match");
  const state = matchState(match);
  const lineup = store.view.lineups.get(matchId) ?? [];
  const now = rules.minuteNow(state, state.periodStartedAt, Date.now(), match.period_minutes);
  const minutes = insights.minutesPlayed({ ...match, lineup, events: matchEvents(matchId) }, now);
  // Ties keep the squad's order (by number), so a row does not jump about as the clock runs.
  const squadOrder = teamPlayers(match.team_id).map((p) => p.id);
  const place = (/** @type {string} */ id) => (squadOrder.includes(id) ? squadOrder.indexOf(id) : squadOrder.length);
  const rows = Object.entries(minutes.players).sort(([a, x], [b, y]) => x.minutes - y.minutes || place(a) - place(b));

  return h(
    "section",
    { class: "screen minutes", "data-status": state.status },
    h("div", { class: "topline" }, backButton(`#/match/${matchId}`, "Match")),
    h("h1", null, `Minutes vs ${match.opponent}`),
    h(
      "p",
      { class: "clock-line" },
      h("span", { class: "period" }, rules.periodLabel(state, match.periods)),
      " ",
      h("span", { class: "clock", id: "clock", role: "timer" }, clockText(match, state)),
      " · ",
      h("span", { class: "played" }, `played ${minutes.played}'`),
    ),
    lineup.length === 0
      ? h(
          "div",
          { class: "card" },
          h("p", null, "Minutes are counted from the lineup: who starts and who is on the bench."),
          h("button", { class: "primary", onclick: () => go(`#/lineup/${matchId}`) }, "Set the lineup"),
        )
      : h(
          "table",
          { class: "minutes-table" },
          h("caption", { class: "sr-only" }, "Minutes played, least first"),
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              h("th", { scope: "col" }, "Player"),
              h("th", { scope: "col" }, "On"),
              h("th", { scope: "col" }, "Bench"),
              h("th", { scope: "col" }, "Now"),
              h("th", { scope: "col" }, "Started"),
            ),
          ),
          h("tbody", null, rows.map(([playerId, played]) => row(playerId, played, minutes.played))),
        ),
    state.status === "scheduled" && lineup.length > 0 && h("p", { class: "lead" }, "Minutes start at kick-off."),
  );
}

/**
 * @param {string} playerId @param {insights.PlayerMinutes} played
 * @param {number} matchPlayed the minutes the team has played
 */
function row(playerId, played, matchPlayed) {
  const player = store.view.players.get(playerId);
  // Time neither on the pitch nor on the bench is time sent off.
  const sentOff = !played.on_pitch && played.minutes + played.bench < matchPlayed;
  return h(
    "tr",
    { "data-player-id": playerId, class: played.on_pitch ? "on-pitch" : null },
    h("th", { scope: "row" }, player ? playerName(player) : FORMER_PLAYER),
    h("td", { class: "on" }, `${played.minutes}'`),
    h("td", { class: "bench" }, `${played.bench}'`),
    h("td", { class: "now" }, played.on_pitch ? h("span", { class: "pill" }, "On pitch") : sentOff ? "Sent off" : ""),
    h("td", { class: "started" }, played.started ? "Yes" : ""),
  );
}
