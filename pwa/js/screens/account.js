// @ts-check
/**
 * The coach's own account: change the password or e-mail, sign out of this phone or of
 * every phone, delete the account. Each needs a connection, and says so.
 */

import { api } from "../api.js";
import * as db from "../db.js";
import { h } from "../dom.js";
import { refresh, store } from "../store.js";
import { toast } from "../toast.js";
import { backButton, go } from "./nav.js";

const CONFIRM_WORD = "DELETE";

export function accountScreen() {
  const email = store.snap.device?.email ?? "";
  return h(
    "section",
    { class: "screen account-screen" },
    backButton("#/", "Teams"),
    h("h1", null, "Your account"),
    h("p", { class: "lead" }, `Signed in as ${email}`),
    passwordForm(),
    emailForm(email),
    signOutCard(),
    deleteForm(),
  );
}

/**
 * A form that posts to the API with this phone's token and reports a failure under it.
 * @param {string} title @param {(data: FormData) => Promise<void>} send @param {...any} fields
 */
function accountForm(title, send, ...fields) {
  const error = h("p", { class: "error", role: "alert" });
  /** @param {SubmitEvent} event */
  const submit = async (event) => {
    event.preventDefault();
    const form = /** @type {HTMLFormElement} */ (event.target);
    error.textContent = "";
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    try {
      await send(new FormData(form));
      form.reset();
    } catch (failure) {
      error.textContent = failureText(failure);
    } finally {
      for (const button of form.querySelectorAll("button")) button.disabled = false;
    }
  };
  return h("form", { class: "card", onsubmit: submit, "aria-label": title }, h("h2", null, title), ...fields, error);
}

/** @param {unknown} failure */
function failureText(failure) {
  if (!navigator.onLine) return "This needs a connection.";
  return failure instanceof Error ? failure.message : String(failure);
}

/** @param {string} label @param {string} name @param {Record<string, any>} [props] */
function passwordField(label, name, props = {}) {
  return h("label", { class: "field" }, label, h("input", { name, type: "password", required: true, autocomplete: "current-password", ...props }));
}

/** @param {FormData} data @param {string} name */
const value = (data, name) => String(data.get(name) ?? "");

function passwordForm() {
  return accountForm(
    "Change password",
    async (data) => {
      await api("POST", "/api/account/password", { current_password: value(data, "current_password"), new_password: value(data, "new_password") }, store.snap.device?.token);
      toast("Password changed. Your other phones are signed out.");
    },
    passwordField("Current password", "current_password"),
    passwordField("New password", "new_password", { minlength: 8, autocomplete: "new-password" }),
    h("button", { class: "secondary", type: "submit" }, "Change password"),
  );
}

/** @param {string} email */
function emailForm(email) {
  return accountForm(
    "Change e-mail",
    async (data) => {
      const account = await api("POST", "/api/account/email", { email: value(data, "email").trim(), password: value(data, "password") }, store.snap.device?.token);
      await db.setDeviceEmail(account.email);
      await refresh();
      toast(`You sign in as ${account.email} from now on.`);
    },
    h("label", { class: "field" }, "New e-mail", h("input", { name: "email", type: "email", required: true, autocomplete: "email", placeholder: email })),
    passwordField("Password", "password"),
    h("button", { class: "secondary", type: "submit" }, "Change e-mail"),
  );
}

function signOutCard() {
  const error = h("p", { class: "error", role: "alert" });
  /** @param {string} path */
  const leave = (path) => async () => {
    error.textContent = "";
    try {
      await signOutHere(path);
    } catch (failure) {
      error.textContent = failureText(failure);
    }
  };
  return h(
    "section",
    { class: "card" },
    h("h2", null, "Sign out"),
    h("p", null, "Signing out of every phone also signs out your other browsers. Each signs in again with your password."),
    h("div", { class: "row" }, h("button", { class: "secondary", onclick: leave("/api/auth/logout") }, "Sign out of this phone"), h("button", { class: "secondary", onclick: leave("/api/auth/logout-everywhere") }, "Sign out of every phone")),
    error,
  );
}

/**
 * Revoke this phone's token on the server (and, for logout-everywhere, every other one),
 * then forget what the phone holds. Changes not yet sent keep the phone signed in.
 * @param {string} path
 */
async function signOutHere(path) {
  const pending = store.snap.outbox.length;
  if (pending > 0) throw new Error(`${pending} changes are still on this phone; sync them first`);
  try {
    await api("POST", path, undefined, store.snap.device?.token);
  } catch (failure) {
    // Already signed out (revoked elsewhere): forgetting the phone's copy is all there is to do.
    if (/** @type {{ status?: number }} */ (failure).status !== 401) throw failure;
  }
  await forget(false);
}

/** @param {boolean} discard */
async function forget(discard) {
  await db.signOut({ discard });
  store.drawnKey = "";
  go("#/");
  await refresh();
}

function deleteForm() {
  return accountForm(
    "Delete account",
    async (data) => {
      if (value(data, "confirm").trim() !== CONFIRM_WORD) throw new Error(`Type ${CONFIRM_WORD} to confirm.`);
      await api("POST", "/api/account/delete", { password: value(data, "password") }, store.snap.device?.token);
      await forget(true);
      toast("Your account is deleted.");
    },
    h("p", null, "Teams only you belong to are deleted with it. If you are the only owner of a team others belong to, make one of them an owner first."),
    passwordField("Password", "password"),
    h("label", { class: "field" }, `Type ${CONFIRM_WORD} to confirm`, h("input", { name: "confirm", required: true, autocomplete: "off" })),
    h("button", { class: "danger", type: "submit" }, "Delete my account"),
  );
}
