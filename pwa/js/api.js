// @ts-check
/**
 * The coach's REST calls (sign-in, devices, teams, share links). Everything a coach logs
 * goes through the outbox and /sync instead (sync.js), so it works with no signal; these
 * need a connection, and the screens that make them say so.
 */

/**
 * A JSON request to the API; throws an Error carrying the server's message and status.
 * @param {string} method @param {string} path @param {any} [body] @param {string} [token]
 */
export async function api(method, path, body, token) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(data?.error?.message ?? `The server answered ${response.status}`);
    Object.assign(error, { status: response.status });
    throw error;
  }
  return data;
}
