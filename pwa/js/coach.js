// @ts-check
/**
 * The coach's app: which screen the address names, drawing it from the store, and
 * start-up. Every tap is queued in the outbox first (store.queue) and shown at once; the
 * syncer sends it when it can. The screen is always drawn from db.snapshot(); the screens
 * themselves are in screens/.
 */

import { api } from "./api.js";
import { formState, restoreFormState } from "./dom.js";
import { LiveChannel } from "./live.js";
import { keepAwake } from "./phone.js";
import { accountScreen } from "./screens/account.js";
import { homeScreen } from "./screens/home.js";
import { lineupScreen } from "./screens/lineup.js";
import { clockText, matchScreen } from "./screens/match.js";
import { MINUTES_REDRAW_MS, minutesScreen } from "./screens/minutes.js";
import { editMatchScreen, newMatchScreen } from "./screens/new-match.js";
import { forgotScreen, resetScreen } from "./screens/recovery.js";
import { sheet } from "./screens/sheet.js";
import { INVITE_KEY, signInScreen } from "./screens/signin.js";
import { statsScreen } from "./screens/stats.js";
import { teamScreen } from "./screens/team.js";
import { heldSeq, matchState, refresh, store, subscribe, syncer } from "./store.js";
import { barText, restoredText } from "./syncbar.js";
import { toast } from "./toast.js";

/**
 * @typedef {{ screen: "home" | "account" | "forgot" }
 *   | { screen: "team" | "new-match" | "edit-match" | "stats", id: string }
 *   | { screen: "match" | "lineup" | "minutes", id: string } | { screen: "reset", id: string }} Route
 */

const app = /** @type {HTMLElement} */ (document.getElementById("app"));
const bar = /** @type {HTMLElement} */ (document.getElementById("syncbar"));

/** @returns {Route} */
function route() {
  // A mailed reset link opens /#reset=<token>: the token stays out of every request.
  if (location.hash.startsWith("#reset=")) return { screen: "reset", id: location.hash.slice("#reset=".length) };
  const [screen, id] = location.hash.replace(/^#\/?/, "").split("/");
  if (["team", "new-match", "edit-match", "match", "lineup", "minutes", "stats"].includes(screen) && id) {
    return /** @type {Route} */ ({ screen, id });
  }
  if (screen === "account" || screen === "forgot") return { screen };
  return { screen: "home" };
}

/** @param {Route} r */
function screenFor(r) {
  if (r.screen === "reset") return resetScreen(r.id);
  if (!store.snap.device) return r.screen === "forgot" ? forgotScreen() : signInScreen();
  if (!("id" in r)) return r.screen === "account" ? accountScreen() : homeScreen();
  const screens = {
    team: teamScreen,
    "new-match": newMatchScreen,
    "edit-match": editMatchScreen,
    lineup: lineupScreen,
    match: matchScreen,
    minutes: minutesScreen,
    stats: statsScreen,
  };
  return screens[r.screen](r.id);
}

// An invite link (/join#<token>) opens the app: the token waits in this tab until the
// phone is signed in (or signed up), then the invite is accepted once.
if (location.pathname === "/join") {
  const token = location.hash.slice(1);
  if (token) sessionStorage.setItem(INVITE_KEY, token);
  history.replaceState(null, "", "/#/");
}
let joining = false;

async function joinInvited() {
  const token = sessionStorage.getItem(INVITE_KEY);
  const device = store.snap.device;
  if (!token || !device || joining) return;
  joining = true;
  try {
    const team = await api("POST", "/api/invites/accept", { token }, device.token);
    sessionStorage.removeItem(INVITE_KEY);
    toast(`You joined ${team.name}${team.role === "member" ? " as a member (read-only)" : ""}`);
    syncer.kick();
  } catch (failure) {
    // A refused invite (expired, revoked, used up) is said once; a lost connection retries.
    if (/** @type {any} */ (failure).status) {
      sessionStorage.removeItem(INVITE_KEY);
      toast(`This invite did not work: ${/** @type {Error} */ (failure).message}`);
    }
  } finally {
    joining = false;
  }
}

function render() {
  renderBar();
  void joinInvited();
  const r = route();
  const key = JSON.stringify([r, Boolean(store.snap.device), location.hash]);
  const screen = screenFor(r);
  // A sync can land while a form is half filled in: what was typed or chosen stays.
  const kept = key === store.drawnKey ? formState(app) : null;
  const scroll = scrollY;
  app.replaceChildren(screen);
  if (kept) restoreFormState(app, kept);
  else scrollTo(0, 0);
  if (key === store.drawnKey) scrollTo(0, scroll);
  store.drawnKey = key;
  const match = r.screen === "match" || r.screen === "minutes" ? store.view.matches.get(r.id) : undefined;
  keepAwake(Boolean(match && matchState(match).status === "live"));
  follow(match && store.snap.device ? match.id : null);
}

// Another coach's taps reach this phone through the same /sync pull as everything else;
// the open match's live channel only says when to pull, so changes arrive seconds after
// they happen instead of at the next timer.

/** Keep a live channel open to `matchId` (and none when null). @param {string | null} matchId */
function follow(matchId) {
  if (store.channel?.matchId === matchId) return;
  store.channel?.close();
  store.channel = null;
  const device = store.snap.device;
  if (!matchId || !device) return;
  store.channel = new LiveChannel(matchId, {
    hello: () => ({ token: device.token, last_seq: heldSeq(matchId) }),
    onMessage: (data) => {
      if (data.type === "changes" && data.head > heldSeq(matchId)) syncer.kick();
    },
  });
  store.channel.open();
}

function renderBar() {
  const { text, tone } = barText({
    signedIn: Boolean(store.snap.device),
    pending: store.snap.outbox.length,
    online: navigator.onLine,
    state: syncer.state,
    problem: syncer.problem,
    lastSynced: store.snap.lastSyncedLocal,
  });
  bar.className = `syncbar ${tone}`;
  bar.dataset.pending = String(store.snap.outbox.length);
  bar.textContent = text;
}

// --- start -------------------------------------------------------------------------------

subscribe(render);
addEventListener("hashchange", () => {
  if (sheet.open) sheet.close();
  render();
});
syncer.addEventListener("data", () => void refresh());
syncer.addEventListener("change", renderBar);
// The server had gone back in time and this phone gave back what it held.
syncer.addEventListener("restored", () => toast(restoredText(syncer.restoredEvents, syncer.restored)));
addEventListener("online", () => {
  renderBar();
  store.channel?.online();
});
addEventListener("offline", renderBar);
addEventListener("beforeinstallprompt", (event) => {
  event.preventDefault();
  store.installPrompt = event;
  render();
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") render();
});
sheet.addEventListener("click", (event) => {
  if (event.target === sheet) sheet.close();
});
setInterval(() => {
  const r = route();
  const clock = document.getElementById("clock");
  if ((r.screen !== "match" && r.screen !== "minutes") || !clock) return;
  const match = store.view.matches.get(r.id);
  if (match) clock.textContent = clockText(match, matchState(match));
}, 1000);
// The minutes follow the clock: the whole screen is drawn again, keeping where it was scrolled.
setInterval(() => {
  if (route().screen === "minutes") render();
}, MINUTES_REDRAW_MS);

if ("serviceWorker" in navigator) {
  const hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!hadController) return;
    const banner = document.getElementById("update");
    if (banner) banner.hidden = false;
  });
}
document.getElementById("update-reload")?.addEventListener("click", () => location.reload());

await refresh();
syncer.start();
