// @ts-check
/**
 * The server's verdicts in a coach's words. The codes are sync_protocol/SPEC.md's
 * ("Verdicts and error codes"); an unknown code falls back to what its verdict means.
 */

/** @type {Record<string, string>} */
const WORDS = {
  match_finished: "This match is already finished: it was logged after full-time.",
  match_not_started: "The match had not kicked off yet.",
  marker_not_latest: "Only the latest whistle can be undone.",
  marker_immutable: "A whistle cannot be changed: remove it and log it again.",
  event_deleted: "This event was deleted on another phone.",
  unknown_player: "That player is no longer in the squad.",
  not_found: "The match or event no longer exists.",
  id_in_use: "This could not be saved. Log it again.",
  invalid: "This could not be saved: some of its details were not accepted.",
  read_only: "You can see this team but not change it: ask its owner to make you a coach.",
};

/** @type {Record<string, string>} */
const WHISTLE = {
  kick_off: "This period had already kicked off on another phone.",
  half_time: "The break had already been logged on another phone.",
  full_time: "The match was not in play, so full-time was not logged.",
};

/**
 * @param {import("./db.js").Outcome} outcome
 * @param {import("./rules.js").Status | undefined} status the match's status now
 */
export function refusalText(outcome, status) {
  const code = outcome.error?.code ?? "";
  // The server's message names the team ("You were removed from Reds U10").
  if (code === "no_access") return outcome.error?.message ?? "You are no longer in this team.";
  if (code === "transition_refused") {
    if (status === "finished") return "This match is already finished.";
    return WHISTLE[outcome.args.kind] ?? "Another phone moved the match clock on first.";
  }
  return WORDS[code] ?? (outcome.verdict === "conflict" ? "Another phone changed this first." : "The server could not accept this.");
}

/** @type {Record<import("./rules.js").EventRefusal, string>} */
const NOT_LOGGED = {
  match_not_started: "Not logged: the match has not kicked off yet. Log the kick-off first.",
  match_finished: "Not logged: that is after full-time. Reopen the match to log more.",
};

/**
 * What the coach is told instead of queuing an event or an edit the server would refuse
 * (rules.checkEventTime's code).
 * @param {import("./rules.js").EventRefusal} code
 */
export function notLoggedText(code) {
  return NOT_LOGGED[code];
}
