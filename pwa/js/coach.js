// @ts-check
/**
 * The coach's app: sign in, teams and players, matches, the lineup, and the pitch-side
 * logging screen. Every tap is queued in the outbox first (db.enqueue) and shown at once;
 * the syncer sends it when it can. The screen is always drawn from db.snapshot().
 */

import * as db from "./db.js";
import * as m from "./mutations.js";
import { MAX_MINUTE, MAX_NAME_LENGTH, MAX_NOTE_LENGTH, MAX_PERIOD_MINUTES, MAX_SQUAD_NUMBER, MAX_STOPPAGE } from "./protocol.js";
import { refusalText } from "./refusals.js";
import * as rules from "./rules.js";
import { Syncer } from "./sync.js";
import { barText } from "./syncbar.js";
import { toast } from "./toast.js";

/**
 * @typedef {import("./mutations.js").View} View
 * @typedef {import("./mutations.js").Player} Player
 * @typedef {import("./mutations.js").Match} Match
 * @typedef {import("./rules.js").MatchEvent} MatchEvent
 * @typedef {Awaited<ReturnType<typeof db.snapshot>>} Snapshot
 * @typedef {{ screen: "home" } | { screen: "team" | "new-match", id: string }
 *   | { screen: "match" | "lineup", id: string }} Route
 */

const app = /** @type {HTMLElement} */ (document.getElementById("app"));
const bar = /** @type {HTMLElement} */ (document.getElementById("syncbar"));
const sheet = /** @type {HTMLDialogElement} */ (document.getElementById("sheet"));
const syncer = new Syncer();

/** @type {Snapshot} */
let snap = { records: [], outbox: [], outcomes: [], device: undefined, lastSyncedLocal: undefined };
/** @type {View} */
let v = m.view([], []);
let drawnKey = "";
/** @type {any} */
let wakeLock = null;
/** @type {any} */
let installPrompt = null;

// The grid under the Goal button, in the order a coach reaches for them.
const GRID = [
  "assist", "save", "tackle", "key_pass", "interception", "foul",
  "free_kick", "penalty", "ball_out", "yellow_card", "red_card", "substitution", "own_goal",
];

/** @type {Record<string, string>} */
const SHORT = { interception: "Intercept", substitution: "Sub", yellow_card: "Yellow", red_card: "Red" };

