// @ts-check
/**
 * One short confirmation at the bottom of the screen, where the thumb is, with an optional
 * action (Undo). A new toast replaces the one showing; each disappears on its own.
 */

const SHOWN_MS = 8000;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let hideTimer;

/**
 * @param {string} message
 * @param {{ label: string, name: string, run: () => unknown }} [action] `name` is the
 *   button's accessible name and must contain `label`, the text it shows.
 */
export function toast(message, action) {
  let box = document.getElementById("toast");
  if (!box) {
    box = document.createElement("div");
    box.id = "toast";
    box.className = "toast";
    box.setAttribute("role", "status");
    document.body.append(box);
  }
  const text = document.createElement("span");
  text.textContent = message;
  box.replaceChildren(text);
  if (action) {
    const button = document.createElement("button");
    button.className = "secondary small";
    button.textContent = action.label;
    button.setAttribute("aria-label", action.name);
    button.addEventListener("click", () => {
      hideToast();
      action.run();
    });
    box.append(button);
  }
  box.hidden = false;
  clearTimeout(hideTimer);
  hideTimer = setTimeout(hideToast, SHOWN_MS);
}

export function hideToast() {
  clearTimeout(hideTimer);
  const box = document.getElementById("toast");
  if (box) box.hidden = true;
}
