// @ts-check
/**
 * Logging pitch-side: the Goal button and the grid under it, the clock's markers, and the
 * player sheet. Every tap is queued in the outbox first and shown at once (store.queue),
 * then confirmed near the thumb with an Undo.
 */

import { h } from "../dom.js";
import * as m from "../mutations.js";
import { askForPersistentStorage } from "../phone.js";
import { MAX_MINUTE } from "../protocol.js";
import { notLoggedText } from "../refusals.js";
import * as rules from "../rules.js";
import { eventRefusal, matchState, playerName, queue, squad, store, whoText } from "../store.js";
import { toast } from "../toast.js";
import { closeButton, openSheet, sheet } from "./sheet.js";

/**
 * @typedef {import("../mutations.js").Player} Player
 * @typedef {import("../mutations.js").Match} Match
 * @typedef {import("../rules.js").MatchEvent} MatchEvent
 */

// The grid under the Goal button, in the order a coach reaches for them: four rows of
// four, so every kind is one tap away on a phone and each button stays a thumb wide.
export const GRID = [
  "assist", "save", "shot_on_target", "shot_off_target",
  "tackle", "key_pass", "interception", "foul",
  "free_kick", "corner", "penalty", "ball_out",
  "yellow_card", "red_card", "substitution", "own_goal",
];

/** @type {Record<string, string>} */
const SHORT = { interception: "Intercept", substitution: "Sub", yellow_card: "Yellow", red_card: "Red" };

/** The Goal button and the grid under it. @param {Match} match */
export function logGrid(match) {
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

/** @param {MatchEvent[]} events */
export function lastMarker(events) {
  return events.filter((e) => rules.MARKERS.has(e.kind)).at(-1);
}

/** @param {Match} match @param {string} kind */
export async function logMarker(match, kind) {
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
 * @typedef {{ side: "team" | "opposition", player_id?: string | null,
 *   replaced_player_id?: string | null, assist_player_id?: string | null }} Who
 * @typedef {ReturnType<typeof rules.eventTimeNow>} At
 */

/**
 * When an event tapped now happens, or null (and the coach told why) where the server
 * would refuse it: the match may have moved on (another phone's full-time) while the sheet
 * was open.
 * @param {Match} match @param {string} kind @returns {At | null}
 */
function timeNow(match, kind) {
  const state = matchState(match);
  const at = rules.eventTimeNow(kind, state, state.periodStartedAt, Date.now(), match);
  return refused(match, at) ? null : at;
}

/** @param {Match} match @param {At} at */
function refused(match, at) {
  const refusal = eventRefusal(match, at);
  if (refusal) toast(notLoggedText(refusal));
  return refusal !== null;
}

/** @param {Match} match @param {string} kind @param {Who} who @param {At | null} [when] */
async function logEvent(match, kind, who, when) {
  const at = when ?? timeNow(match, kind);
  // A time taken earlier (the scorer's tap) is checked again: the match may have ended since.
  if (!at || (when && refused(match, when))) return;
  await logged(match, m.addEvent({ match_id: match.id, kind, ...at, ...who }));
}

/** What a queued event's arguments may leave out, as the server would default it. */
const UNNAMED = /** @type {const} */ ({ side: "team", player_id: null, replaced_player_id: null });
const NO_STOPPAGE = /** @type {const} */ ({ stoppage: 0 });

/**
 * Queue a new event and confirm it near the thumb, with an Undo that names it.
 * @param {Match} match @param {import("../mutations.js").Command} command
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
      pick(`${label}: who comes on for ${playerName(store.view.players.get(off ?? ""))}?`, bench.filter((p) => p.id !== off), {}, (on) =>
        on && on !== "opposition" ? logEvent(match, kind, { side: "team", player_id: on, replaced_player_id: off }) : undefined,
      );
    });
    return;
  }
  const title = kind === "own_goal" ? "Own goal: whose player?" : `${label}: who?`;
  pick(title, onPitch, { opposition: true, nobody: true }, (choice) => {
    if (choice === "opposition") return logEvent(match, kind, { side: "opposition" });
    if (kind === "goal" && choice !== null) return pickAssist(match, choice);
    return logEvent(match, kind, { side: "team", player_id: choice });
  });
}

/**
 * A goal of ours with a named scorer: the same sheet asks who assisted it, from the players
 * on the pitch but the scorer, with "No assist" one tap away. The goal keeps the time of
 * the scorer's tap.
 *
 * A goal is never lost by a stray tap: the sheet dismissed any way but "Cancel goal"
 * (Escape, a tap beside it, leaving the screen) logs the goal without an assist.
 * @param {Match} match @param {string} scorer
 */
function pickAssist(match, scorer) {
  const at = timeNow(match, "goal");
  if (!at) return;
  const name = playerName(store.view.players.get(scorer));
  const title = `Goal · ${name} — assisted by?`;
  const others = squad(match).onPitch.filter((p) => rules.checkAssist("goal", "team", scorer, p.id) === null);
  let settled = false;
  const log = (/** @type {string | null} */ assist) => {
    settled = true;
    return logEvent(match, "goal", { side: "team", player_id: scorer, assist_player_id: assist }, at);
  };
  pick(title, others, { noAssist: true, cancel: "Cancel goal", cancelled: () => (settled = true) }, log);
  sheet.addEventListener("close", () => {
    if (!settled && sheet.dataset.title === title) void log(null);
  }, { once: true });
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
    closeButton("Cancel"),
  );
}

/**
 * Open the player sheet; `then` receives a player id, "opposition", or null (our team,
 * no player named; no assist).
 * @param {string} title @param {Player[]} players
 * @param {{ opposition?: boolean, nobody?: boolean, noAssist?: boolean, cancel?: string,
 *   cancelled?: () => void }} options the cancel button's label, and what it does first
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
    options.noAssist && h("button", { class: "primary no-assist", onclick: () => choose(null) }, "No assist"),
    closeButton(options.cancel ?? "Cancel", options.cancelled),
  );
}
