// @ts-check
/**
 * The family's live view of one match, opened from a share link (/watch#<token>).
 *
 * First paint comes from GET /api/watch; then the match's WebSocket brings every change.
 * The page remembers the last sequence number it holds: a "changes" message that does not
 * start there means something was missed, so it reconnects and asks again from there, as
 * it does after any dropped connection.
 *
 * "Live" is said only while the channel is known to work. Any message from the server
 * proves it; after PING_AFTER_MS of quiet the page sends a ping, which the server answers
 * in order with its changes. A connection that brings nothing back within PONG_WITHIN_MS
 * is dropped and replaced, however open the browser thinks it is (a phone that changed
 * network, a proxy that forgot the connection, a server that hangs).
 *
 * The last state the page held is kept in localStorage under the link's token, so the
 * page opened with no signal shows the last known score and when it was last true. It is
 * dropped once the link has expired or the server says the link no longer works.
 */

import * as notify from "./notify.js";
import * as records from "./records.js";
import * as rules from "./rules.js";
import * as story from "./story.js";

/**
 * @typedef {import("./rules.js").MatchEvent} MatchEvent
 * @typedef {import("./story.js").Side} Side
 * @typedef {{ id: string, squad_number: number | null, name: string }} Player
 * @typedef {{ type: string, id: string, seq: number, deleted?: true, data?: Record<string, any> }} Change
 * @typedef {{ expires_at: string, names: string }} Link
 */

const root = /** @type {HTMLElement} */ (document.getElementById("watch"));
const token = decodeURIComponent(location.hash.slice(1));
const PING_AFTER_MS = 15_000;
const PONG_WITHIN_MS = 10_000;
const WELCOME_WITHIN_MS = 10_000;
const RETRY_MAX_MS = 30_000;
const STORE_PREFIX = "touchline.watch.";
const PING = JSON.stringify({ type: "ping" });

/** The match as the live channel's match record has it (period_started_at at the top).
 * @type {Record<string, any> | null} */
let match = null;
/** @type {Map<string, MatchEvent>} */
const events = new Map();
/** @type {Map<string, Player>} */
let players = new Map();
let lastSeq = 0;
/** @type {Link | null} */
let link = null;
/** @type {WebSocket | null} */
let socket = null;
let live = false;
/** Whether this page has had the match from the server (not only from its own copy). */
let loaded = false;
let failures = 0;
let finished = false;
/** When the server last told this page anything, on this phone's clock (ms), or 0. */
let heardAt = 0;
/** The server's clock minus this phone's (ms): the match clock runs on the server's. */
let skew = 0;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let retry;
/** The open connection's liveness timer: the next ping, or the deadline for an answer.
 * @type {ReturnType<typeof setTimeout> | undefined} */
