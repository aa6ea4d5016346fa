// @ts-check
/** The hint to install the app on the phone, so that it opens with no signal. */

import { h } from "../dom.js";
import { changed, store } from "../store.js";

/** The hint, or null where the app is installed, the hint was dismissed, or the browser
 * offers no way to install. */
export function installHint() {
  const standalone = matchMedia("(display-mode: standalone)").matches || /** @type {any} */ (navigator).standalone;
  if (standalone || localStorage.getItem("installHintDismissed")) return null;
  const dismiss = (/** @type {Event} */ e) => {
    localStorage.setItem("installHintDismissed", "1");
    /** @type {HTMLElement} */ (/** @type {HTMLElement} */ (e.target).closest(".install"))?.remove();
  };
  if (/iphone|ipad|ipod/i.test(navigator.userAgent)) {
    return h(
      "aside",
      { class: "install" },
      h("p", null, "Install Touchline: tap ", h("strong", null, "Share"), " then ", h("strong", null, "Add to Home Screen"), ". It then opens with no signal."),
      h("button", { class: "link", onclick: dismiss }, "Not now"),
    );
  }
  if (store.installPrompt) {
    const install = async () => {
      await store.installPrompt.prompt();
      store.installPrompt = null;
      changed();
    };
    return h(
      "aside",
      { class: "install" },
      h("p", null, "Install Touchline on this phone so it opens with no signal."),
      h("button", { class: "secondary", onclick: install }, "Install"),
      h("button", { class: "link", onclick: dismiss }, "Not now"),
    );
  }
  return null;
}
