// @ts-check
/** The sheet that rises over a screen (pick a player, edit an event, share): one dialog. */

import { h } from "../dom.js";

export const sheet = /** @type {HTMLDialogElement} */ (document.getElementById("sheet"));

/**
 * Show `content` in the sheet, replacing what it showed. The heading with id
 * "sheet-title" names it, and its text is kept in `sheet.dataset.title`.
 * @param {...any} content
 */
export function openSheet(...content) {
  const heading = content.find((c) => c instanceof HTMLElement && c.id === "sheet-title");
  sheet.dataset.title = heading?.textContent ?? "";
  sheet.replaceChildren(h("div", { class: "sheet-body" }, ...content));
  sheet.setAttribute("aria-labelledby", "sheet-title");
  if (!sheet.open) sheet.showModal();
}

/**
 * A button that closes the sheet, after `before` (to tell a deliberate cancel from any
 * other way of closing). @param {string} label @param {() => void} [before]
 */
export function closeButton(label, before) {
  return h("button", { class: "secondary cancel", onclick: () => {
    before?.();
    sheet.close();
  } }, label);
}
