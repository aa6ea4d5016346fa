// @ts-check
/** A match's lineup: who starts, who is on the bench, who is out. */

import { h } from "../dom.js";
import * as m from "../mutations.js";
import { playerName, queue, store, teamPlayers } from "../store.js";
import { backButton, go, missing } from "./nav.js";

/** @param {string} matchId */
export function lineupScreen(matchId) {
  const match = store.view.matches.get(matchId);
  if (!match) return missing("match");
  const current = new Map((store.view.lineups.get(matchId) ?? []).map((s) => [s.player_id, s.role]));
  const players = teamPlayers(match.team_id);
  const save = async (/** @type {SubmitEvent} */ event) => {
    event.preventDefault();
    const data = new FormData(/** @type {HTMLFormElement} */ (event.target));
    /** @type {import("../mutations.js").LineupSlot[]} */
    const slots = [];
    for (const p of players) {
      const role = data.get(`role-${p.id}`);
      if (role === "starting" || role === "bench") slots.push({ player_id: p.id, role, position: null });
    }
    await queue(m.setLineup(matchId, slots));
    go(`#/match/${matchId}`);
  };
  return h(
    "section",
    { class: "screen" },
    backButton(`#/match/${matchId}`, "Match"),
    h("h1", null, `Lineup vs ${match.opponent}`),
    players.length === 0 && h("p", { class: "lead" }, "No players yet. ", h("a", { href: `#/team/${match.team_id}` }, "Add players")),
    h(
      "form",
      { onsubmit: save },
      h(
        "ul",
        { class: "lineup" },
        players.map((p) => {
          const role = current.get(p.id) ?? (current.size ? "out" : "starting");
          return h(
            "li",
            null,
            h(
              "fieldset",
              { class: "segmented" },
              h("legend", null, playerName(p)),
              ["starting", "bench", "out"].map((value) =>
                h(
                  "label",
                  null,
                  h("input", { type: "radio", name: `role-${p.id}`, value, checked: role === value }),
                  h("span", null, value === "starting" ? "Starts" : value === "bench" ? "Bench" : "Out"),
                ),
              ),
            ),
          );
        }),
      ),
      h("button", { class: "primary big", type: "submit" }, "Save lineup"),
    ),
  );
}
