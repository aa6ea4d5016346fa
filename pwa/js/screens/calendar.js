// @ts-check
/**
 * The team's calendar feed: a link families subscribe to in their phone's calendar, so
 * every fixture, change and cancellation reaches them. The server makes the link (it needs
 * a connection); a new link (rotate) stops the old one for good, after a confirmation.
 */

import { api } from "../api.js";
import { h } from "../dom.js";
import { store } from "../store.js";
import { closeButton, openSheet } from "./sheet.js";

/** The feed's https:// address and its webcal:// twin, which opens the calendar app. @param {string} path */
export function feedUrls(path) {
  const https = `${location.origin}${path}`;
  return { https, webcal: https.replace(/^https?:/, "webcal:") };
}

/** Show the team's calendar link. @param {string} teamId @param {string} teamName */
export async function showCalendar(teamId, teamName) {
  try {
    const feed = await api("GET", `/api/teams/${teamId}/calendar`, undefined, store.snap.device?.token);
    drawLink(teamId, teamName, feed.path);
  } catch (failure) {
    failed(failure);
  }
}

/** @param {string} teamId @param {string} teamName @param {string} path */
function drawLink(teamId, teamName, path) {
  const { https, webcal } = feedUrls(path);
  const note = h("p", { class: "note", role: "status", hidden: true });
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(https);
      note.textContent = "Link copied. Send it to the families.";
    } catch {
      note.textContent = "Copy the link above by hand.";
    }
    note.hidden = false;
  };
  openSheet(
    h("h2", { id: "sheet-title" }, `${teamName} calendar`),
    h("p", null, "Families subscribe once; every match, change and cancellation then appears in their phone's calendar."),
    h("input", { class: "share-url calendar-url", readonly: true, value: https, "aria-label": "Calendar link", onfocus: (/** @type {FocusEvent} */ e) => /** @type {HTMLInputElement} */ (e.target).select() }),
    h("a", { class: "button primary", href: webcal }, "Subscribe on this phone"),
    h("button", { class: "secondary", onclick: copy }, "Copy link"),
    note,
    h("button", { class: "secondary", onclick: () => confirmRotate(teamId, teamName) }, "New link…"),
    closeButton("Done"),
  );
}

/** @param {string} teamId @param {string} teamName */
function confirmRotate(teamId, teamName) {
  const rotate = async () => {
    try {
      const feed = await api("POST", `/api/teams/${teamId}/calendar/rotate`, undefined, store.snap.device?.token);
      drawLink(teamId, teamName, feed.path);
    } catch (failure) {
      failed(failure);
    }
  };
  openSheet(
    h("h2", { id: "sheet-title" }, "Make a new calendar link?"),
    h("p", null, "The old link stops working at once: calendars subscribed to it stop updating, and families need the new link."),
    h("button", { class: "primary danger", onclick: rotate }, "Make a new link"),
    closeButton("Keep the old link"),
  );
}

/** @param {unknown} failure */
function failed(failure) {
  const message = navigator.onLine ? String(/** @type {Error} */ (failure).message) : "The calendar link needs a connection. Try again when you have signal.";
  openSheet(h("h2", { id: "sheet-title" }, "Calendar"), h("p", { role: "alert" }, message), closeButton("Close"));
}
