// @ts-check
/**
 * The family's live view of one match, opened from a share link (/watch#<token>).
 *
 * First paint comes from GET /api/watch; then the match's WebSocket brings every change.
 * The page remembers the last sequence number it holds: a "changes" message that does not
 * start there means something was missed, so it reconnects and asks again from there, as
 * it does after any dropped connection. Nothing is stored and nothing is installed.
 */

import * as records from "./records.js";
import * as rules from "./rules.js";

/**
 * @typedef {import("./rules.js").MatchEvent} MatchEvent
 * @typedef {{ id: string, squad_number: number | null, name: string }} Player
 * @typedef {{ type: string, id: string, seq: number, deleted?: true, data?: Record<string, any> }} Change
 */

const root = /** @type {HTMLElement} */ (document.getElementById("watch"));
const token = decodeURIComponent(location.hash.slice(1));
const RETRY_MAX_MS = 30_000;

/** @type {Record<string, any> | null} */
let match = null;
/** @type {Map<string, MatchEvent>} */
const events = new Map();
/** @type {Map<string, Player>} */
let players = new Map();
let lastSeq = 0;
/** @type {{ expires_at: string, names: string } | null} */
let link = null;
/** @type {WebSocket | null} */
let socket = null;
let live = false;
let failures = 0;
let finished = false;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let retry;

