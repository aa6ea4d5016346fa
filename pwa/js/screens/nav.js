// @ts-check
/** Moving between screens: the address says which screen is on show (coach.js routes). */

import { h } from "../dom.js";

/** @param {string} hash */
export function go(hash) {
  location.hash = hash;
}

/** @param {string} hash @param {string} label */
export function backButton(hash, label) {
  return h("button", { class: "back secondary small", onclick: () => go(hash), "aria-label": `Back to ${label}` }, `‹ ${label}`);
}

/** The screen for a team or match this phone does not hold. @param {string} kind */
export function missing(kind) {
  return h("section", { class: "screen" }, backButton("#/", "Teams"), h("p", { class: "lead" }, `This ${kind} is not on this phone (yet). It appears after the next sync.`));
}
