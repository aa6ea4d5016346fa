// @ts-check
/**
 * Building the page's elements, for the coach's app and the family's watch page alike, and
 * keeping what a coach has typed when a screen is drawn again.
 */

/**
 * An element with its attributes, listeners and children. A prop named `on<event>` adds a
 * listener, `class` sets the class name, `true` writes an empty attribute; null, undefined
 * and false props and children are left out. Arrays of children are flattened.
 * @param {string} tag @param {Record<string, any> | null} [props] @param {...any} children
 * @returns {HTMLElement}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  el.append(...children.flat(3).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/**
 * What the named fields under `root` hold and which has the focus, to give back with
 * restoreFormState once the same screen is drawn again.
 * @param {HTMLElement} root
 */
export function formState(root) {
  const focused = document.activeElement instanceof HTMLElement && root.contains(document.activeElement)
    ? document.activeElement.getAttribute("name")
    : null;
  /** @type {Map<string, string | boolean>} */
  const values = new Map();
  for (const field of root.querySelectorAll("input[name], select[name]")) {
    const input = /** @type {HTMLInputElement} */ (field);
    if (input.type === "radio") values.set(`${input.name}=${input.value}`, input.checked);
    else values.set(input.name, input.value);
  }
  return { focused, values };
}

/** @param {HTMLElement} root @param {ReturnType<typeof formState>} state */
export function restoreFormState(root, state) {
  for (const field of root.querySelectorAll("input[name], select[name]")) {
    const input = /** @type {HTMLInputElement} */ (field);
    const value = state.values.get(input.type === "radio" ? `${input.name}=${input.value}` : input.name);
    if (value === undefined) continue;
    if (input.type === "radio") input.checked = Boolean(value);
    else input.value = String(value);
  }
  if (state.focused) /** @type {HTMLElement | null} */ (root.querySelector(`[name="${CSS.escape(state.focused)}"]`))?.focus();
}
