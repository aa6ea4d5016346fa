// @ts-check
/**
 * A team's people: who is in it, and leaving it; for its owner, managing it too: invites
 * (a link and its QR code), roles, removing someone, handing the team over, renaming and
 * deleting it. These are REST calls and need a connection; what they change reaches the
 * phone through the next sync like everything else.
 */

import { api } from "../api.js";
import { h } from "../dom.js";
import { changed, store, syncer } from "../store.js";
import { toast } from "../toast.js";
import { go } from "./nav.js";

/**
 * @typedef {{ account_id: string, display_name: string, email: string, role: string }} Member
 * @typedef {{ id: string, path: string, role: string, max_uses: number, uses: number,
 *   expires_at: string, revoked_at: string | null }} Invite
 * @typedef {{ members: Member[], invites: Invite[], error: string, at: number }} Loaded
 */

/** How long what the server said is shown before the screen asks again, on its next draw. */
const FRESH_MS = 30_000;

/** What the server said last, per team; absent until asked. @type {Map<string, Loaded>} */
const loaded = new Map();
/** The invite just made, shown with its link and QR code. @type {{ teamId: string, link: string, qr: string } | null} */
let fresh = null;

const ROLE_NAMES = /** @type {Record<string, string>} */ ({ owner: "Owner", coach: "Coach", member: "Member (read-only)" });

function token() {
  return store.snap.device?.token;
}

/** @param {unknown} failure */
function problem(failure) {
  if (!navigator.onLine) return "This needs a connection.";
  return failure instanceof Error ? failure.message : String(failure);
}

/** Ask the server again, then draw. @param {string} teamId @param {boolean} owner */
async function load(teamId, owner) {
  // What was shown stays on screen until the answer comes; asked now, not again for a while.
  const last = loaded.get(teamId);
  loaded.set(teamId, { members: last?.members ?? [], invites: last?.invites ?? [], error: "", at: Date.now() });
  /** @type {Loaded} */
  const entry = { members: [], invites: [], error: "", at: Date.now() };
  try {
    entry.members = await api("GET", `/api/teams/${teamId}/members`, undefined, token());
    if (owner) entry.invites = await api("GET", `/api/teams/${teamId}/invites`, undefined, token());
  } catch (failure) {
    entry.error = problem(failure);
  }
  loaded.set(teamId, entry);
  changed();
}

/**
 * Run one management call; then read the team's people again and sync.
 * @param {string} teamId @param {boolean} owner @param {() => Promise<unknown>} call
 */
async function act(teamId, owner, call) {
  try {
    await call();
  } catch (failure) {
    toast(problem(failure));
    return false;
  }
  syncer.kick();
  await load(teamId, owner);
  return true;
}

/** The members card, and for the owner the invite and team cards.
 * @param {import("../mutations.js").Team} team */
export function membersPanel(team) {
  const owner = team.role === "owner";
  const last = loaded.get(team.id);
  if (!last || Date.now() - last.at > FRESH_MS) void load(team.id, owner);
  const { members, invites, error } = last ?? { members: [], invites: [], error: "" };
  return [
    h(
      "section",
      { class: "card members", "aria-label": "Members" },
      h("h2", null, "Members"),
      error && h("p", { class: "error", role: "alert" }, error),
      h("ul", { class: "member-list" }, members.map((m) => memberItem(team, m, owner))),
      !owner && h("button", { class: "secondary", onclick: () => leave(team) }, "Leave team"),
    ),
    owner && inviteCard(team, invites),
    owner && teamCard(team),
  ];
}

/** @param {import("../mutations.js").Team} team @param {Member} m @param {boolean} owner */
function memberItem(team, m, owner) {
  const manage = owner && m.role !== "owner";
  const path = `/api/teams/${team.id}/members/${m.account_id}`;
  /** @param {Event} event */
  const setRole = (event) => {
    const role = /** @type {HTMLSelectElement} */ (event.target).value;
    void act(team.id, true, () => api("PUT", path, { role }, token()));
  };
  const remove = () => {
    if (!confirm(`Remove ${m.display_name} from ${team.name}? Their phones lose the team at their next sync.`)) return;
    void act(team.id, true, () => api("DELETE", path, undefined, token())).then((done) => done && toast(`${m.display_name} removed`));
  };
  const handOver = () => {
    if (!confirm(`Make ${m.display_name} the owner of ${team.name}? You become a coach.`)) return;
    void act(team.id, true, () => api("POST", `/api/teams/${team.id}/transfer`, { account_id: m.account_id }, token()));
  };
  return h(
    "li",
    { class: "member", "data-role": m.role },
    h("span", { class: "name" }, m.display_name),
    manage
      ? h(
          "select",
          { "aria-label": `Role of ${m.display_name}`, onchange: setRole },
          ["coach", "member"].map((role) => h("option", { value: role, selected: role === m.role }, ROLE_NAMES[role])),
        )
      : h("span", { class: "role" }, ROLE_NAMES[m.role] ?? m.role),
    manage && h("button", { class: "secondary small", onclick: remove, "aria-label": `Remove ${m.display_name}` }, "Remove"),
    manage && h("button", { class: "link", onclick: handOver, "aria-label": `Make ${m.display_name} the owner` }, "Make owner"),
  );
}

