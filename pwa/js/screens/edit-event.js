// @ts-check
/**
 * The sheet for one event of the timeline: change what, who, when or the note, or delete
 * it. A clock marker can only be removed, and only the latest (as the server allows).
 */

import { h } from "../dom.js";
import * as m from "../mutations.js";
import { MAX_MINUTE, MAX_NOTE_LENGTH, MAX_STOPPAGE } from "../protocol.js";
import { notLoggedText } from "../refusals.js";
import * as rules from "../rules.js";
import { eventRefusal, FORMER_PLAYER, matchEvents, playerName, queue, teamPlayers } from "../store.js";
import { GRID, lastMarker } from "./logging.js";
import { closeButton, openSheet, sheet } from "./sheet.js";

/** @param {import("../mutations.js").Match} match @param {import("../rules.js").MatchEvent} event */
export function editEvent(match, event) {
  const remove = async () => {
    sheet.close();
    await queue(m.deleteEvent(event.id));
  };
  if (rules.MARKERS.has(event.kind)) {
    const isLatest = lastMarker(matchEvents(match.id).sort(rules.byMatchTime))?.id === event.id;
    openSheet(
      h("h2", { id: "sheet-title" }, `${rules.kindLabel(event.kind)} ${rules.minuteLabel(event)}`),
      h("p", null, isLatest ? "Remove this clock marker to undo it." : "Only the latest clock marker can be removed."),
      isLatest && h("button", { class: "danger", onclick: remove }, "Remove"),
      closeButton("Cancel"),
    );
    return;
  }
  const players = teamPlayers(match.team_id);
  /** @param {SubmitEvent} submit */
  const save = async (submit) => {
    submit.preventDefault();
    const data = new FormData(/** @type {HTMLFormElement} */ (submit.target));
    const what = whatAndWho(data);
    /** @type {Record<string, any>} */
    const next = {
      ...what,
      minute: Number(data.get("minute")),
      stoppage: Number(data.get("stoppage")),
      note: String(data.get("note") ?? "").trim() || null,
    };
    if (next.kind !== "substitution") next.replaced_player_id = null;
    // Only a goal of ours has an assist, and never by its scorer: the server refuses the rest.
    const assist = String(data.get("assist") ?? "") || null;
    next.assist_player_id = hasAssist(what) && rules.checkAssist(what.kind, what.side, what.player_id, assist) === null ? assist : null;
    const refusal = eventRefusal(match, { period: event.period, minute: next.minute, stoppage: next.stoppage });
    if (refusal) {
      warning.textContent = notLoggedText(refusal);
      warning.hidden = false;
      return;
    }
    /** @type {Record<string, any>} */
    const changes = {};
    for (const [key, value] of Object.entries(next)) {
      // A field the phone never heard of (an event from an older sync) counts as null.
      if ((/** @type {any} */ (event)[key] ?? null) !== value) changes[key] = value;
    }
    sheet.close();
    if (Object.keys(changes).length) await queue(m.editEvent(event.id, changes));
  };
  // Where an edit the server would refuse is explained; the sheet stays open to fix it.
  const warning = h("p", { class: "error", role: "alert", hidden: true });
  /**
   * A field choosing one of the team's players, between the choices given before and after.
   * @param {string} label @param {string} name @param {string} current
   * @param {[string, string][]} before @param {[string, string][]} after
   */
  const playerField = (label, name, current, before, after = []) => {
    const option = (/** @type {string} */ value, /** @type {string} */ text) => h("option", { value, selected: current === value }, text);
    // A player the phone no longer holds (deleted or erased) stays chosen, so saving
    // another change never quietly unnames the event.
    const known = [...before, ...after].some(([v]) => v === current) || players.some((p) => p.id === current);
    const former = known ? [] : [option(current, FORMER_PLAYER)];
    return h(
      "label",
      { class: "field" },
      label,
      h("select", { name }, [...before.map(([v, t]) => option(v, t)), ...former, ...players.map((p) => option(p.id, playerName(p))), ...after.map(([v, t]) => option(v, t))]),
    );
  };
  const currentWho = event.side === "opposition" ? "opposition" : (event.player_id ?? "");
  // Shown only while the form describes a goal of ours with a scorer.
  const assistField = playerField("Assisted by", "assist", event.assist_player_id ?? "", [["", "No assist"]]);
  /** @param {HTMLFormElement} form */
  const showAssist = (form) => {
    assistField.hidden = !hasAssist(whatAndWho(new FormData(form)));
  };
  assistField.hidden = !hasAssist(event);
  openSheet(
    h("h2", { id: "sheet-title" }, `Edit ${rules.kindLabel(event.kind)} ${rules.minuteLabel(event)}`),
    h(
      "form",
      { onsubmit: save, onchange: (/** @type {Event} */ e) => showAssist(/** @type {HTMLFormElement} */ (e.currentTarget)) },
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
      playerField("Who", "who", currentWho, [["", "Our team, no name"]], [["opposition", "Opposition"]]),
      assistField,
      h(
        "div",
        { class: "row" },
        h("label", { class: "field" }, "Minute", h("input", { name: "minute", type: "number", min: 0, max: MAX_MINUTE, value: event.minute, inputmode: "numeric" })),
        h("label", { class: "field" }, "Added time", h("input", { name: "stoppage", type: "number", min: 0, max: MAX_STOPPAGE, value: event.stoppage, inputmode: "numeric" })),
      ),
      h("label", { class: "field" }, "Note", h("input", { name: "note", maxlength: MAX_NOTE_LENGTH, value: event.note ?? "" })),
      warning,
      h("button", { class: "primary", type: "submit" }, "Save"),
    ),
    h("button", { class: "danger", onclick: remove }, "Delete event"),
    closeButton("Cancel"),
  );
}

/**
 * The kind and who of the edit form.
 * @param {FormData} data
 * @returns {{ kind: string, side: "team" | "opposition", player_id: string | null }}
 */
function whatAndWho(data) {
  const who = String(data.get("who"));
  return {
    kind: String(data.get("kind")),
    side: who === "opposition" ? "opposition" : "team",
    player_id: who === "opposition" || who === "" ? null : who,
  };
}

/**
 * Whether an event can name an assist: a goal of ours with its scorer named.
 * @param {{ kind: string, side: string, player_id: string | null }} e
 */
function hasAssist(e) {
  return e.kind === "goal" && e.side === "team" && e.player_id !== null;
}
