// @ts-check
/**
 * Scheduling a match, now or weeks ahead: opponent, home or away, kick-off date and time,
 * venue, competition (blank for a friendly) and format. The same form edits a match that
 * has not kicked off, and cancels it. Both are queued like any tap: they work with no
 * signal, and the team's calendar feed follows once they sync.
 */

import { h } from "../dom.js";
import * as m from "../mutations.js";
import { askForPersistentStorage } from "../phone.js";
import { MAX_NAME_LENGTH, MAX_PERIOD_MINUTES, MAX_PERIODS, MAX_TEXT_LENGTH } from "../protocol.js";
import { matchState, queue, store } from "../store.js";
import { backButton, go, missing } from "./nav.js";
import { closeButton, openSheet, sheet } from "./sheet.js";

/** Formats as [periods, minutes each]: the usual adult, youth and small-sided games. */
export const FORMATS = [
  [2, 45],
  [2, 40],
  [2, 30],
  [2, 25],
  [4, 12],
  [3, 20],
];
const CUSTOM = "custom";
// A match due within this long opens on its line-up; one further ahead goes to the list.
const SOON_MS = 60 * 60 * 1000;

/**
 * The local date and time of an instant, as a datetime-local input writes it.
 * @param {Date} instant
 */
export function localInputValue(instant) {
  const local = new Date(instant.getTime() - instant.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** @param {number} periods @param {number} minutes */
function formatValue(periods, minutes) {
  return FORMATS.some(([p, mins]) => p === periods && mins === minutes) ? `${periods}x${minutes}` : CUSTOM;
}

/**
 * The match's fields as the form holds them.
 * @param {FormData} data
 */
function fieldsOf(data) {
  const format = String(data.get("format"));
  const [periods, minutes] = format === CUSTOM ? [Number(data.get("periods")), Number(data.get("period_minutes"))] : format.split("x").map(Number);
  const text = (/** @type {string} */ name) => String(data.get(name) ?? "").trim() || null;
  return {
    opponent: String(data.get("opponent") ?? "").trim(),
    is_home: data.get("venue_side") !== "away",
    kickoff_at: new Date(String(data.get("kickoff"))).toISOString(),
    venue: text("venue"),
    competition: text("competition"),
    periods,
    period_minutes: minutes,
  };
}

/**
 * Whether a field keeps its value; a kick-off is the same to the minute the form shows.
 * @param {string} key @param {any} before @param {any} after
 */
function same(key, before, after) {
  if (key !== "kickoff_at") return before === after;
  return Math.floor(Date.parse(before) / 60_000) === Math.floor(Date.parse(after) / 60_000);
}

/** @param {string} teamId */
export function newMatchScreen(teamId) {
  const team = store.view.teams.get(teamId);
  if (!team) return missing("team");
  /** @param {SubmitEvent} event */
  const create = async (event) => {
    event.preventDefault();
    const command = m.createMatch({ team_id: teamId, ...fieldsOf(new FormData(/** @type {HTMLFormElement} */ (event.target))) });
    await queue(command);
    askForPersistentStorage();
    const soon = Date.parse(command.args.kickoff_at) - Date.now() < SOON_MS;
    go(soon ? `#/lineup/${command.args.id}` : "#/");
  };
  return h(
    "section",
    { class: "screen" },
    backButton("#/", "Teams"),
    h("h1", null, `New match for ${team.name}`),
    matchForm(create, undefined, "Create match"),
  );
}

/** @param {string} matchId */
export function editMatchScreen(matchId) {
  const match = store.view.matches.get(matchId);
  if (!match) return missing("match");
  if (matchState(match).status !== "scheduled") return h("section", { class: "screen" }, backButton("#/", "Teams"), h("p", { class: "lead" }, "This match has kicked off: its details are changed from the match screen."));
  /** @param {SubmitEvent} event */
  const save = async (event) => {
    event.preventDefault();
    const fields = fieldsOf(new FormData(/** @type {HTMLFormElement} */ (event.target)));
    /** @type {Record<string, any>} */
    const changes = Object.fromEntries(Object.entries(fields).filter(([key, value]) => !same(key, /** @type {any} */ (match)[key], value)));
    if (Object.keys(changes).length > 0) await queue(m.updateMatch(matchId, changes));
    go("#/");
  };
  return h(
    "section",
    { class: "screen" },
    backButton("#/", "Teams"),
    h("h1", null, `${match.is_home ? "vs" : "at"} ${match.opponent}`),
    matchForm(save, match, "Save changes"),
    h("button", { class: "secondary danger", type: "button", onclick: () => confirmCancel(match) }, "Cancel match"),
  );
}

/** @param {import("../mutations.js").Match} match */
function confirmCancel(match) {
  openSheet(
    h("h2", { id: "sheet-title" }, "Cancel this match?"),
    h("p", null, `The match against ${match.opponent} is removed from the app, and families' calendars show it as cancelled.`),
    h(
      "button",
      {
        class: "primary danger",
        onclick: async () => {
          sheet.close();
          await queue(m.deleteMatch(match.id));
          go("#/");
        },
      },
      "Cancel the match",
    ),
    closeButton("Keep it"),
  );
}

/**
 * @param {(event: SubmitEvent) => void} onsubmit
 * @param {import("../mutations.js").Match | undefined} match the match to edit, or none
 * @param {string} label
 */
function matchForm(onsubmit, match, label) {
  const periods = match?.periods ?? 2;
  const minutes = match?.period_minutes ?? 25;
  const format = formatValue(periods, minutes);
  // Shown by app.css while "Custom…" is chosen, so a redraw that keeps the choice keeps it.
  const custom = h(
    "div",
    { class: "row custom-format" },
    h("label", { class: "field" }, "Periods", h("input", { name: "periods", type: "number", min: 1, max: MAX_PERIODS, value: periods, inputmode: "numeric" })),
    h("label", { class: "field" }, "Minutes each", h("input", { name: "period_minutes", type: "number", min: 1, max: MAX_PERIOD_MINUTES, value: minutes, inputmode: "numeric" })),
  );
  const side = (/** @type {string} */ value, /** @type {string} */ text, /** @type {boolean} */ checked) =>
    h("label", null, h("input", { type: "radio", name: "venue_side", value, checked }), h("span", null, text));
  return h(
    "form",
    { class: "card", onsubmit },
    h("label", { class: "field" }, "Opponent", h("input", { name: "opponent", required: true, maxlength: MAX_NAME_LENGTH, value: match?.opponent ?? "" })),
    h("fieldset", { class: "segmented" }, h("legend", null, "Where"), side("home", "Home", match?.is_home ?? true), side("away", "Away", match?.is_home === false)),
    h("label", { class: "field" }, "Kick-off", h("input", { name: "kickoff", type: "datetime-local", required: true, value: localInputValue(match ? new Date(match.kickoff_at) : new Date()) })),
    h("label", { class: "field" }, "Venue", h("input", { name: "venue", maxlength: MAX_TEXT_LENGTH, placeholder: "e.g. Hackney Marshes pitch 4", value: match?.venue ?? "" })),
    h("label", { class: "field" }, "Competition", h("input", { name: "competition", maxlength: MAX_TEXT_LENGTH, placeholder: "Leave blank for a friendly", value: match?.competition ?? "" })),
    h(
      "label",
      { class: "field" },
      "Format",
      h(
        "select",
        { name: "format" },
        FORMATS.map(([p, mins]) => h("option", { value: `${p}x${mins}`, selected: format === `${p}x${mins}` }, `${p} × ${mins} min`)),
        h("option", { value: CUSTOM, selected: format === CUSTOM }, "Custom…"),
      ),
    ),
    custom,
    h("button", { class: "primary big", type: "submit" }, label),
  );
}