/**
 * @param {string} tag @param {Record<string, any> | null} [props] @param {...any} children
 * @returns {HTMLElement}
 */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  el.append(...children.flat(3).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

// --- state -------------------------------------------------------------------------------

/** @returns {Route} */
function route() {
  const [screen, id] = location.hash.replace(/^#\/?/, "").split("/");
  if ((screen === "team" || screen === "new-match" || screen === "match" || screen === "lineup") && id) {
    return /** @type {Route} */ ({ screen, id });
  }
  return { screen: "home" };
}

/** @param {string} hash */
function go(hash) {
  location.hash = hash;
}

async function refresh() {
  snap = await db.snapshot();
  v = m.view(snap.records, snap.outbox);
  render();
}

/** @param {import("./mutations.js").Command} command */
async function queue(command) {
  await db.enqueue(command.name, command.args);
  await refresh();
  syncer.kick();
  syncer.requestBackgroundSync();
}

/** @param {string} matchId */
function matchEvents(matchId) {
  return [...v.events.values()].filter((e) => e.match_id === matchId);
}

/** @param {Match} match */
function matchState(match) {
  return rules.foldMarkers(matchEvents(match.id), match.periods);
}

/** @param {string} teamId */
function teamPlayers(teamId) {
  return [...v.players.values()]
    .filter((p) => p.team_id === teamId)
    .sort((a, b) => (a.squad_number ?? 999) - (b.squad_number ?? 999) || a.display_name.localeCompare(b.display_name));
}

/** @param {Player | undefined} player */
function playerName(player) {
  if (!player) return "";
  return player.squad_number === null ? player.display_name : `${player.squad_number} ${player.display_name}`;
}

/**
 * Who is on the pitch and on the bench now: the lineup, then every substitution and red
 * card in match order. Without a lineup, every player is available.
 * @param {Match} match
 */
function squad(match) {
  const players = teamPlayers(match.team_id);
  const lineup = v.lineups.get(match.id);
  if (!lineup || lineup.length === 0) return { onPitch: players, bench: players };
  const on = new Set(lineup.filter((s) => s.role === "starting").map((s) => s.player_id));
  const bench = new Set(lineup.filter((s) => s.role === "bench").map((s) => s.player_id));
  for (const e of matchEvents(match.id).sort(rules.byMatchTime)) {
    if (e.side !== "team") continue;
    if (e.kind === "substitution" && e.player_id) {
      if (e.replaced_player_id) {
        on.delete(e.replaced_player_id);
        bench.add(e.replaced_player_id);
      }
      bench.delete(e.player_id);
      on.add(e.player_id);
    } else if (e.kind === "red_card" && e.player_id) {
      on.delete(e.player_id);
    }
  }
  // Anyone not on the pitch can come on; the named bench is offered first.
  const off = players.filter((p) => !on.has(p.id));
  return {
    onPitch: players.filter((p) => on.has(p.id)),
    bench: [...off.filter((p) => bench.has(p.id)), ...off.filter((p) => !bench.has(p.id))],
  };
}

/**
 * An event is "on phone" until the server's answer is on the phone: a request that was
 * sent may still have been lost.
 * @param {string} eventId
 */
function eventStatus(eventId) {
  if (v.pending.has(eventId)) return "on phone";
  const refused = snap.outcomes.some((o) => m.eventIdOf(o) === eventId);
  return refused ? "conflict" : "confirmed";
}

// --- rendering ---------------------------------------------------------------------------

function render() {
  renderBar();
  const r = route();
  const key = JSON.stringify([r, Boolean(snap.device)]);
  const screen = !snap.device
    ? signInScreen()
    : r.screen === "team"
      ? teamScreen(r.id)
      : r.screen === "new-match"
        ? newMatchScreen(r.id)
        : r.screen === "lineup"
          ? lineupScreen(r.id)
          : r.screen === "match"
            ? matchScreen(r.id)
            : homeScreen();
  // A sync can land while a form is half filled in: what was typed or chosen stays.
  const kept = key === drawnKey ? formState(app) : null;
  const scroll = scrollY;
  app.replaceChildren(screen);
  if (kept) restoreFormState(app, kept);
  else scrollTo(0, 0);
  if (key === drawnKey) scrollTo(0, scroll);
  drawnKey = key;
  const match = r.screen === "match" ? v.matches.get(r.id) : undefined;
  keepAwake(Boolean(match && matchState(match).status === "live"));
  follow(match && snap.device ? match.id : null);
}

// --- the open match's live channel ------------------------------------------------------
// Another coach's taps reach this phone through the same /sync pull as everything else;
// the live channel only says when to pull, so changes arrive seconds after they happen
// instead of at the next timer.

/** @type {{ matchId: string, ws: WebSocket } | null} */
let channel = null;
let channelFailures = 0;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let channelRetry;

/** @param {string} matchId */
function heldSeq(matchId) {
  let seq = 0;
  for (const record of snap.records) if (record.space === matchId && record.seq > seq) seq = record.seq;
  return seq;
}

/** Keep a live channel open to `matchId` (and none when null). @param {string | null} matchId */
function follow(matchId) {
  if (channel?.matchId === matchId) return;
  clearTimeout(channelRetry);
  const previous = channel;
  channel = null;
  previous?.ws.close(1000);
  const device = snap.device;
  if (!matchId || !device) return;
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/match/${matchId}`);
  channel = { matchId, ws };
  ws.onopen = () => ws.send(JSON.stringify({ type: "hello", token: device.token, last_seq: heldSeq(matchId) }));
  ws.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (data.type === "welcome") channelFailures = 0;
    if (data.type === "changes" && data.head > heldSeq(matchId)) syncer.kick();
  };
  ws.onclose = () => {
    if (channel?.ws !== ws) return;
    channel = null;
    const delay = Math.min(1000 * 2 ** channelFailures, 30_000) * (0.75 + Math.random() / 2);
    channelFailures += 1;
    channelRetry = setTimeout(() => {
      const r = route();
      follow(r.screen === "match" ? r.id : null);
    }, delay);
  };
}

/** @param {HTMLElement} root */
function formState(root) {
  const focused = document.activeElement instanceof HTMLElement && root.contains(document.activeElement)
    ? document.activeElement.getAttribute("name")
    : null;
  /** @type {Map<string, string | boolean>} */
  const values = new Map();
  for (const field of root.querySelectorAll("input[name], select[name]")) {
    const input = /** @type {HTMLInputElement} */ (field);
    if (input.type === "radio") values.set(`${input.name}=${input.value}`, input.checked);
    else values.set(input.name, input.value);
  }
  return { focused, values };
}

/** @param {HTMLElement} root @param {ReturnType<typeof formState>} state */
function restoreFormState(root, state) {
  for (const field of root.querySelectorAll("input[name], select[name]")) {
    const input = /** @type {HTMLInputElement} */ (field);
    const value = state.values.get(input.type === "radio" ? `${input.name}=${input.value}` : input.name);
    if (value === undefined) continue;
    if (input.type === "radio") input.checked = Boolean(value);
    else input.value = String(value);
  }
  if (state.focused) /** @type {HTMLElement | null} */ (root.querySelector(`[name="${CSS.escape(state.focused)}"]`))?.focus();
}

function renderBar() {
  const { text, tone } = barText({
    signedIn: Boolean(snap.device),
    pending: snap.outbox.length,
    online: navigator.onLine,
    state: syncer.state,
    problem: syncer.problem,
    lastSynced: snap.lastSyncedLocal,
  });
  bar.className = `syncbar ${tone}`;
  bar.dataset.pending = String(snap.outbox.length);
  bar.textContent = text;
}

function signInScreen() {
  const error = h("p", { class: "error", role: "alert" });
  const nameField = h("label", { class: "field" }, "Your name (new account)", h("input", { name: "display_name", autocomplete: "name" }));
  /** @param {SubmitEvent} event */
  const submit = async (event) => {
    event.preventDefault();
    const form = /** @type {HTMLFormElement} */ (event.target);
    const submitter = /** @type {HTMLButtonElement | null} */ (event.submitter);
    const data = new FormData(form);
    const creating = submitter?.value === "create";
    const email = String(data.get("email") ?? "").trim();
    const password = String(data.get("password") ?? "");
    const name = String(data.get("display_name") ?? "").trim();
    error.textContent = "";
    if (creating && !name) {
      error.textContent = "Enter your name to create an account.";
      return;
    }
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    try {
      if (creating) await api("POST", "/api/accounts", { email, password, display_name: name });
      const login = await api("POST", "/api/auth/login", { email, password });
      const device = await api("POST", "/api/devices", { name: deviceName() }, login.access_token);
      await db.adoptDevice({ id: device.id, token: device.token, name: device.name, email }, 0);
      drawnKey = "";
      await refresh();
      syncer.kick();
    } catch (failure) {
      error.textContent = failure instanceof Error ? failure.message : String(failure);
    } finally {
      for (const button of form.querySelectorAll("button")) button.disabled = false;
    }
  };
  return h(
    "section",
    { class: "screen signin" },
    h("h1", null, "Touchline"),
    h("p", { class: "lead" }, "Log your matches pitch-side, with or without signal."),
    h(
      "form",
      { onsubmit: submit },
      h("label", { class: "field" }, "Email", h("input", { name: "email", type: "email", required: true, autocomplete: "username" })),
      h("label", { class: "field" }, "Password", h("input", { name: "password", type: "password", required: true, minlength: 8, autocomplete: "current-password" })),
      nameField,
      error,
      h("button", { class: "primary big", type: "submit", value: "login" }, "Sign in"),
      h("button", { class: "secondary", type: "submit", value: "create" }, "Create account"),
    ),
    installHint(),
  );
}

function homeScreen() {
  const teams = [...v.teams.values()].sort((a, b) => a.name.localeCompare(b.name));
  const error = h("p", { class: "error", role: "alert" });
  /** @param {SubmitEvent} event */
  const addTeam = async (event) => {
    event.preventDefault();
    const form = /** @type {HTMLFormElement} */ (event.target);
    const name = String(new FormData(form).get("name") ?? "").trim();
    if (!name) return;
    try {
      await api("POST", "/api/teams", { name }, snap.device?.token);
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
    ),
  );
}

/** @param {string} teamId */
function teamScreen(teamId) {
  const team = v.teams.get(teamId);
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
    /** @type {HTMLInputElement | null} */ (app.querySelector("input[name=squad_number]"))?.focus();
  };
  return h(
    "section",
    { class: "screen" },
    backButton("#/", "Teams"),
    h("h1", null, `${team.name}: players`),
    h("ul", { class: "players" }, teamPlayers(teamId).map((p) => h("li", null, h("span", { class: "number" }, p.squad_number ?? "–"), p.display_name))),
    h(
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
  );
}

/** @param {string} teamId */
function newMatchScreen(teamId) {
  const team = v.teams.get(teamId);
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

/** @param {string} matchId */
function lineupScreen(matchId) {
  const match = v.matches.get(matchId);
  if (!match) return missing("match");
  const current = new Map((v.lineups.get(matchId) ?? []).map((s) => [s.player_id, s.role]));
  const players = teamPlayers(match.team_id);
  const save = async (/** @type {SubmitEvent} */ event) => {
    event.preventDefault();
    const data = new FormData(/** @type {HTMLFormElement} */ (event.target));
    /** @type {import("./mutations.js").LineupSlot[]} */
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

/** @param {string} matchId */
function matchScreen(matchId) {
  const match = v.matches.get(matchId);
  if (!match) return missing("match");
  const team = v.teams.get(match.team_id);
  const events = matchEvents(matchId).sort(rules.byMatchTime);
  const state = rules.foldMarkers(events, match.periods);
  const goals = rules.score(events);
  const teamName = team?.name ?? "Us";
  const [home, away] = match.is_home ? [teamName, match.opponent] : [match.opponent, teamName];
  const [homeGoals, awayGoals] = match.is_home ? [goals.team, goals.opposition] : [goals.opposition, goals.team];
  const undoable = events.filter((e) => !rules.MARKERS.has(e.kind) || e === lastMarker(events));
  const last = undoable.sort((a, b) => (a.recorded_at ?? "").localeCompare(b.recorded_at ?? "")).at(-1);
  const refused = snap.outcomes.filter((o) => outcomeMatch(o) === matchId);

  return h(
    "section",
    { class: "screen match", "data-status": state.status },
    h(
      "div",
      { class: "topline" },
      backButton("#/", "Teams"),
      h("button", { class: "secondary small", onclick: () => go(`#/lineup/${matchId}`) }, "Lineup"),
      h("button", { class: "secondary small", onclick: () => shareMatch(match, teamName) }, "Share"),
    ),
    h(
      "header",
      { class: "scoreboard", "aria-label": "Score" },
      h("h1", { class: "teams" }, h("span", { class: "home" }, home), h("span", { class: "sr-only" }, " v "), h("span", { class: "away" }, away)),
      h(
        "div",
        { class: "score", id: "score", "aria-live": "polite" },
        h("span", { "data-side": "home" }, homeGoals),
        h("span", { class: "dash" }, "–"),
        h("span", { "data-side": "away" }, awayGoals),
      ),
      h(
        "div",
        { class: "clock-line" },
        h("span", { class: "period", id: "period" }, rules.periodLabel(state, match.periods)),
        h("span", { class: "clock", id: "clock", role: "timer" }, clockText(match, state)),
      ),
    ),
    h("div", { class: "row controls" }, clockButtons(match, state), last && state.status !== "finished" && h(
      "button",
      { class: "secondary undo", onclick: () => queue(m.deleteEvent(last.id)), "aria-label": `Undo ${rules.kindLabel(last.kind)} ${rules.minuteLabel(last)}` },
      `Undo ${rules.kindLabel(last.kind)}`,
    )),
    state.status === "finished" ? lockedGrid(events) : logGrid(match),
    refused.length > 0 && h(
      "section",
      { class: "refused", role: "alert" },
      h("h2", null, "Not saved"),
      refused.map((o) =>
        h(
          "div",
          { class: "refused-item" },
          h("p", null, h("strong", null, describeCommand(o)), ` — ${refusalText(o, state.status)}`),
          h("button", { class: "secondary small", onclick: async () => { await db.dismissOutcome(o.id); await refresh(); } }, "Dismiss"),
        ),
      ),
    ),
    h("h2", { class: "timeline-title" }, "Timeline"),
    h(
      "ol",
      { class: "timeline", reversed: true },
      [...events].reverse().map((e) => timelineItem(match, e)),
    ),
    events.length === 0 && h("p", { class: "lead" }, "Nothing logged yet. Tap Kick-off when the whistle goes."),
  );
}