/**
 * @param {string} tag @param {Record<string, any> | null} [props] @param {...any} children
 * @returns {HTMLElement}
 */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value !== null && value !== undefined && value !== false) el.setAttribute(key, String(value));
  }
  el.append(...children.flat(2).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

async function load() {
  if (!token) return ended("invalid");
  /** @type {Response} */
  let response;
  try {
    response = await fetch("/api/watch", { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" });
  } catch {
    notice("No connection. Trying again…");
    retry = setTimeout(load, 5000);
    return;
  }
  if (response.status === 410 || response.status === 401) {
    const body = await response.json().catch(() => null);
    return ended(response.status === 401 ? "invalid" : body?.error?.code);
  }
  if (!response.ok) {
    notice("The match could not be loaded. Trying again…");
    retry = setTimeout(load, 5000);
    return;
  }
  const summary = await response.json();
  match = summary.match;
  link = summary.link;
  players = new Map(summary.players.map((/** @type {Player} */ p) => [p.id, p]));
  events.clear();
  for (const change of summary.events) apply(change);
  lastSeq = summary.head;
  render();
  connect();
}

function connect() {
  if (finished || !match) return;
  clearTimeout(retry);
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/match/${match.id}`);
  socket = ws;
  ws.onopen = () => ws.send(JSON.stringify({ type: "hello", token, last_seq: lastSeq }));
  ws.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (data.type === "welcome") {
      failures = 0;
      live = true;
      if (data.reset) {
        // Our position is ahead of the server's (its database was replaced): start over.
        events.clear();
        lastSeq = 0;
      }
      players = new Map(data.players.map((/** @type {Player} */ p) => [p.id, p]));
      render();
    } else if (data.type === "changes") {
      if (data.after !== lastSeq) {
        // A gap: drop this connection; the next hello resumes from what we hold.
        failures = 0;
        ws.close(1000, "gap");
        return;
      }
      for (const change of data.changes) apply(change);
      lastSeq = data.head;
      render();
    }
  };
  ws.onclose = (event) => {
    if (socket !== ws) return;
    socket = null;
    live = false;
    if (event.code === 4410) return recheck();
    if (event.code === 4401) return ended("invalid");
    if (event.code === 4404) return ended("missing");
    render();
    const delay = Math.min(1000 * 2 ** failures, RETRY_MAX_MS) * (0.75 + Math.random() / 2);
    failures += 1;
    retry = setTimeout(connect, event.reason === "gap" ? 0 : delay);
  };
}

/** The link stopped working: ask the server whether it was revoked or expired. */
async function recheck() {
  try {
    const response = await fetch("/api/watch", { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" });
    const body = await response.json().catch(() => null);
    ended(body?.error?.code ?? "link_revoked");
  } catch {
    ended("link_revoked");
  }
}

/**
 * Live records leave out null fields and the ids the channel gives (SPEC.md, "Live
 * records"): a field that is not there is null, not "unchanged".
 * @param {Change} change
 */
function apply(change) {
  if (!match) return;
  const data = records.expand({ ...change, space: match.id });
  if (change.type === "event") {
    if (data === null) events.delete(change.id);
    else events.set(change.id, /** @type {MatchEvent} */ (data));
  } else if (change.type === "match" && data !== null) {
    // Nor does a live match record carry its team: keep the one the summary gave.
    match = { ...match, ...data, team_id: match.team_id };
  }
}

/** @param {string} code */
function ended(code) {
  finished = true;
  clearTimeout(retry);
  socket?.close();
  const [title, text] =
    code === "link_revoked"
      ? ["This link was revoked", "The coach has stopped sharing this match. Ask them for a new link."]
      : code === "link_expired"
        ? ["This link has expired", "Share links last a limited time. Ask the coach for a new link."]
        : code === "missing"
          ? ["Match not found", "This match is no longer available."]
          : ["This link does not work", "Check that the whole link was copied, or ask the coach for a new one."];
  document.title = `${title} · Touchline`;
  root.replaceChildren(h("section", { class: "ended", "data-reason": code }, h("h1", null, title), h("p", { class: "lead" }, text)));
}

/** @param {string} text */
function notice(text) {
  root.replaceChildren(h("p", { class: "lead" }, text));
}

function state() {
  const m = /** @type {Record<string, any>} */ (match);
  return { status: m.status, period: m.current_period };
}

/** @param {string | null} id */
function playerName(id) {
  const player = id ? players.get(id) : undefined;
  if (!player) return "";
  return player.squad_number === null ? player.name : `${player.squad_number} ${player.name}`;
}

function clockText() {
  const m = /** @type {Record<string, any>} */ (match);
  return rules.clockDisplay(rules.clockSeconds(state(), m.period_started_at, Date.now(), m.period_minutes));
}

function render() {
  if (finished || !match) return;
  const m = match;
  const list = [...events.values()].sort(rules.byMatchTime);
  const goals = rules.score(list);
  const [homeGoals, awayGoals] = m.is_home ? [goals.team, goals.opposition] : [goals.opposition, goals.team];
  const ours = m.team_name;
  document.title = `${m.home_team} ${homeGoals}–${awayGoals} ${m.away_team} · Touchline`;
  const footnote = link
    ? h("p", { class: "footnote" }, `Shared by the coach of ${ours}. This link works until ${new Date(link.expires_at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" })}.`)
    : "";
  root.replaceChildren(
    h(
      "header",
      { class: "scoreboard" },
      (m.competition || m.venue) && h("p", { class: "where" }, [m.competition, m.venue].filter(Boolean).join(" · ")),
      h("div", { class: "teams" }, h("span", { class: "home" }, m.home_team), h("span", { class: "away" }, m.away_team)),
      h(
        "div",
        { class: "score", id: "score" },
        h("span", { "data-side": "home" }, homeGoals),
        h("span", { class: "dash" }, "–"),
        h("span", { "data-side": "away" }, awayGoals),
      ),
      h(
        "div",
        { class: "clock-line" },
        h("span", { class: "period" }, rules.periodLabel(state(), m.periods)),
        m.status !== "scheduled" && h("span", { class: "clock", id: "clock", role: "timer" }, clockText()),
      ),
      h("p", { class: `connection ${live ? "live" : "down"}`, id: "connection" }, live ? "● Live" : "Reconnecting…"),
    ),
    list.length === 0
      ? h("p", { class: "lead" }, m.status === "scheduled" ? "The match has not started yet." : "Nothing has happened yet.")
      : h(
          "ol",
          { class: "timeline", reversed: true },
          list.reverse().map((e) =>
            h(
              "li",
              { class: `event kind-${e.kind} ${rules.MARKERS.has(e.kind) ? "marker" : ""}`, "data-event-id": e.id },
              h("span", { class: "minute" }, rules.minuteLabel(e)),
              h("span", { class: "what" }, h("strong", null, rules.kindLabel(e.kind)), " ", who(e, ours)),
            ),
          ),
        ),
    footnote,
  );
}

/** @param {MatchEvent} e @param {string} ours */
function who(e, ours) {
  if (rules.MARKERS.has(e.kind)) return "";
  const m = /** @type {Record<string, any>} */ (match);
  if (e.side === "opposition") return m.opponent;
  if (e.kind === "substitution" && e.player_id) {
    return `${playerName(e.player_id)} on${e.replaced_player_id ? ` for ${playerName(e.replaced_player_id)}` : ""}`;
  }
  return playerName(e.player_id) || ours;
}

setInterval(() => {
  const clock = document.getElementById("clock");
  if (clock && match) clock.textContent = clockText();
}, 1000);
addEventListener("online", () => {
  if (!socket && match && !finished) {
    failures = 0;
    connect();
  }
});
addEventListener("hashchange", () => location.reload());

load();