let quiet;

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
  clearTimeout(retry);
  /** @type {Response} */
  let response;
  try {
    response = await fetch("/api/watch", { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" });
  } catch {
    return unreachable("No connection. Trying again…");
  }
  if (response.status === 410 || response.status === 401) {
    const body = await response.json().catch(() => null);
    return ended(response.status === 401 ? "invalid" : body?.error?.code);
  }
  if (!response.ok) return unreachable("The match could not be loaded. Trying again…");
  const summary = await response.json();
  skew = Date.parse(summary.server_time) - Date.now();
  const { clock, score, ...fields } = summary.match;
  match = { ...fields, period_started_at: clock.period_started_at };
  link = summary.link;
  players = new Map(summary.players.map((/** @type {Player} */ p) => [p.id, p]));
  events.clear();
  for (const change of summary.events) apply(change);
  lastSeq = summary.head;
  const first = !loaded;
  loaded = true;
  heardAt = Date.now();
  render();
  remember();
  connect();
  if (first) notify.offerAlerts(root, token);
}

/** The server could not be reached: show what the page last knew, and try again. */
function unreachable(/** @type {string} */ text) {
  if (match) render();
  else notice(text);
  retry = setTimeout(load, 5000);
}

function connect() {
  if (finished || !match) return;
  clearTimeout(retry);
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/match/${match.id}`);
  socket = ws;
  expect(ws, WELCOME_WITHIN_MS);
  ws.onopen = () => ws.send(JSON.stringify({ type: "hello", token, last_seq: lastSeq }));
  ws.onmessage = (message) => {
    if (socket !== ws) return;
    const data = JSON.parse(message.data);
    heardAt = Date.now();
    listen(ws);
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
        drop(ws);
        failures = 0;
        connect();
        return;
      }
      for (const change of data.changes) apply(change);
      lastSeq = data.head;
      render();
    } else {
      renderConnection();
    }
    remember();
  };
  ws.onclose = (event) => {
    if (socket !== ws) return;
    drop(ws);
    if (event.code === 4410) return recheck();
    if (event.code === 4401) return ended("invalid");
    if (event.code === 4404) return ended("missing");
    render();
    reconnectLater();
  };
}

/** The server spoke: after a quiet spell, ask it again. */
function listen(/** @type {WebSocket} */ ws) {
  clearTimeout(quiet);
  quiet = setTimeout(() => {
    if (socket !== ws) return;
    ws.send(PING);
    expect(ws, PONG_WITHIN_MS);
  }, PING_AFTER_MS);
}

/** Unless the server says something within `ms`, the connection is dead: replace it. */
function expect(/** @type {WebSocket} */ ws, /** @type {number} */ ms) {
  clearTimeout(quiet);
  quiet = setTimeout(() => {
    if (socket !== ws) return;
    drop(ws);
    render();
    reconnectLater();
  }, ms);
}

/** Forget a connection: nothing it says counts any more, and the page is not live. */
function drop(/** @type {WebSocket} */ ws) {
  clearTimeout(quiet);
  socket = null;
  live = false;
  ws.onmessage = ws.onclose = ws.onopen = null;
  ws.close();
}

function reconnectLater() {
  const delay = Math.min(1000 * 2 ** failures, RETRY_MAX_MS) * (0.75 + Math.random() / 2);
  failures += 1;
  clearTimeout(retry);
  retry = setTimeout(connect, delay);
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

/** Keep what the page holds, for opening it again with no signal. */
function remember() {
  if (!match || !link) return;
  const copy = { match, players: [...players.values()], events: [...events.values()], head: lastSeq, link, heardAt, skew };
  try {
    localStorage.setItem(STORE_PREFIX + token, JSON.stringify(copy));
  } catch {
    // Storage full or switched off: the page works as before, only without its copy.
  }
}

/** Show the copy kept for this link, if there is one that has not expired; drop expired
 * copies of other links on the way. */
function recall() {
  try {
    for (const key of Object.keys(localStorage)) {
      if (!key.startsWith(STORE_PREFIX)) continue;
      const expires = JSON.parse(localStorage.getItem(key) ?? "null")?.link?.expires_at;
      if (!(Date.parse(expires) > Date.now())) localStorage.removeItem(key);
    }
    const copy = JSON.parse(localStorage.getItem(STORE_PREFIX + token) ?? "null");
    if (!copy) return;
    ({ match, link, heardAt, skew } = copy);
    players = new Map(copy.players.map((/** @type {Player} */ p) => [p.id, p]));
    for (const event of copy.events) events.set(event.id, event);
    lastSeq = copy.head;
    render();
  } catch {
    // An unreadable copy is no copy.
  }
}

/** @param {string} code */
function ended(code) {
  finished = true;
  clearTimeout(retry);
  clearTimeout(quiet);
  if (socket) drop(socket);
  notify.withdrawAlerts();
  try {
    localStorage.removeItem(STORE_PREFIX + token);
  } catch {
    // Nothing kept, nothing to drop.
  }
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
  root.replaceChildren(h("h1", null, "Live match"), h("p", { class: "lead" }, text));
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
  return rules.clockDisplay(rules.clockSeconds(state(), m.period_started_at, Date.now() + skew, m.period_minutes));
}

/** @param {number} ms */
function timeOfDay(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** The connection line: what the page can vouch for, and since when. */
function connectionLine() {
  const m = /** @type {Record<string, any>} */ (match);
  const [kind, text] =
    m.status === "finished"
      ? ["full-time", "Full-time"]
      : live
        ? ["live", "● Live"]
        : ["down", navigator.onLine ? "Reconnecting…" : "Offline"];
  return h(
    "p",
    { class: `connection ${kind}`, id: "connection" },
    h("span", { class: "state" }, text),
    heardAt > 0 && h("span", { class: "updated" }, ` · last update ${timeOfDay(heardAt)}`),
  );
}

function renderConnection() {
  document.getElementById("connection")?.replaceWith(connectionLine());
}

function render() {
  if (finished || !match) return;
  const m = match;
  const list = [...events.values()].sort(rules.byMatchTime);
  const goals = story.goals(list);
  const breaks = story.breakScores(list);
  /** @type {Side} */
  const home = m.is_home ? "team" : "opposition";
  /** @type {Side} */
  const away = m.is_home ? "opposition" : "team";
  const names = { team: m.team_name, opposition: m.opponent };
  const score = goals.at(-1)?.score ?? { team: 0, opposition: 0 };
  /** @param {story.Score} s */
  const homeAway = (s) => `${s[home]}–${s[away]}`;
  const goalOf = new Map(goals.map((g) => [g.event.id, g]));
  const scorers = story.scorers(goals);
  document.title = `${names[home]} ${homeAway(score)} ${names[away]} · Touchline`;
  const footnote = link
    ? h("p", { class: "footnote" }, `Shared by the coach of ${m.team_name}. This link works until ${new Date(link.expires_at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" })}.`)
    : "";
  const breakLine = [...breaks]
    .filter(([period]) => period < m.periods)
    .map(([period, s]) => h("span", { class: "break-score", "data-period": period }, `${m.periods === 2 ? "HT" : `After P${period}`} ${homeAway(s)}`));
  root.replaceChildren(
    h(
      "header",
      { class: "scoreboard" },
      (m.competition || m.venue) && h("p", { class: "where" }, [m.competition, m.venue].filter(Boolean).join(" · ")),
      h("h1", { class: "teams" }, h("span", { class: "home" }, names[home]), h("span", { class: "versus" }, " v "), h("span", { class: "away" }, names[away])),
      h(
        "div",
        { class: "score", id: "score" },
        h("span", { "data-side": "home" }, score[home]),
        h("span", { class: "dash" }, "–"),
        h("span", { "data-side": "away" }, score[away]),
      ),
      goals.length > 0 &&
        h(
          "div",
          { class: "scorers", id: "scorers" },
          [home, away].map((side) =>
            h(
              "ul",
              { "data-side": side === home ? "home" : "away" },
              scorers.filter((s) => s.side === side).map((s) => h("li", null, scorerText(s))),
            ),
          ),
        ),
      h(
        "div",
        { class: "clock-line" },
        // At full time the connection line says so: the clock stands alone.
        m.status !== "finished" && h("span", { class: "period" }, rules.periodLabel(state(), m.periods)),
        m.status !== "scheduled" && h("span", { class: "clock", id: "clock", role: "timer" }, clockText()),
      ),
      breakLine.length > 0 && h("p", { class: "breaks", id: "breaks" }, breakLine),
      connectionLine(),
    ),
    list.length === 0
      ? h("p", { class: "lead" }, m.status === "scheduled" ? "The match has not started yet." : "Nothing has happened yet.")
      : h(
          "ol",
          { class: "timeline", reversed: true },
          list.reverse().map((e) => {
            const goal = goalOf.get(e.id);
            const breakScore = (e.kind === "half_time" || e.kind === "full_time") && breaks.get(e.period);
            return h(
              "li",
              {
                class: `event kind-${e.kind} ${rules.MARKERS.has(e.kind) ? "marker" : ""} ${goal ? (goal.side === "team" ? "for-us" : "for-them") : ""}`,
                "data-event-id": e.id,
              },
              h("span", { class: "minute" }, rules.minuteLabel(e)),
              h(
                "span",
                { class: "what" },
                h("strong", null, rules.kindLabel(e.kind)),
                " ",
                who(e, m.team_name),
                goal && h("span", { class: "running" }, homeAway(goal.score)),
                breakScore && h("span", { class: "running" }, homeAway(breakScore)),
              ),
            );
          }),
        ),
    footnote,
  );
}

/** @param {story.Scorer} scorer */
function scorerText(scorer) {
  const minutes = scorer.goals.map((e) => rules.minuteLabel(e)).join(", ");
  const name = scorer.own_goal ? "Own goal" : scorer.player_id ? playerName(scorer.player_id) : "Goal";
  return `${name || "Goal"} ${minutes}`;
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
  if (finished) return;
  failures = 0;
  if (!loaded) load();
  else if (!socket) connect();
});
addEventListener("offline", () => {
  if (!socket) return;
  drop(socket);
  render();
  reconnectLater();
});
document.addEventListener("visibilitychange", () => {
  // Timers sleep with the screen: on coming back, find out at once whether we are live.
  const ws = socket;
  if (document.visibilityState !== "visible" || !ws || !live) return;
  ws.send(PING);
  expect(ws, PONG_WITHIN_MS);
});
addEventListener("hashchange", () => location.reload());
if ("serviceWorker" in navigator) {
  // Keeps this page's own files (sw.js), so it opens with no signal and shows its copy.
  navigator.serviceWorker.register("/sw.js?page=watch", { scope: "/watch" }).catch(() => {});
}

recall();
load();