/** The Goal button and the grid under it. @param {Match} match */
function logGrid(match) {
  return [
    h("button", { class: "primary goal", onclick: () => logKind(match, "goal") }, "Goal"),
    h(
      "div",
      { class: "grid" },
      GRID.map((kind) => {
        const label = rules.kindLabel(kind);
        const shown = SHORT[kind] ?? label;
        // The spoken name must contain the words shown: "Yellow" may say "Yellow card",
        // but "Intercept" cannot become "Interception".
        return h("button", { class: `kind kind-${kind}`, onclick: () => logKind(match, kind), "aria-label": label.startsWith(`${shown} `) ? label : null }, shown);
      }),
    ),
  ];
}

/**
 * After full-time nothing more can be logged until the coach reopens the match, which
 * removes the full-time marker (the same undo the server allows for the latest marker).
 * @param {MatchEvent[]} events
 */
function lockedGrid(events) {
  const whistle = lastMarker(events);
  return h(
    "section",
    { class: "locked card" },
    h("p", null, "Full-time: logging is closed. Edit an event from the timeline, or reopen the match to log more."),
    whistle && h("button", { class: "secondary", onclick: async () => {
      await queue(m.deleteEvent(whistle.id));
      toast("Match reopened");
    } }, "Reopen match"),
  );
}

