// @ts-check
/**
 * Sharing a match with the families: the server makes the watch link (it needs a
 * connection, and the match on the server); the phone's share sheet sends it, or the link
 * is copied, or shown to copy by hand.
 *
 * After full-time, Share offers "Send the result" instead: a link of its own, lasting as
 * long as the coach chooses (up to a season) and showing the players as they choose, in
 * the form a group chat previews with the score (/watch?t=<token>).
 */

import { api } from "../api.js";
import { h } from "../dom.js";
import { store } from "../store.js";
import { closeButton, openSheet } from "./sheet.js";

/** How long a result link lasts, in hours (the server allows up to 366 days). */
const LASTS = [
  ["168", "A week"],
  ["720", "A month"],
  ["8784", "The season (a year)"],
];
const NAMES = [
  ["first_names", "Numbers and first names"],
  ["initials", "Numbers and initials"],
  ["full_names", "Full names"],
];

/**
 * @param {import("../mutations.js").Match} match @param {string} teamName
 * @param {boolean} [finished] whether the match has reached full-time
 */
export async function shareMatch(match, teamName, finished = false) {
  if (finished) return offerResult(match, teamName);
  /** @type {string} */
  let url;
  try {
    const link = await api("GET", `/api/matches/${match.id}/share`, undefined, store.snap.device?.token);
    url = `${location.origin}/watch#${link.token}`;
  } catch (failure) {
    return failed(failure);
  }
  const title = `${teamName} vs ${match.opponent}`;
  await send(url, title, `Follow ${title} live`, "Share this match");
}

/** The full-time sheet: how long the result link lasts and how it names the players. */
function offerResult(/** @type {import("../mutations.js").Match} */ match, /** @type {string} */ teamName) {
  /** @param {string} name @param {string} label @param {string[][]} options @param {string} chosen */
  const choice = (name, label, options, chosen) =>
    h(
      "label",
      { class: "field" },
      label,
      h("select", { name }, options.map(([value, text]) => h("option", { value, selected: value === chosen }, text))),
    );
  const form = h(
    "form",
    {
      class: "result-form",
      onsubmit: async (/** @type {SubmitEvent} */ e) => {
        e.preventDefault();
        const data = new FormData(/** @type {HTMLFormElement} */ (e.target));
        const body = { expires_in_hours: Number(data.get("lasts")), names: String(data.get("names")) };
        /** @type {string} */
        let url;
        try {
          const link = await api("POST", `/api/matches/${match.id}/share-links`, body, store.snap.device?.token);
          url = `${location.origin}${link.result_path}`;
        } catch (failure) {
          return failed(failure);
        }
        const title = `${teamName} vs ${match.opponent}`;
        await send(url, title, `The result: ${title}`, "Send the result");
      },
    },
    choice("lasts", "The link lasts", LASTS, "8784"),
    choice("names", "Players are shown as", NAMES, "first_names"),
    h("button", { type: "submit", class: "primary" }, "Send the result"),
  );
  openSheet(
    h("h2", { id: "sheet-title" }, "Send the result"),
    h("p", null, "A link to the full-time report for the families' group chat. Its preview shows the score."),
    form,
    closeButton("Cancel"),
  );
}

/** @param {unknown} failure */
function failed(failure) {
  const message = !navigator.onLine
    ? "Sharing needs a connection. Try again when you have signal."
    : /** @type {any} */ (failure)?.status === 404
      ? "This match has not reached the server yet. Wait for it to sync, then share."
      : String(/** @type {Error} */ (failure).message);
  openSheet(h("h2", { id: "sheet-title" }, "Share"), h("p", { role: "alert" }, message), closeButton("Close"));
}

/**
 * Send ``url`` through the phone's share sheet, or copy it, or show it to copy by hand.
 * @param {string} url @param {string} title @param {string} text @param {string} heading
 */
async function send(url, title, text, heading) {
  if (navigator.share) {
    try {
      await navigator.share({ title, text, url });
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
    h("h2", { id: "sheet-title" }, heading),
    h("p", null, copied ? "Link copied. Send it to the families:" : "Copy this link and send it to the families:"),
    h("input", { class: "share-url", readonly: true, value: url, "aria-label": "Watch link", onfocus: (/** @type {FocusEvent} */ e) => /** @type {HTMLInputElement} */ (e.target).select() }),
    closeButton("Done"),
  );
}
