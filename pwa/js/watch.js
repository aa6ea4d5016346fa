// @ts-check
/**
 * The family's live view of one match, opened from a share link (/watch#<token>).
 *
 * First paint comes from GET /api/watch; then the match's WebSocket brings every change.
 * The page remembers the last sequence number it holds: a "changes" message that does not
 * start there means something was missed, so it reconnects and asks again from there, as
 * it does after any dropped connection.
 *
 * "Live" is said only while the channel is known to work (live.js: pings after a quiet
 * spell, a connection that brings nothing back is replaced).
 *
 * The last state the page held is kept in localStorage under the link's token, so the
 * page opened with no signal shows the last known score and when it was last true. It is
 * dropped once the link has expired or the server says the link no longer works.
 *
 * At full-time the page becomes the match report: the score, scorers and breaks as before,
 * then cards, substitutions and minutes played (insights.js, from the events and the
 * lineup), then the timeline; it prints on one A4 page (app.css, `@media print`).
 *
 * The token comes from the fragment (/watch#<token>), or from the query of a result link
 * (/watch?t=<token>), whose page the server renders with the score in its preview tags.
 */

import { h } from "./dom.js";
import * as insights from "./insights.js";
import { LiveChannel } from "./live.js";
import * as notify from "./notify.js";
import * as records from "./records.js";
import * as rules from "./rules.js";
import * as story from "./story.js";

/**
 * @typedef {import("./rules.js").MatchEvent} MatchEvent
 * @typedef {import("./story.js").Side} Side
 * @typedef {{ id: string, squad_number: number | null, name: string }} Player
 * @typedef {{ type: string, id: string, seq: number, deleted?: true, data?: Record<string, any> }} Change
 * @typedef {{ expires_at: string | null, names: string }} Link
 * @typedef {{ player_id: string, role: string }} Slot
 */

const root = /** @type {HTMLElement} */ (document.getElementById("watch"));
const token = decodeURIComponent(location.hash.slice(1)) || (new URLSearchParams(location.search).get("t") ?? "");
const STORE_PREFIX = "touchline.watch.";

/** Everything the page holds. */
const page = {
  /** The match as the live channel's match record has it (period_started_at at the top).
   * @type {Record<string, any> | null} */
  match: null,
  /** @type {Map<string, MatchEvent>} */
  events: new Map(),
  /** @type {Map<string, Player>} */
  players: new Map(),
  /** The lineup, starters first. @type {Slot[]} */
  lineup: [],
  lastSeq: 0,
  /** @type {Link | null} */
  link: null,
  /** The match's live channel, once the page knows the match. @type {LiveChannel | null} */
  channel: null,
  /** Whether this page has had the match from the server (not only from its own copy). */
  loaded: false,
  finished: false,
  /** The server's clock minus this phone's (ms): the match clock runs on the server's. */
  skew: 0,
  /** The next attempt to load the match. @type {ReturnType<typeof setTimeout> | undefined} */
  retry: undefined,
};

async function load() {
  if (!token) return ended("invalid");
  clearTimeout(page.retry);
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
  page.skew = Date.parse(summary.server_time) - Date.now();
  const { clock, score, ...fields } = summary.match;
  page.match = { ...fields, period_started_at: clock.period_started_at };
  page.link = summary.link;
  page.players = new Map(summary.players.map((/** @type {Player} */ p) => [p.id, p]));
  page.lineup = summary.lineup ?? [];
  page.events.clear();
  for (const change of summary.events) apply(change);
  page.lastSeq = summary.head;
  const first = !page.loaded;
  page.loaded = true;
  const channel = channelFor(fields.id);
  channel.heardAt = Date.now();
  render();
  remember();
  if (!page.finished) channel.open();
  if (first) notify.offerAlerts(root, token);
}

/** The server could not be reached: show what the page last knew, and try again. */
function unreachable(/** @type {string} */ text) {
  if (page.match) render();
  else notice(text);
  page.retry = setTimeout(load, 5000);
}

/** The match's channel, made the first time the page knows which match it shows.
 * @param {string} matchId */
function channelFor(matchId) {
  page.channel ??= new LiveChannel(matchId, {
    hello: () => ({ token, last_seq: page.lastSeq }),
    onMessage: heard,
    onDown: render,
    onRefused: (code) => {
      if (code === 4410) recheck();
      else if (code === 4401) ended("invalid");
      else if (code === 4404) ended("missing");
      else return false;
      return true;
    },
  });
  return page.channel;
}