/** @param {MatchEvent[]} events */
function lastMarker(events) {
  return events.filter((e) => rules.MARKERS.has(e.kind)).at(-1);
}

/** @param {import("./db.js").Outcome} outcome */
function outcomeMatch(outcome) {
  if (outcome.args.match_id) return outcome.args.match_id;
  const eventId = m.eventIdOf(outcome);
  return eventId ? v.events.get(eventId)?.match_id : undefined;
}

/** @param {import("./db.js").Outcome} outcome */
function describeCommand(outcome) {
  if (outcome.name === "add_event") return `${rules.kindLabel(outcome.args.kind)} ${rules.minuteLabel(/** @type {MatchEvent} */ (outcome.args))}`;
  return outcome.name.replace("_", " ");
}

/** @param {Match} match @param {MatchEvent} e */
function timelineItem(match, e) {
  const status = eventStatus(e.id);
  const isMarker = rules.MARKERS.has(e.kind);
  const who = whoText(match, e);
  // The button is named by its visible text (the spaces keep the words apart).
  return h(
    "li",
    { class: `event ${isMarker ? "marker" : ""} kind-${e.kind}`, "data-event-id": e.id, "data-status": status },
    h(
      "button",
      { class: "event-button", onclick: () => editEvent(match, e) },
      h("span", { class: "minute" }, rules.minuteLabel(e)),
      " ",
      h("span", { class: "what" }, h("strong", null, rules.kindLabel(e.kind)), who ? ` ${who}` : ""),
      " ",
      h("span", { class: `badge ${status.replace(" ", "-")}` }, status === "confirmed" && h("span", { "aria-hidden": "true" }, "✓ "), status),
    ),
  );
}

