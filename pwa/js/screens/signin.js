// @ts-check
/** Sign in, or create an account; either way this phone becomes one of the coach's devices. */

import { api } from "../api.js";
import * as db from "../db.js";
import { h } from "../dom.js";
import { refresh, store, syncer } from "../store.js";
import { installHint } from "./install.js";
import { go } from "./nav.js";

/** Where an invite link's token waits (sessionStorage) until the phone is signed in. */
export const INVITE_KEY = "touchline.invite";

export function signInScreen() {
  const error = h("p", { class: "error", role: "alert" });
  const nameField = h("label", { class: "field" }, "Your name (new account)", h("input", { name: "display_name", autocomplete: "name" }));
  /** @param {SubmitEvent} event */
  const submit = async (event) => {
    event.preventDefault();
    const form = /** @type {HTMLFormElement} */ (event.target);
    const submitter = /** @type {HTMLButtonElement | null} */ (event.submitter);
    const data = new FormData(form);
    const creating = submitter?.value === "create";
    const email = String(data.get("email") ?? "").trim();
    const password = String(data.get("password") ?? "");
    const name = String(data.get("display_name") ?? "").trim();
    error.textContent = "";
    if (creating && !name) {
      error.textContent = "Enter your name to create an account.";
      return;
    }
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    try {
      if (creating) await api("POST", "/api/accounts", { email, password, display_name: name });
      await signInWith(email, password);
    } catch (failure) {
      error.textContent = failure instanceof Error ? failure.message : String(failure);
    } finally {
      for (const button of form.querySelectorAll("button")) button.disabled = false;
    }
  };
  return h(
    "section",
    { class: "screen signin" },
    h("h1", null, "Touchline"),
    h("p", { class: "lead" }, "Log your matches pitch-side, with or without signal."),
    sessionStorage.getItem(INVITE_KEY) && h("p", { class: "lead invited" }, "You were invited to a team: sign in, or create an account, to join it."),
    h(
      "form",
      { onsubmit: submit },
      h("label", { class: "field" }, "Email", h("input", { name: "email", type: "email", required: true, autocomplete: "username" })),
      h("label", { class: "field" }, "Password", h("input", { name: "password", type: "password", required: true, minlength: 8, autocomplete: "current-password" })),
      nameField,
      error,
      h("button", { class: "primary big", type: "submit", value: "login" }, "Sign in"),
      h("button", { class: "secondary", type: "submit", value: "create" }, "Create account"),
    ),
    h("button", { class: "link", onclick: () => go("#/forgot") }, "Forgot password?"),
    installHint(),
    h("p", { class: "account" }, h("a", { class: "link", href: "/privacy" }, "Privacy: what Touchline stores and how to erase it")),
  );
}

/**
 * Log in and make this phone one of the account's devices; the app then shows its teams.
 * @param {string} email @param {string} password
 */
export async function signInWith(email, password) {
  const login = await api("POST", "/api/auth/login", { email, password });
  const device = await api("POST", "/api/devices", { name: deviceName() }, login.access_token);
  await db.adoptDevice({ id: device.id, token: device.token, name: device.name, email }, 0);
  store.drawnKey = "";
  await refresh();
  syncer.kick();
}

function deviceName() {
  const ua = navigator.userAgent;
  const kind = /iphone/i.test(ua) ? "iPhone" : /ipad/i.test(ua) ? "iPad" : /android/i.test(ua) ? "Android phone" : "browser";
  return `Touchline on ${kind}`;
}
