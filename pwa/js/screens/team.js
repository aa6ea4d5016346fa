// @ts-check
/**
 * A team's players, adding one and erasing one (queued like any tap: it works with no
 * signal); its calendar link; its members, and for its owner managing them (members.js).
 * A member only reads.
 */

import { h } from "../dom.js";
import * as m from "../mutations.js";
import { MAX_NAME_LENGTH, MAX_SQUAD_NUMBER } from "../protocol.js";
import { playerName, queue, store, teamPlayers } from "../store.js";
import { showCalendar } from "./calendar.js";
import { membersPanel } from "./members.js";
import { backButton, go, missing } from "./nav.js";
import { closeButton, openSheet, sheet } from "./sheet.js";

/** @param {string} teamId */
export function teamScreen(teamId) {
  const team = store.view.teams.get(teamId);
  if (!team) return missing("team");
  /** @param {SubmitEvent} event */
  const add = async (event) => {
    event.preventDefault();
    const form = /** @type {HTMLFormElement} */ (event.target);
    const data = new FormData(form);
    const number = String(data.get("squad_number") ?? "").trim();
    const name = String(data.get("display_name") ?? "").trim();
    if (!name) return;
    form.reset();
    await queue(m.addPlayer({ team_id: teamId, squad_number: number === "" ? null : Number(number), display_name: name }));
    /** @type {HTMLInputElement | null} */ (document.querySelector("#app input[name=squad_number]"))?.focus();
  };
  return h(
    "section",
    { class: "screen" },
    backButton("#/", "Teams"),
    h("h1", null, `${team.name}: players`),
    h("button", { class: "secondary", onclick: () => go(`#/stats/${teamId}`) }, "Season stats"),
    h(
      "ul",
      { class: "players" },
      teamPlayers(teamId).map((p) =>
        h(
          "li",
          null,
          h("span", { class: "number" }, p.squad_number ?? "–"),
          h("span", { class: "name" }, p.display_name),
          team.role !== "member" &&
            h("button", { class: "link erase", onclick: () => confirmErase(p), "aria-label": `Erase ${playerName(p)}` }, "Erase"),
        ),
      ),
    ),
    team.role !== "member" && h(
      "form",
      { class: "card", onsubmit: add },
      h(
        "div",
        { class: "row" },
        h("label", { class: "field narrow" }, "No.", h("input", { name: "squad_number", type: "number", min: 0, max: MAX_SQUAD_NUMBER, inputmode: "numeric" })),
        h("label", { class: "field" }, "Name viewers see", h("input", { name: "display_name", required: true, maxlength: MAX_NAME_LENGTH })),
      ),
      h("button", { class: "primary", type: "submit" }, "Add player"),
    ),
    h(
      "section",
      { class: "card" },
      h("h2", null, "Calendar"),
      h("p", null, "A link families add to their phone's calendar: every match, with its time and place, kept up to date."),
      h("button", { class: "secondary", onclick: () => showCalendar(teamId, team.name) }, "Calendar link"),
    ),
    membersPanel(team),
  );
}

/**
 * The confirm sheet of "Erase this player": what goes, what stays, and that it is final.
 * @param {import("../mutations.js").Player} player
 */
function confirmErase(player) {
  const number = player.squad_number === null ? "" : ` and shirt number (${player.squad_number})`;
  openSheet(
    h("h2", { id: "sheet-title" }, `Erase ${playerName(player)}?`),
    h(
      "p",
      null,
      "Their names are removed for good: from the server, from every coach's phone at its next sync, from exports, stats and the families' watch pages.",
    ),
    h(
      "p",
      null,
      `What stays: their goals, cards and substitutions, with their times${number}, shown as "Former player", so every score and match stays right. ` +
        "Notes typed on events are not rewritten: change any note that names them.",
    ),
    h("p", { class: "warning" }, "This cannot be undone."),
    h(
      "div",
      { class: "row" },
      h(
        "button",
        {
          class: "danger",
          onclick: async () => {
            sheet.close();
            await queue(m.erasePlayer(player.id));
          },
        },
        "Erase this player",
      ),
      closeButton("Keep"),
    ),
  );
}