/** Who an event names, as the timeline shows it ("" for our team, unnamed).
 * @param {Match} match @param {MatchEvent} e */
function whoText(match, e) {
  if (e.side === "opposition") return match.opponent;
  const name = (/** @type {string | null} */ id) => playerName(v.players.get(id ?? ""));
  return e.kind === "substitution" ? `${name(e.player_id)} on for ${name(e.replaced_player_id)}` : name(e.player_id);
}

/** @param {Match} match @param {ReturnType<typeof rules.foldMarkers>} state */
function clockButtons(match, state) {
  const marker = (/** @type {string} */ kind, /** @type {string} */ label, cls = "primary clock-button") =>
    h("button", { class: cls, onclick: () => logMarker(match, kind) }, label);
  if (state.status === "scheduled") return marker("kick_off", "Kick-off");
  if (state.status === "live") {
    // Full-time is offered only where it is expected: a mis-tap must not end a match.
    return state.period < match.periods
      ? marker("half_time", match.periods === 2 ? "Half-time" : "End of period")
      : marker("full_time", "Full-time");
  }
  if (state.status === "interval") {
    return [marker("kick_off", state.period + 1 === 2 && match.periods === 2 ? "Start 2nd half" : `Start period ${state.period + 1}`), marker("full_time", "Full-time", "secondary small")];
  }
  return h("p", { class: "finished" }, "Full-time");
}

/** @param {Match} match @param {ReturnType<typeof rules.foldMarkers>} state */
function clockText(match, state) {
  return rules.clockDisplay(rules.clockSeconds(state, state.periodStartedAt, Date.now(), match.period_minutes));
}

// --- logging -----------------------------------------------------------------------------

/** @param {Match} match @param {string} kind */
async function logMarker(match, kind) {
  const state = matchState(match);
  const pm = match.period_minutes;
  const period = kind === "kick_off" ? state.period + 1 : state.period;
  const at =
    kind === "kick_off"
      ? { period, minute: Math.min((period - 1) * pm, MAX_MINUTE), stoppage: 0 }
      : rules.minuteNow(state, state.periodStartedAt, Date.now(), pm);
  await logged(match, m.addEvent({ match_id: match.id, kind, side: "team", ...at }));
  if (kind === "kick_off") askForPersistentStorage();
}

/**
 * @param {Match} match @param {string} kind
 * @param {{ side: "team" | "opposition", player_id?: string | null, replaced_player_id?: string | null }} who
 */
async function logEvent(match, kind, who) {
  const state = matchState(match);
  const at = rules.minuteNow(state, state.periodStartedAt, Date.now(), match.period_minutes);
  await logged(match, m.addEvent({ match_id: match.id, kind, ...at, ...who }));
}

/** What a queued event's arguments may leave out, as the server would default it. */
const UNNAMED = /** @type {const} */ ({ side: "team", player_id: null, replaced_player_id: null });
const NO_STOPPAGE = /** @type {const} */ ({ stoppage: 0 });

/**
 * Queue a new event and confirm it near the thumb, with an Undo that names it.
 * @param {Match} match @param {import("./mutations.js").Command} command
 */
