// @ts-check
/** The coach's teams, each with its matches, a new team, and signing out. */

import { api } from "../api.js";
import * as db from "../db.js";
import { h } from "../dom.js";
import { refusalText } from "../refusals.js";
import * as rules from "../rules.js";
import { matchEvents, matchState, refresh, store, syncer, teamPlayers } from "../store.js";
import { installHint } from "./install.js";
import { go } from "./nav.js";

export function homeScreen() {
  const { view: v, snap } = store;
  const teams = [...v.teams.values()].sort((a, b) => a.name.localeCompare(b.name));
  const error = h("p", { class: "error", role: "alert" });
  /** @param {SubmitEvent} event */
  const addTeam = async (event) => {
    event.preventDefault();
    const form = /** @type {HTMLFormElement} */ (event.target);
    const name = String(new FormData(form).get("name") ?? "").trim();
    if (!name) return;
    try {
      await api("POST", "/api/teams", { name }, store.snap.device?.token);
      form.reset();
      syncer.kick();
    } catch (failure) {
      error.textContent = navigator.onLine ? String(/** @type {Error} */ (failure).message) : "Adding a team needs a connection.";
    }
  };
  return h(
    "section",
    { class: "screen" },
    h("h1", null, "Your teams"),
    lostTeams(),
    teams.length === 0 && h("p", { class: "lead" }, snap.lastSyncedLocal ? "No teams yet. Add your team below." : "Loading your teams…"),
    teams.map((team) => {
      const matches = [...v.matches.values()]
        .filter((match) => match.team_id === team.id)
        .sort((a, b) => b.kickoff_at.localeCompare(a.kickoff_at));
      return h(
        "section",
        { class: "card" },
        h("h2", null, team.name, team.role === "member" && h("span", { class: "meta" }, " · read-only")),
        h(
          "div",
          { class: "row" },
          team.role !== "member" && h("button", { class: "primary", onclick: () => go(`#/new-match/${team.id}`) }, "New match"),
          h("button", { class: "secondary", onclick: () => go(`#/team/${team.id}`) }, `Team (${teamPlayers(team.id).length} players)`),
        ),
        h(
          "ul",
          { class: "matches" },
          matches.map((match) => {
            const state = matchState(match);
            const goals = rules.score(matchEvents(match.id));
            return h(
              "li",
              null,
              h(
                "button",
                { class: "match-link", onclick: () => go(`#/match/${match.id}`) },
                h("span", { class: "opponent" }, `${match.is_home ? "vs" : "at"} ${match.opponent}`),
                h("span", { class: "meta" }, `${new Date(match.kickoff_at).toLocaleDateString()} · ${rules.periodLabel(state, match.periods)}`),
                h("span", { class: "mini-score" }, state.status === "scheduled" ? "" : `${goals.team}–${goals.opposition}`),
              ),
            );
          }),
        ),
      );
    }),
    h(
      "form",
      { class: "card", onsubmit: addTeam },
      h("label", { class: "field" }, "New team", h("input", { name: "name", required: true, placeholder: "e.g. Lions U10" })),
      error,
      h("button", { class: "secondary", type: "submit" }, "Add team"),
    ),
    installHint(),
    h(
      "p",
      { class: "account" },
      `Signed in as ${snap.device?.email ?? ""} `,
      h("button", { class: "link", onclick: signOut }, "Sign out"),
    ),
  );
}

/**
 * What the server said of changes queued for a team this phone has lost ("You were
 * removed from Reds U10"), once per message, until the coach dismisses it.
 */
function lostTeams() {
  const lost = store.snap.outcomes.filter((o) => o.error?.code === "no_access");
  const messages = [...new Set(lost.map((o) => refusalText(o, undefined)))];
  return messages.map((message) =>
    h(
      "section",
      { class: "refused card", role: "alert" },
      h("p", null, h("strong", null, message), ` — ${lost.filter((o) => refusalText(o, undefined) === message).length} change(s) on this phone were not saved.`),
      h("button", { class: "secondary small", onclick: async () => {
        for (const o of lost) if (refusalText(o, undefined) === message) await db.dismissOutcome(o.id);
        await refresh();
      } }, "Dismiss"),
    ),
  );
}

async function signOut() {
  try {
    await db.signOut();
    store.drawnKey = "";
    go("#/");
    await refresh();
  } catch (failure) {
    alert(/** @type {Error} */ (failure).message);
  }
}