/** @param {Record<string, any>} data a message from the live channel */
function heard(data) {
  if (data.type === "welcome") {
    if (data.reset) {
      // Our position is ahead of the server's (its database was replaced): start over.
      page.events.clear();
      page.lastSeq = 0;
    }
    page.players = new Map(data.players.map((/** @type {Player} */ p) => [p.id, p]));
    render();
  } else if (data.type === "changes") {
    if (data.after !== page.lastSeq) {
      // A gap: the next hello resumes from what we hold.
      page.channel?.resume();
      return;
    }
    for (const change of data.changes) apply(change);
    page.lastSeq = data.head;
    render();
  } else {
    renderConnection();
  }
  remember();
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
  const match = page.match;
  if (!match) return;
  const data = records.expand({ ...change, space: match.id });
  if (change.type === "event") {
    if (data === null) page.events.delete(change.id);
    else page.events.set(change.id, /** @type {MatchEvent} */ (data));
  } else if (change.type === "lineup") {
    page.lineup = data === null ? [] : data.players;
  } else if (change.type === "match" && data !== null) {
    // Nor does a live match record carry its team: keep the one the summary gave.
    page.match = { ...match, ...data, team_id: match.team_id };
  }
}

/** Keep what the page holds, for opening it again with no signal. */
function remember() {
  const { match, link, channel } = page;
  if (!match || !link) return;
  const copy = {
    match,
    players: [...page.players.values()],
    lineup: page.lineup,
    events: [...page.events.values()],
    head: page.lastSeq,
    link,
    heardAt: channel?.heardAt ?? 0,
    skew: page.skew,
  };
  try {
    localStorage.setItem(STORE_PREFIX + token, JSON.stringify(copy));
  } catch {
    // Storage full or switched off: the page works as before, only without its copy.
  }
}

/** How long the link works, in the footnote's words. @param {Link} link */
function linkLasts(link) {
  if (link.expires_at === null) return "This link works until the coach revokes it.";
  return `This link works until ${new Date(link.expires_at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" })}.`;
}

/** Show the copy kept for this link, if there is one that has not expired; drop expired
 * copies of other links on the way. */
function recall() {
  try {
    for (const key of Object.keys(localStorage)) {
      if (!key.startsWith(STORE_PREFIX)) continue;
      const expires = JSON.parse(localStorage.getItem(key) ?? "null")?.link?.expires_at;
      // null: a link that works until the coach revokes it.
      if (expires !== null && !(Date.parse(expires) > Date.now())) localStorage.removeItem(key);
    }
    const copy = JSON.parse(localStorage.getItem(STORE_PREFIX + token) ?? "null");
    if (!copy) return;
    ({ match: page.match, link: page.link, skew: page.skew } = copy);
    channelFor(copy.match.id).heardAt = copy.heardAt;
    page.players = new Map(copy.players.map((/** @type {Player} */ p) => [p.id, p]));
    page.lineup = copy.lineup ?? [];
    for (const event of copy.events) page.events.set(event.id, event);
    page.lastSeq = copy.head;
    render();
  } catch {
    // An unreadable copy is no copy.
  }
}

/** @param {string} code */
function ended(code) {
  page.finished = true;
  clearTimeout(page.retry);
  page.channel?.close();
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
  const m = /** @type {Record<string, any>} */ (page.match);
  return { status: m.status, period: m.current_period };
}

/** @param {string | null} id */
function playerName(id) {
  const player = id ? page.players.get(id) : undefined;
  if (!player) return "";
  return player.squad_number === null ? player.name : `${player.squad_number} ${player.name}`;
}

function clockText() {
  const m = /** @type {Record<string, any>} */ (page.match);
  return rules.clockDisplay(rules.clockSeconds(state(), m.period_started_at, Date.now() + page.skew, m.period_minutes));
}