async function logged(match, command) {
  await queue(command);
  const event = /** @type {MatchEvent} */ (command.args);
  const who = whoText(match, { ...UNNAMED, ...event });
  const what = `${rules.kindLabel(event.kind)} ${rules.minuteLabel({ ...NO_STOPPAGE, ...event })}${who ? ` · ${who}` : ""}`;
  toast(`${what} logged`, { label: "Undo", name: `Undo ${what}`, run: () => queue(m.deleteEvent(event.id)) });
}

/** @param {Match} match @param {string} kind */
function logKind(match, kind) {
  if (matchState(match).status === "scheduled") {
    offerKickOff(match, kind);
    return;
  }
  const { onPitch, bench } = squad(match);
  const label = rules.kindLabel(kind);
  if (kind === "substitution") {
    pick(`${label}: who comes off?`, onPitch, { opposition: true }, (off) => {
      if (off === "opposition") return logEvent(match, kind, { side: "opposition" });
      pick(`${label}: who comes on for ${playerName(v.players.get(off ?? ""))}?`, bench.filter((p) => p.id !== off), {}, (on) =>
        on && on !== "opposition" ? logEvent(match, kind, { side: "team", player_id: on, replaced_player_id: off }) : undefined,
      );
    });
    return;
  }
  const title = kind === "own_goal" ? "Own goal: whose player?" : `${label}: who?`;
  pick(title, onPitch, { opposition: true, nobody: true }, (choice) =>
    logEvent(match, kind, choice === "opposition" ? { side: "opposition" } : { side: "team", player_id: choice }),
  );
}

/**
 * Nothing happens before kick-off (the server refuses it too): the first tap on a match
 * that has not started offers to start it now, then carries on with the tap.
 * @param {Match} match @param {string} kind
 */
function offerKickOff(match, kind) {
  openSheet(
    h("h2", { id: "sheet-title" }, "The match has not kicked off"),
    h("p", null, `Kick off now, then log the ${rules.kindLabel(kind).toLowerCase()}?`),
    h("button", { class: "primary big", onclick: async () => {
      await logMarker(match, "kick_off");
      logKind(match, kind);
    } }, "Kick off now"),
    h("button", { class: "secondary cancel", onclick: () => sheet.close() }, "Cancel"),
  );
}

/**
 * Open the player sheet; `then` receives a player id, "opposition", or null (our team,
 * no player named).
 * @param {string} title @param {Player[]} players
 * @param {{ opposition?: boolean, nobody?: boolean }} options
 * @param {(choice: string | null) => unknown} then
 */
function pick(title, players, options, then) {
  // The sheet closes once the tap is on disk and on screen, so a quick next tap (Undo)
  // always sees it.
  const choose = async (/** @type {string | null} */ choice) => {
    await then(choice);
    if (sheet.dataset.title === title) sheet.close();
  };
  openSheet(
    h("h2", { id: "sheet-title" }, title),
    h(
      "div",
      { class: "players-grid" },
      players.map((p) =>
        h(
          "button",
          { class: "player", onclick: () => choose(p.id) },
          h("span", { class: "number" }, p.squad_number ?? "–"),
          " ",
          h("span", { class: "name" }, p.display_name),
        ),
      ),
    ),
    options.opposition && h("button", { class: "opposition", onclick: () => choose("opposition") }, "Opposition"),
    options.nobody && h("button", { class: "secondary", onclick: () => choose(null) }, "Our team, no name"),
    h("button", { class: "secondary cancel", onclick: () => sheet.close() }, "Cancel"),
  );
}

/** @param {...any} content */
function openSheet(...content) {
  const heading = content.find((c) => c instanceof HTMLElement && c.id === "sheet-title");
  sheet.dataset.title = heading?.textContent ?? "";
  sheet.replaceChildren(h("div", { class: "sheet-body" }, ...content));
  sheet.setAttribute("aria-labelledby", "sheet-title");
  if (!sheet.open) sheet.showModal();
}

