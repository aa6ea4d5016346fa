// @ts-check
/**
 * Sharing a match with the families: the server makes the watch link (it needs a
 * connection, and the match on the server); the phone's share sheet sends it, or the link
 * is copied, or shown to copy by hand.
 */

import { api } from "../api.js";
import { h } from "../dom.js";
import { store } from "../store.js";
import { closeButton, openSheet } from "./sheet.js";

/** @param {import("../mutations.js").Match} match @param {string} teamName */
export async function shareMatch(match, teamName) {
  /** @type {string} */
  let url;
  try {
    const link = await api("GET", `/api/matches/${match.id}/share`, undefined, store.snap.device?.token);
    url = `${location.origin}/watch#${link.token}`;
  } catch (failure) {
    const message = !navigator.onLine
      ? "Sharing needs a connection. Try again when you have signal."
      : /** @type {any} */ (failure)?.status === 404
        ? "This match has not reached the server yet. Wait for it to sync, then share."
        : String(/** @type {Error} */ (failure).message);
    openSheet(h("h2", { id: "sheet-title" }, "Share"), h("p", { role: "alert" }, message), closeButton("Close"));
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
    closeButton("Done"),
  );
}