/** @param {import("../mutations.js").Team} team @param {Invite[]} invites */
function inviteCard(team, invites) {
  /** @param {SubmitEvent} event */
  const create = async (event) => {
    event.preventDefault();
    const data = new FormData(/** @type {HTMLFormElement} */ (event.target));
    const body = {
      role: String(data.get("role")),
      expires_in_hours: Number(data.get("expires_in_hours")),
      max_uses: Number(data.get("max_uses")),
    };
    try {
      /** @type {Invite} */
      const invite = await api("POST", `/api/teams/${team.id}/invites`, body, token());
      fresh = { teamId: team.id, link: `${location.origin}${invite.path}`, qr: await qrCode(invite.id) };
    } catch (failure) {
      toast(problem(failure));
      return;
    }
    await load(team.id, true);
  };
  const working = invites.filter((i) => !i.revoked_at && i.uses < i.max_uses && new Date(i.expires_at) > new Date());
  const shown = fresh?.teamId === team.id ? fresh : null;
  return h(
    "section",
    { class: "card invite", "aria-label": "Invite" },
    h("h2", null, "Invite someone"),
    h(
      "form",
      { onsubmit: create },
      h(
        "div",
        { class: "row" },
        h("label", { class: "field" }, "Role", h("select", { name: "role" }, h("option", { value: "coach" }, "Coach"), h("option", { value: "member" }, "Member (read-only)"))),
        h(
          "label",
          { class: "field" },
          "Expires",
          h("select", { name: "expires_in_hours" }, [[24, "In a day"], [72, "In 3 days"], [168, "In a week"], [720, "In 30 days"]].map(([hours, label]) => h("option", { value: hours, selected: hours === 72 }, label))),
        ),
        h("label", { class: "field" }, "Uses", h("select", { name: "max_uses" }, h("option", { value: 1 }, "One person"), h("option", { value: 20 }, "Up to 20 people"))),
      ),
      h("button", { class: "primary", type: "submit" }, "Create invite link"),
    ),
    shown && h(
      "div",
      { class: "invite-link" },
      h("img", { class: "qr", src: shown.qr, alt: "QR code of the invite link", width: 220, height: 220 }),
      h("label", { class: "field" }, "Invite link", h("input", { readonly: true, value: shown.link, "aria-label": "Invite link" })),
      h("button", { class: "secondary small", onclick: () => void navigator.clipboard?.writeText(shown.link).then(() => toast("Link copied")) }, "Copy link"),
    ),
    working.length > 0 && h(
      "ul",
      { class: "invite-list" },
      working.map((i) =>
        h(
          "li",
          null,
          `${ROLE_NAMES[i.role] ?? i.role} · ${i.uses} of ${i.max_uses} used · until ${new Date(i.expires_at).toLocaleDateString()} `,
          h("button", { class: "secondary small", onclick: () => void act(team.id, true, () => api("DELETE", `/api/invites/${i.id}`, undefined, token())) }, "Revoke"),
        ),
      ),
    ),
  );
}

/**
 * The invite's QR code, drawn by the server, as a data: address (the page's policy allows
 * images from itself and data: only). @param {string} inviteId
 */
async function qrCode(inviteId) {
  const response = await fetch(`/api/invites/${inviteId}/qr.svg`, { headers: { Authorization: `Bearer ${token()}` }, cache: "no-store" });
  if (!response.ok) throw new Error("The QR code could not be drawn.");
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(await response.text())}`;
}

/** @param {import("../mutations.js").Team} team */
function teamCard(team) {
  /** @param {SubmitEvent} event */
  const rename = (event) => {
    event.preventDefault();
    const name = String(new FormData(/** @type {HTMLFormElement} */ (event.target)).get("name") ?? "").trim();
    if (name && name !== team.name) void act(team.id, true, () => api("PUT", `/api/teams/${team.id}`, { name }, token()));
  };
  const remove = async () => {
    if (!confirm(`Delete ${team.name} for everyone? Its players, matches and events can no longer be seen by anyone.`)) return;
    if (await act(team.id, true, () => api("DELETE", `/api/teams/${team.id}`, undefined, token()))) go("#/");
  };
  return h(
    "section",
    { class: "card team-admin", "aria-label": "Team" },
    h("form", { onsubmit: rename }, h("label", { class: "field" }, "Team name", h("input", { name: "name", value: team.name, required: true })), h("button", { class: "secondary", type: "submit" }, "Rename")),
    h("button", { class: "danger", onclick: remove }, "Delete team"),
  );
}

/** @param {import("../mutations.js").Team} team */
async function leave(team) {
  if (!confirm(`Leave ${team.name}? It leaves this phone at the next sync.`)) return;
  if (await act(team.id, false, () => api("DELETE", `/api/teams/${team.id}/members/me`, undefined, token()))) go("#/");
}