/** @param {Match} match @param {MatchEvent} event */
function editEvent(match, event) {
  if (rules.MARKERS.has(event.kind)) {
    const isLatest = lastMarker(matchEvents(match.id).sort(rules.byMatchTime))?.id === event.id;
    openSheet(
      h("h2", { id: "sheet-title" }, `${rules.kindLabel(event.kind)} ${rules.minuteLabel(event)}`),
      h("p", null, isLatest ? "Remove this clock marker to undo it." : "Only the latest clock marker can be removed."),
      isLatest && h("button", { class: "danger", onclick: async () => { sheet.close(); await queue(m.deleteEvent(event.id)); } }, "Remove"),
      h("button", { class: "secondary cancel", onclick: () => sheet.close() }, "Cancel"),
    );
    return;
  }
  const players = teamPlayers(match.team_id);
  /** @param {SubmitEvent} submit */
  const save = async (submit) => {
    submit.preventDefault();
    const data = new FormData(/** @type {HTMLFormElement} */ (submit.target));
    const who = String(data.get("who"));
    /** @type {Record<string, any>} */
    const next = {
      kind: String(data.get("kind")),
      side: who === "opposition" ? "opposition" : "team",
      player_id: who === "opposition" || who === "" ? null : who,
      minute: Number(data.get("minute")),
      stoppage: Number(data.get("stoppage")),
      note: String(data.get("note") ?? "").trim() || null,
    };
    if (next.kind !== "substitution") next.replaced_player_id = null;
    /** @type {Record<string, any>} */
    const changes = {};
    for (const [key, value] of Object.entries(next)) {
      if (/** @type {any} */ (event)[key] !== value) changes[key] = value;
    }
    sheet.close();
    if (Object.keys(changes).length) await queue(m.editEvent(event.id, changes));
  };
  const currentWho = event.side === "opposition" ? "opposition" : (event.player_id ?? "");
  openSheet(
    h("h2", { id: "sheet-title" }, `Edit ${rules.kindLabel(event.kind)} ${rules.minuteLabel(event)}`),
    h(
      "form",
      { onsubmit: save },
      h(
        "label",
        { class: "field" },
        "What",
        h(
          "select",
          { name: "kind" },
          ["goal", ...GRID].map((kind) => h("option", { value: kind, selected: kind === event.kind }, rules.kindLabel(kind))),
        ),
      ),
      h(
        "label",
        { class: "field" },
        "Who",
        h(
          "select",
          { name: "who" },
          h("option", { value: "", selected: currentWho === "" }, "Our team, no name"),
          players.map((p) => h("option", { value: p.id, selected: currentWho === p.id }, playerName(p))),
          h("option", { value: "opposition", selected: currentWho === "opposition" }, "Opposition"),
        ),
      ),
      h(
        "div",
        { class: "row" },
        h("label", { class: "field" }, "Minute", h("input", { name: "minute", type: "number", min: 0, max: MAX_MINUTE, value: event.minute, inputmode: "numeric" })),
        h("label", { class: "field" }, "Added time", h("input", { name: "stoppage", type: "number", min: 0, max: MAX_STOPPAGE, value: event.stoppage, inputmode: "numeric" })),
      ),
      h("label", { class: "field" }, "Note", h("input", { name: "note", maxlength: MAX_NOTE_LENGTH, value: event.note ?? "" })),
      h("button", { class: "primary", type: "submit" }, "Save"),
    ),
    h("button", { class: "danger", onclick: async () => { sheet.close(); await queue(m.deleteEvent(event.id)); } }, "Delete event"),
    h("button", { class: "secondary cancel", onclick: () => sheet.close() }, "Cancel"),
  );
}

// --- the phone: share, storage, wake lock, install -------------------------------------

/** @param {Match} match @param {string} teamName */
async function shareMatch(match, teamName) {
  /** @type {string} */
  let url;
  try {
    const link = await api("GET", `/api/matches/${match.id}/share`, undefined, snap.device?.token);
    url = `${location.origin}/watch#${link.token}`;
  } catch (failure) {
    const message = !navigator.onLine
      ? "Sharing needs a connection. Try again when you have signal."
      : /** @type {any} */ (failure)?.status === 404
        ? "This match has not reached the server yet. Wait for it to sync, then share."
        : String(/** @type {Error} */ (failure).message);
    openSheet(h("h2", { id: "sheet-title" }, "Share"), h("p", { role: "alert" }, message), h("button", { class: "secondary cancel", onclick: () => sheet.close() }, "Close"));
    return;
  }
  const title = `${teamName} vs ${match.opponent}`;
  if (navigator.share) {
    try {
      await navigator.share({ title, text: `Follow ${title} live`, url });
      return;
    } catch (error) {
      if (/** @type {DOMException} */ (error).name === "AbortError") return;
    }
  }
  let copied = false;
  try {
    await navigator.clipboard.writeText(url);
    copied = true;
  } catch {
    // no clipboard permission: the link is shown to copy by hand
  }
  openSheet(
    h("h2", { id: "sheet-title" }, "Share this match"),
    h("p", null, copied ? "Link copied. Send it to the families:" : "Copy this link and send it to the families:"),
    h("input", { class: "share-url", readonly: true, value: url, "aria-label": "Watch link", onfocus: (/** @type {FocusEvent} */ e) => /** @type {HTMLInputElement} */ (e.target).select() }),
    h("button", { class: "secondary cancel", onclick: () => sheet.close() }, "Done"),
  );
}

