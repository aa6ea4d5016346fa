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

/** @typedef {import("../mutations.js").Match} Match */

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
      const { upcoming, played } = fixtures(team.id);
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
        upcoming.length > 0 && h("h3", { class: "upcoming-heading" }, "Upcoming"),
        h(
          "ul",
          { class: "matches upcoming", "aria-label": `Upcoming matches of ${team.name}` },
          upcoming.map((match) =>
            h(
              "li",
              null,
              matchLink(match, `${new Date(match.kickoff_at).toLocaleString([], { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" })}${match.venue ? ` · ${match.venue}` : ""}`, ""),
              h("button", { class: "secondary small", onclick: () => go(`#/edit-match/${match.id}`), "aria-label": `Edit the match against ${match.opponent}` }, "Edit"),
            ),
          ),
        ),
        h(
          "ul",
          { class: "matches played" },
          played.map((match) => {
            const state = matchState(match);
            const goals = rules.score(matchEvents(match.id));
            const meta = `${new Date(match.kickoff_at).toLocaleDateString()} · ${rules.periodLabel(state, match.periods)}`;
            return h("li", null, matchLink(match, meta, state.status === "scheduled" ? "" : `${goals.team}–${goals.opposition}`));
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
      h("button", { class: "link", onclick: () => go("#/account") }, "Account"),
      h("button", { class: "link", onclick: downloadMyData }, "Download my data"),
      h("a", { class: "link", href: "/privacy" }, "Privacy"),
    ),
  );
}

/**
 * A team's matches: those not yet kicked off and due later (soonest first), apart from the
 * rest (newest first), live ones and those whose kick-off time has passed among them.
 * @param {string} teamId
 */
function fixtures(teamId) {
  const now = Date.now();
  const at = (/** @type {Match} */ match) => Date.parse(match.kickoff_at);
  const matches = [...store.view.matches.values()].filter((match) => match.team_id === teamId);
  const isUpcoming = (/** @type {Match} */ match) => matchState(match).status === "scheduled" && at(match) > now;
  return {
    upcoming: matches.filter(isUpcoming).sort((a, b) => at(a) - at(b)),
    played: matches.filter((match) => !isUpcoming(match)).sort((a, b) => at(b) - at(a)),
  };
}

/** @param {Match} match @param {string} meta @param {string} score */
function matchLink(match, meta, score) {
  return h(
    "button",
    { class: "match-link", onclick: () => go(`#/match/${match.id}`) },
    h("span", { class: "opponent" }, `${match.is_home ? "vs" : "at"} ${match.opponent}`),
    h("span", { class: "meta" }, meta),
    h("span", { class: "mini-score" }, score),
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