/** @param {number} ms */
function timeOfDay(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** The connection line: what the page can vouch for, and since when. */
function connectionLine() {
  const m = /** @type {Record<string, any>} */ (page.match);
  const heardAt = page.channel?.heardAt ?? 0;
  const [kind, text] =
    m.status === "finished"
      ? ["full-time", "Full-time"]
      : page.channel?.live
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
  const { match: m, link } = page;
  if (page.finished || !m) return;
  const list = [...page.events.values()].sort(rules.byMatchTime);
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
  const finished = m.status === "finished";
  root.classList.toggle("report", finished);
  document.title = `${names[home]} ${homeAway(score)} ${names[away]} · Touchline`;
  const footnote = link
    ? h("p", { class: "footnote" }, `Shared by the coach of ${m.team_name}. ${linkLasts(link)}`)
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
    finished ? reportSections(list, m) : "",
    finished && list.length > 0 ? h("h2", { class: "report-heading" }, "Timeline") : "",
    list.length === 0
      ? h("p", { class: "lead" }, m.status === "scheduled" ? "The match has not started yet." : "Nothing has happened yet.")
      : h(
          "ol",
          // Newest first while live; in the report, in the order it happened.
          { class: "timeline", reversed: !finished },
          (finished ? list : list.reverse()).map((e) => {
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

/**
 * The report's middle: cards, substitutions and minutes played. Minutes are counted by
 * insights.minutesPlayed, the rule the coach's phone and the server count them by.
 * @param {MatchEvent[]} list the events in match order
 * @param {Record<string, any>} m the match
 */
function reportSections(list, m) {
  const cards = list.filter((e) => e.kind === "yellow_card" || e.kind === "red_card");
  const subs = list.filter((e) => e.kind === "substitution" && e.side === "team");
  const counted = insights.minutesPlayed({
    id: m.id,
    periods: m.periods,
    period_minutes: m.period_minutes,
    kickoff_at: m.kickoff_at,
    lineup: page.lineup,
    events: /** @type {any[]} */ (list),
  });
  const rows = Object.entries(counted.players)
    .filter(([, p]) => p.appeared)
    .map(([id, p]) => ({ id, p, player: page.players.get(id) }))
    .sort((a, b) => b.p.minutes - a.p.minutes || (a.player?.squad_number ?? 999) - (b.player?.squad_number ?? 999));
  /** @param {string} title @param {MatchEvent[]} events @param {string} id @param {boolean} labelled */
  const eventList = (title, events, id, labelled) =>
    events.length > 0 &&
    h(
      "section",
      { class: "report-part", id },
      h("h2", null, title),
      h(
        "ul",
        null,
        events.map((e) => h("li", { "data-event-id": e.id }, h("span", { class: "minute" }, rules.minuteLabel(e)), " ", labelled && `${rules.kindLabel(e.kind)} `, who(e, m.team_name))),
      ),
    );
  return h(
    "div",
    { class: "report-body", id: "report" },
    h("h2", { class: "report-title" }, "Full-time report"),
    eventList("Cards", cards, "cards", true),
    eventList("Substitutions", subs, "substitutions", false),
    rows.length > 0 &&
      h(
        "section",
        { class: "report-part", id: "minutes" },
        h("h2", null, "Minutes played"),
        h(
          "table",
          { class: "minutes-table" },
          h("thead", null, h("tr", null, h("th", { scope: "col" }, "Player"), h("th", { scope: "col" }, "Minutes"), h("th", { scope: "col" }, "Started"))),
          h(
            "tbody",
            null,
            rows.map(({ id, p }) =>
              h(
                "tr",
                { class: "minutes-row", "data-player-id": id },
                h("th", { scope: "row" }, playerName(id) || "Player"),
                h("td", { class: "played" }, `${p.minutes}'`),
                h("td", null, p.started ? "Yes" : "No"),
              ),
            ),
          ),
        ),
      ),
  );
}

/** @param {story.Scorer} scorer */
function scorerText(scorer) {
  const minutes = scorer.goals
    .map((e) => {
      const assist = scorer.side === "team" && e.assist_player_id ? playerName(e.assist_player_id) : "";
      return assist ? `${rules.minuteLabel(e)} (assist ${assist})` : rules.minuteLabel(e);
    })
    .join(", ");
  const name = scorer.own_goal ? "Own goal" : scorer.player_id ? playerName(scorer.player_id) : "Goal";
  return `${name || "Goal"} ${minutes}`;
}

/** @param {MatchEvent} e @param {string} ours */
function who(e, ours) {
  if (rules.MARKERS.has(e.kind)) return "";
  const m = /** @type {Record<string, any>} */ (page.match);
  if (e.side === "opposition") return m.opponent;
  if (e.kind === "substitution" && e.player_id) {
    return `${playerName(e.player_id)} on${e.replaced_player_id ? ` for ${playerName(e.replaced_player_id)}` : ""}`;
  }
  return playerName(e.player_id) || ours;
}

setInterval(() => {
  const clock = document.getElementById("clock");
  if (clock && page.match) clock.textContent = clockText();
}, 1000);
addEventListener("online", () => {
  if (page.finished) return;
  if (!page.loaded) load();
  else page.channel?.online();
});
addEventListener("offline", () => page.channel?.offline());
document.addEventListener("visibilitychange", () => {
  // Timers sleep with the screen: on coming back, find out at once whether we are live.
  if (document.visibilityState === "visible") page.channel?.check();
});
addEventListener("hashchange", () => location.reload());
if ("serviceWorker" in navigator) {
  // Keeps this page's own files (sw.js), so it opens with no signal and shows its copy.
  navigator.serviceWorker.register("/sw.js?page=watch", { scope: "/watch" }).catch(() => {});
}

recall();
load();