async function askForPersistentStorage() {
  if (!navigator.storage?.persist || (await db.getMeta("persistAsked"))) return;
  await db.setMeta("persistAsked", true);
  await navigator.storage.persist().catch(() => false);
}

/** @param {boolean} wanted */
async function keepAwake(wanted) {
  const wl = /** @type {any} */ (navigator).wakeLock;
  if (!wl) return;
  if (wanted && !wakeLock && document.visibilityState === "visible") {
    try {
      wakeLock = await wl.request("screen");
      wakeLock.addEventListener("release", () => {
        wakeLock = null;
      });
    } catch {
      wakeLock = null; // refused (battery saver); the match goes on regardless
    }
  } else if (!wanted && wakeLock) {
    const lock = wakeLock;
    wakeLock = null;
    await lock.release().catch(() => {});
  }
}

function installHint() {
  const standalone = matchMedia("(display-mode: standalone)").matches || /** @type {any} */ (navigator).standalone;
  if (standalone || localStorage.getItem("installHintDismissed")) return null;
  const dismiss = (/** @type {Event} */ e) => {
    localStorage.setItem("installHintDismissed", "1");
    /** @type {HTMLElement} */ (/** @type {HTMLElement} */ (e.target).closest(".install"))?.remove();
  };
  if (/iphone|ipad|ipod/i.test(navigator.userAgent)) {
    return h(
      "aside",
      { class: "install" },
      h("p", null, "Install Touchline: tap ", h("strong", null, "Share"), " then ", h("strong", null, "Add to Home Screen"), ". It then opens with no signal."),
      h("button", { class: "link", onclick: dismiss }, "Not now"),
    );
  }
  if (installPrompt) {
    return h(
      "aside",
      { class: "install" },
      h("p", null, "Install Touchline on this phone so it opens with no signal."),
      h("button", { class: "secondary", onclick: async () => { await installPrompt.prompt(); installPrompt = null; render(); } }, "Install"),
      h("button", { class: "link", onclick: dismiss }, "Not now"),
    );
  }
  return null;
}

async function signOut() {
  try {
    await db.signOut();
    drawnKey = "";
    go("#/");
    await refresh();
  } catch (failure) {
    alert(/** @type {Error} */ (failure).message);
  }
}

/** @param {string} kind */
function missing(kind) {
  return h("section", { class: "screen" }, backButton("#/", "Teams"), h("p", { class: "lead" }, `This ${kind} is not on this phone (yet). It appears after the next sync.`));
}

/** @param {string} hash @param {string} label */
function backButton(hash, label) {
  return h("button", { class: "back secondary small", onclick: () => go(hash), "aria-label": `Back to ${label}` }, `‹ ${label}`);
}

function deviceName() {
  const ua = navigator.userAgent;
  const kind = /iphone/i.test(ua) ? "iPhone" : /ipad/i.test(ua) ? "iPad" : /android/i.test(ua) ? "Android phone" : "browser";
  return `Touchline on ${kind}`;
}

/**
 * A JSON request to the API; throws an Error carrying the server's message and status.
 * @param {string} method @param {string} path @param {any} [body] @param {string} [token]
 */
async function api(method, path, body, token) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(data?.error?.message ?? `The server answered ${response.status}`);
    Object.assign(error, { status: response.status });
    throw error;
  }
  return data;
}

// --- start -------------------------------------------------------------------------------

addEventListener("hashchange", () => {
  if (sheet.open) sheet.close();
  render();
});
syncer.addEventListener("data", () => void refresh());
syncer.addEventListener("change", renderBar);
addEventListener("online", () => {
  renderBar();
  channelFailures = 0;
  const r = route();
  if (!channel && r.screen === "match") follow(r.id);
});
addEventListener("offline", renderBar);
addEventListener("beforeinstallprompt", (event) => {
  event.preventDefault();
  installPrompt = event;
  render();
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") render();
});
sheet.addEventListener("click", (event) => {
  if (event.target === sheet) sheet.close();
});
setInterval(() => {
  const r = route();
  const clock = document.getElementById("clock");
  if (r.screen !== "match" || !clock) return;
  const match = v.matches.get(r.id);
  if (match) clock.textContent = clockText(match, matchState(match));
}, 1000);

if ("serviceWorker" in navigator) {
  const hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!hadController) return;
    const banner = document.getElementById("update");
    if (banner) banner.hidden = false;
  });
}
document.getElementById("update-reload")?.addEventListener("click", () => location.reload());

await refresh();
syncer.start();
