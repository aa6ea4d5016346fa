// @ts-check
/** A new match for a team: opponent, home or away, periods and their length. */

import { h } from "../dom.js";
import * as m from "../mutations.js";
import { askForPersistentStorage } from "../phone.js";
import { MAX_NAME_LENGTH, MAX_PERIOD_MINUTES } from "../protocol.js";
import { queue, store } from "../store.js";
import { backButton, go, missing } from "./nav.js";

/** @param {string} teamId */
export function newMatchScreen(teamId) {
  const team = store.view.teams.get(teamId);
  if (!team) return missing("team");
  /** @param {SubmitEvent} event */
  const create = async (event) => {
    event.preventDefault();
    const data = new FormData(/** @type {HTMLFormElement} */ (event.target));
    const command = m.createMatch({
      team_id: teamId,
      opponent: String(data.get("opponent") ?? "").trim(),
      is_home: data.get("venue_side") !== "away",
      kickoff_at: new Date().toISOString(),
      periods: Number(data.get("periods")),
      period_minutes: Number(data.get("period_minutes")),
    });
    await queue(command);
    askForPersistentStorage();
    go(`#/lineup/${command.args.id}`);
  };
  return h(
    "section",
    { class: "screen" },
    backButton("#/", "Teams"),
    h("h1", null, `New match for ${team.name}`),
    h(
      "form",
      { class: "card", onsubmit: create },
      h("label", { class: "field" }, "Opponent", h("input", { name: "opponent", required: true, maxlength: MAX_NAME_LENGTH })),
      h(
        "fieldset",
        { class: "segmented" },
        h("legend", null, "Where"),
        h("label", null, h("input", { type: "radio", name: "venue_side", value: "home", checked: true }), h("span", null, "Home")),
        h("label", null, h("input", { type: "radio", name: "venue_side", value: "away" }), h("span", null, "Away")),
      ),
      h(
        "div",
        { class: "row" },
        h(
          "label",
          { class: "field" },
          "Periods",
          h("select", { name: "periods" }, h("option", { value: 2, selected: true }, "2 halves"), h("option", { value: 4 }, "4 quarters")),
        ),
        h("label", { class: "field" }, "Minutes each", h("input", { name: "period_minutes", type: "number", min: 1, max: MAX_PERIOD_MINUTES, value: 25, inputmode: "numeric" })),
      ),
      h("button", { class: "primary big", type: "submit" }, "Create match"),
    ),
  );
}
