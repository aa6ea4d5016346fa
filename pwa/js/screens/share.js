// @ts-check
/**
 * Sharing a match with the families: the server makes the watch link (it needs a
 * connection, and the match on the server); the phone's share sheet sends it, or the link
 * is copied, or shown to copy by hand.
 *
 * After full-time, Share offers "Send the result" instead: a link of its own, lasting as
 * long as the coach chooses (up to a season, or until revoked) and showing the players as
 * they choose, in the form a group chat previews with the score (/watch?t=<token>).
 *
 * Both sheets list the match's links that still work, each with a Revoke button: a
 * revoked link stops working at once, for everyone watching through it.
 */

import { api } from "../api.js";
import { h } from "../dom.js";
import { store } from "../store.js";
import { closeButton, openSheet } from "./sheet.js";

/** How long a result link lasts, in hours (the server allows up to 366 days), or until revoked. */
const UNTIL_REVOKED = "revoked";
const LASTS = [
  ["168", "A week"],
  ["720", "A month"],
  ["8784", "The season (a year)"],
  [UNTIL_REVOKED, "Until I revoke it"],
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
  await send(match, url, title, `Follow ${title} live`, "Share this match");
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
        const lasts = String(data.get("lasts"));
        const body = { expires_in_hours: lasts === UNTIL_REVOKED ? null : Number(lasts), names: String(data.get("names")) };
        /** @type {string} */
        let url;
        try {
          const link = await api("POST", `/api/matches/${match.id}/share-links`, body, store.snap.device?.token);
          url = `${location.origin}${link.result_path}`;
        } catch (failure) {
          return failed(failure);
        }
        const title = `${teamName} vs ${match.opponent}`;
        await send(match, url, title, `The result: ${title}`, "Send the result");
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
    liveLinks(match),
    closeButton("Cancel"),
  );
}

/**
 * The match's links that still work, newest first, each with a Revoke button; read from
 * the server when drawn and again after each revocation.
 * @param {import("../mutations.js").Match} match
 */
function liveLinks(match) {
  const token = store.snap.device?.token;
  const list = h("ul", { class: "live-links" });
  const status = h("p", { class: "status", role: "status" });
  /** @param {{ id: string, names: string, created_at: string, expires_at: string | null }} link */
  const row = (link) => {
    const made = new Date(link.created_at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    const until = link.expires_at === null ? "until revoked" : `until ${new Date(link.expires_at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" })}`;
    const names = NAMES.find(([value]) => value === link.names)?.[1] ?? link.names;
    const revoke = async () => {
      let said = "Link revoked: it no longer works.";
      try {
        await api("DELETE", `/api/share-links/${link.id}`, undefined, token);
      } catch (failure) {
        said = navigator.onLine ? String(/** @type {Error} */ (failure).message) : "Revoking needs a connection.";
      }
      await draw();
      status.textContent = said;
    };
    return h(
      "li",
      { "data-link-id": link.id },
      h("span", { class: "about" }, `Made ${made}, ${until} · ${names}`),
      h("button", { class: "secondary small", onclick: revoke, "aria-label": `Revoke the link made ${made}` }, "Revoke"),
    );
  };
  const draw = async () => {
    /** @type {{ id: string, names: string, created_at: string, expires_at: string | null, revoked_at: string | null }[]} */
    let links;
    try {
      links = await api("GET", `/api/matches/${match.id}/share-links`, undefined, token);
    } catch {
      list.replaceChildren(h("li", null, navigator.onLine ? "The links could not be read." : "The links show with a connection."));
      return;
    }
    const now = Date.now();
    const working = links.filter((l) => l.revoked_at === null && (l.expires_at === null || Date.parse(l.expires_at) > now));
    list.replaceChildren(...(working.length > 0 ? working.map(row) : [h("li", null, "None: every link is revoked or expired.")]));
  };
  void draw();
  return h("section", { class: "links", "aria-label": "Links that work now" }, h("h3", null, "Links that work now"), list, status);
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
 * Send ``url`` through the phone's share sheet, or copy it, or show it to copy by hand
 * (with the match's links that work, to revoke one).
 * @param {import("../mutations.js").Match} match @param {string} url @param {string} title
 * @param {string} text @param {string} heading
 */
async function send(match, url, title, text, heading) {
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
    liveLinks(match),
    closeButton("Done"),
  );
}
