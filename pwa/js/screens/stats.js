// @ts-check
/**
 * A team's season: its record (finished matches), each player's counts, and fairness
 * (minutes and starts as a share of what was there for them), those benched most first.
 * Computed on the phone (insights.stats, the server's rules) from every match the phone
 * holds, pulled and queued alike: no network. The CSV and JSON downloads come from the
 * server, so they need a connection and say so.
 */

import { h } from "../dom.js";
import * as insights from "../insights.js";
import { matchEvents, playerName, store, teamPlayers } from "../store.js";
import { backButton, missing } from "./nav.js";

/**
 * The phone's season of a team, as insights.stats reads matches.
 * @param {string} teamId
 */
export function teamSeason(teamId) {
  const matches = [...store.view.matches.values()].filter((match) => match.team_id === teamId);
  const logs = matches.map((match) => ({ ...match, lineup: store.view.lineups.get(match.id) ?? [], events: matchEvents(match.id) }));
  return { matches, ...insights.stats(logs) };
}

/** A share as a whole percentage, or a dash when nothing was available. @param {number | null} share */
export function percent(share) {
  return share === null ? "–" : `${Math.round(share * 100)}%`;
}

/** @param {string} teamId */
export function statsScreen(teamId) {
  const team = store.view.teams.get(teamId);
  if (!team) return missing("team");
  const { matches, team: record, players } = teamSeason(teamId);
  // The server's order: roster order, then least minutes share first (a stable sort).
  const roster = teamPlayers(teamId).map((p) => p.id);
  const place = (/** @type {string} */ id) => (roster.includes(id) ? roster.indexOf(id) : roster.length);
  const lines = Object.entries(players)
    .filter(([, line]) => line.available_matches > 0)
    .sort(([a, x], [b, y]) => (x.minutes_share ?? 0) - (y.minutes_share ?? 0) || place(a) - place(b));
  const counted = Object.entries(players)
    .filter(([id]) => store.view.players.has(id))
    .sort(([a], [b]) => place(a) - place(b));
  return h(
    "section",
    { class: "screen stats" },
    backButton(`#/team/${teamId}`, "Players"),
    h("h1", null, `${team.name}: season`),
    h("p", { class: "lead" }, `${matches.length} ${matches.length === 1 ? "match" : "matches"} on this phone; results count finished ones.`),
    recordCard(record),
    h("h2", null, "Fairness"),
    h("p", { class: "hint" }, "Minutes and starts as a share of the matches each player was in the squad for; least played first."),
    table("fairness-table", "Fairness, least minutes share first", ["Player", "Min", "Min %", "Starts", "Starts %"], lines.map(([id, line]) => [
      id,
      `${line.minutes}'`,
      percent(line.minutes_share),
      `${line.starts}/${line.available_matches}`,
      percent(line.starts_share),
    ])),
    h("h2", null, "Players"),
    table("player-stats-table", "Player stats", ["Player", "Apps", "Goals", "Assists", "Saves", "Tackles"], counted.map(([id, line]) => [
      id,
      String(line.appearances),
      String(line.counts.goals),
      String(line.assists),
      String(line.counts.saves),
      String(line.counts.tackles),
    ])),
    downloads(teamId),
  );
}

/** @param {insights.TeamStats} record */
function recordCard(record) {
  /** @param {string} label @param {string | number} value @param {string} key */
  const figure = (label, value, key) => h("div", { class: "figure", "data-figure": key }, h("span", { class: "value" }, String(value)), h("span", { class: "label" }, label));
  return h(
    "div",
    { class: "card record" },
    figure("Played", record.played, "played"),
    figure("Won", record.won, "won"),
    figure("Drawn", record.drawn, "drawn"),
    figure("Lost", record.lost, "lost"),
    figure("For", record.goals_for, "goals_for"),
    figure("Against", record.goals_against, "goals_against"),
    figure("Clean sheets", record.clean_sheets, "clean_sheets"),
    figure("Form", record.form.join(" ") || "–", "form"),
  );
}

/**
 * @param {string} className @param {string} caption @param {string[]} head
 * @param {[string, ...string[]][]} rows each the player's id, then the cells after the name
 */
function table(className, caption, head, rows) {
  return h(
    "table",
    { class: `stats-table ${className}` },
    h("caption", { class: "sr-only" }, caption),
    h("thead", null, h("tr", null, head.map((label) => h("th", { scope: "col" }, label)))),
    h(
      "tbody",
      null,
      rows.map(([id, ...cells]) => {
        const player = store.view.players.get(id);
        return h("tr", { "data-player-id": id }, h("th", { scope: "row" }, player ? playerName(player) : "Former player"), cells.map((cell) => h("td", null, cell)));
      }),
    ),
  );
}

/** The server's files of the team, fetched with the phone's token and saved. @param {string} teamId */
function downloads(teamId) {
  const status = h("p", { class: "hint", role: "status" });
  /** @param {string} path @param {string} name */
  const save = async (path, name) => {
    if (!navigator.onLine) {
      status.textContent = "Downloads need a connection: the numbers above are from this phone.";
      return;
    }
    try {
      const response = await fetch(path, { headers: { Authorization: `Bearer ${store.snap.device?.token ?? ""}` }, cache: "no-store" });
      if (!response.ok) throw new Error(`The server answered ${response.status}`);
      const url = URL.createObjectURL(await response.blob());
      const link = h("a", { href: url, download: name });
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      status.textContent = "";
    } catch (failure) {
      status.textContent = `Could not download ${name}: ${/** @type {Error} */ (failure).message}`;
    }
  };
  const matches = [...store.view.matches.values()]
    .filter((match) => match.team_id === teamId)
    .sort((a, b) => b.kickoff_at.localeCompare(a.kickoff_at));
  return h(
    "section",
    { class: "card downloads" },
    h("h2", null, "Downloads"),
    h(
      "div",
      { class: "row" },
      h("button", { class: "secondary small", onclick: () => save(`/api/teams/${teamId}/stats.csv`, "stats.csv") }, "Season stats (CSV)"),
      h("button", { class: "secondary small", onclick: () => save(`/api/teams/${teamId}/export.json`, "team-export.json") }, "Everything (JSON)"),
    ),
    h(
      "ul",
      { class: "match-downloads" },
      matches.map((match) =>
        h(
          "li",
          null,
          h("span", null, `${match.opponent}, ${new Date(match.kickoff_at).toLocaleDateString()}`),
          h("button", { class: "link", onclick: () => save(`/api/matches/${match.id}/minutes.csv`, `minutes-${match.id}.csv`) }, "Minutes CSV"),
          h("button", { class: "link", onclick: () => save(`/api/matches/${match.id}/events.csv`, `events-${match.id}.csv`) }, "Events CSV"),
        ),
      ),
    ),
    status,
  );
}
