// @ts-check
/** The coach's teams, each with its matches, a new team, and signing out. */

import { api } from "../api.js";
import * as db from "../db.js";
import { h } from "../dom.js";
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
    teams.length === 0 && h("p", { class: "lead" }, snap.lastSyncedLocal ? "No teams yet. Add your team below." : "Loading your teams…"),
    teams.map((team) => {
      const matches = [...v.matches.values()]
        .filter((match) => match.team_id === team.id)
        .sort((a, b) => b.kickoff_at.localeCompare(a.kickoff_at));
      return h(
        "section",
        { class: "card" },
        h("h2", null, team.name),
        h(
          "div",
          { class: "row" },
          h("button", { class: "primary", onclick: () => go(`#/new-match/${team.id}`) }, "New match"),
          h("button", { class: "secondary", onclick: () => go(`#/team/${team.id}`) }, `Players (${teamPlayers(team.id).length})`),
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
      h("button", { class: "link", onclick: downloadMyData }, "Download my data"),
      h("a", { class: "link", href: "/privacy" }, "Privacy"),
    ),
  );
}

/** Save the account's own data (GET /api/me/export.json) as a file; needs a connection. */
async function downloadMyData() {
  try {
    const response = await fetch("/api/me/export.json", { headers: { Authorization: `Bearer ${store.snap.device?.token ?? ""}` }, cache: "no-store" });
    if (!response.ok) throw new Error(`The server answered ${response.status}`);
    const url = URL.createObjectURL(await response.blob());
    h("a", { href: url, download: "touchline-my-data.json" }).click();
    // Released once the browser has surely started saving it.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (failure) {
    alert(navigator.onLine ? /** @type {Error} */ (failure).message : "Downloading your data needs a connection.");
  }
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
