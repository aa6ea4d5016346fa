// @ts-check
/**
 * A forgotten password: ask for a reset link by e-mail (or learn who to ask, on a server
 * that sends no mail), and the page the mailed link opens (`/#reset=<token>`), which sets
 * the new password and signs this phone in with it.
 */

import { api } from "../api.js";
import { h } from "../dom.js";
import { changed, store } from "../store.js";
import { toast } from "../toast.js";
import { go } from "./nav.js";
import { signInWith } from "./signin.js";

const ASK = "This Touchline does not send e-mail. Ask the person who runs this Touchline to reset it.";

// What the last request was answered, and whether the server mails links (unknown until
// it says), kept across redraws of the screen (one comes with every change of the page's
// visibility or connection).
/** @type {string} */
let answered = "";
/** @type {boolean | undefined} */
let mailsLinks;

/** Ask the server once whether it mails reset links; draw again when it has said. */
function learnRecovery() {
  if (mailsLinks !== undefined) return;
  api("GET", "/api/auth/recovery").then(
    (info) => {
      mailsLinks = Boolean(info.by_email);
      if (!mailsLinks) answered = ASK;
      changed();
    },
    () => {}, // offline: the form stays, and says so when sent
  );
}

export function forgotScreen() {
  learnRecovery();
  const error = h("p", { class: "error", role: "alert" });
  /** @param {SubmitEvent} event */
  const submit = async (event) => {
    event.preventDefault();
    const form = /** @type {HTMLFormElement} */ (event.target);
    const email = String(new FormData(form).get("email") ?? "").trim();
    error.textContent = "";
    try {
      const reply = await api("POST", "/api/auth/reset-request", { email });
      answered = reply.by_email ? `If ${email} has an account, a link to reset its password is on its way. It works once, and not for long.` : ASK;
      go("#/forgot/sent");
    } catch (failure) {
      error.textContent = navigator.onLine ? /** @type {Error} */ (failure).message : "Resetting a password needs a connection.";
    }
  };
  return h(
    "section",
    { class: "screen signin" },
    h("h1", null, "Forgot your password?"),
    answered && (location.hash === "#/forgot/sent" || mailsLinks === false)
      ? h("p", { class: "lead", role: "status" }, answered)
      : h(
          "form",
          { onsubmit: submit },
          h("p", { class: "lead" }, "Enter your e-mail: we send you a link to choose a new password."),
          h("label", { class: "field" }, "Email", h("input", { name: "email", type: "email", required: true, autocomplete: "username" })),
          error,
          h("button", { class: "primary big", type: "submit" }, "Send me a link"),
        ),
    h("button", { class: "link", onclick: () => go("#/") }, "Back to sign in"),
  );
}

/** The page a reset link opens. @param {string} token */
export function resetScreen(token) {
  const error = h("p", { class: "error", role: "alert" });
  /** @param {SubmitEvent} event */
  const submit = async (event) => {
    event.preventDefault();
    const form = /** @type {HTMLFormElement} */ (event.target);
    const data = new FormData(form);
    const password = String(data.get("new_password") ?? "");
    error.textContent = "";
    if (password !== String(data.get("again") ?? "")) {
      error.textContent = "The two passwords differ.";
      return;
    }
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    try {
      const { email } = await api("POST", "/api/auth/reset", { token, new_password: password });
      // The token must not stay in the address (or the history) once it is used.
      history.replaceState(null, "", "/#/");
      // A phone signed in to another account keeps it (and whatever it has queued).
      const other = store.snap.device && store.snap.device.email !== email;
      if (other) {
        toast(`Password set for ${email}. This phone stays signed in as ${store.snap.device?.email}.`);
        changed();
      } else await signInWith(email, password);
    } catch (failure) {
      error.textContent = navigator.onLine ? /** @type {Error} */ (failure).message : "Setting a password needs a connection.";
    } finally {
      for (const button of form.querySelectorAll("button")) button.disabled = false;
    }
  };
  return h(
    "section",
    { class: "screen signin" },
    h("h1", null, "Choose a new password"),
    h("p", { class: "lead" }, "Every phone signed in to your account is signed out; this one signs in with the new password."),
    h(
      "form",
      { onsubmit: submit },
      h("label", { class: "field" }, "New password", h("input", { name: "new_password", type: "password", required: true, minlength: 8, autocomplete: "new-password" })),
      h("label", { class: "field" }, "New password again", h("input", { name: "again", type: "password", required: true, minlength: 8, autocomplete: "new-password" })),
      error,
      h("button", { class: "primary big", type: "submit" }, "Set password and sign in"),
    ),
    h("button", { class: "link", onclick: () => go("#/forgot") }, "Ask for a new link"),
  );
}
