// @ts-check
/**
 * A match's live channel (`/ws/match/<id>`), for the coach's app and the watch page.
 *
 * The channel says it is live only while it is known to work. Any message from the server
 * proves it; after PING_AFTER_MS of quiet it sends a ping, which the server answers in
 * order with its changes. A connection that brings nothing back within PONG_WITHIN_MS (or
 * no welcome within WELCOME_WITHIN_MS of opening) is dropped and replaced, however open
 * the browser thinks it is (a phone that changed network, a proxy that forgot the
 * connection, a server that hangs). A dropped connection is replaced after a back-off that
 * grows with each failure and starts again from nothing once a welcome arrives.
 *
 * The page says what to send in the hello (its token and the last sequence number it
 * holds) and what to do with each message; the channel keeps the connection.
 */

export const PING_AFTER_MS = 15_000;
export const PONG_WITHIN_MS = 10_000;
export const WELCOME_WITHIN_MS = 10_000;
export const RETRY_MAX_MS = 30_000;
const PING = JSON.stringify({ type: "ping" });

/**
 * How long to wait before the next attempt after `failures` failed ones: doubling from
 * one second up to RETRY_MAX_MS, spread by ±25% (`random` in [0, 1)) so that viewers cut
 * off together do not all come back in the same instant.
 * @param {number} failures @param {number} random
 */
export function retryDelay(failures, random) {
  return Math.min(1000 * 2 ** failures, RETRY_MAX_MS) * (0.75 + random / 2);
}

/**
 * @typedef {object} Handlers
 * @property {() => { token: string, last_seq: number }} hello what the hello carries, asked
 *   for at each connection, so a reconnection resumes from what the page holds then
 * @property {(message: Record<string, any>) => void} onMessage every message from the
 *   server, once the channel has counted it (`live` is true after a welcome)
 * @property {() => void} [onDown] the connection was lost or dropped (`live` is false); a
 *   new one is on its way
 * @property {(code: number) => boolean} [onRefused] the server closed the connection with
 *   `code`; true means it will never be let back in, and the channel closes for good
 */

export class LiveChannel {
  /** True while a welcome has arrived and the connection has not been lost since. */
  live = false;
  /** When the server last said anything, on this phone's clock (ms), or 0; the page may
   * set it when it hears from the server another way. */
  heardAt = 0;
  /** @type {WebSocket | null} */
  #ws = null;
  #failures = 0;
  #closed = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retry;
  /** The open connection's liveness timer: the next ping, or the deadline for an answer.
   * @type {ReturnType<typeof setTimeout> | undefined} */
  #quiet;

  /** @param {string} matchId @param {Handlers} handlers */
  constructor(matchId, handlers) {
    this.matchId = matchId;
    this.handlers = handlers;
  }

  /** Whether a connection is open or opening (not waiting to try again). */
  get connected() {
    return this.#ws !== null;
  }

  /** Connect now, replacing any connection there is. Nothing once closed. */
  open() {
    if (this.#closed) return;
    clearTimeout(this.#retry);
    if (this.#ws) this.#drop(this.#ws);
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/match/${this.matchId}`);
    this.#ws = ws;
    this.#expect(ws, WELCOME_WITHIN_MS);
    ws.onopen = () => ws.send(JSON.stringify({ type: "hello", ...this.handlers.hello() }));
    ws.onmessage = (message) => {
      if (this.#ws !== ws) return;
      const data = JSON.parse(message.data);
      this.heardAt = Date.now();
      this.#listen(ws);
      if (data.type === "welcome") {
        this.#failures = 0;
        this.live = true;
      }
      this.handlers.onMessage(data);
    };
    ws.onclose = (event) => {
      if (this.#ws !== ws) return;
      this.#drop(ws);
      if (this.handlers.onRefused?.(event.code)) {
        this.close();
        return;
      }
      this.#down();
    };
  }

  /** Start again from what the page holds now (it saw a gap): a new connection at once. */
  resume() {
    this.#failures = 0;
    this.open();
  }

  /** The network is back: try at once, with the back-off from the start. */
  online() {
    this.#failures = 0;
    if (!this.#ws) this.open();
  }

  /** The network is gone: the connection is not to be believed, whatever it says. */
  offline() {
    if (this.#ws) {
      this.#drop(this.#ws);
      this.#down();
    }
  }

  /** Find out now whether the channel still works (timers sleep with the screen). */
  check() {
    const ws = this.#ws;
    if (!ws || !this.live) return;
    ws.send(PING);
    this.#expect(ws, PONG_WITHIN_MS);
  }

  /** Close for good: no more connections, messages or callbacks. */
  close() {
    this.#closed = true;
    clearTimeout(this.#retry);
    if (this.#ws) this.#drop(this.#ws);
  }

  /** The server spoke: after a quiet spell, ask it again. @param {WebSocket} ws */
  #listen(ws) {
    clearTimeout(this.#quiet);
    this.#quiet = setTimeout(() => {
      if (this.#ws !== ws) return;
      ws.send(PING);
      this.#expect(ws, PONG_WITHIN_MS);
    }, PING_AFTER_MS);
  }

  /** Unless the server says something within `ms`, the connection is dead: replace it.
   * @param {WebSocket} ws @param {number} ms */
  #expect(ws, ms) {
    clearTimeout(this.#quiet);
    this.#quiet = setTimeout(() => {
      if (this.#ws !== ws) return;
      this.#drop(ws);
      this.#down();
    }, ms);
  }

  /** Forget a connection: nothing it says counts any more, and the channel is not live.
   * @param {WebSocket} ws */
  #drop(ws) {
    clearTimeout(this.#quiet);
    this.#ws = null;
    this.live = false;
    ws.onmessage = ws.onclose = ws.onopen = null;
    ws.close(1000);
  }

  #down() {
    this.handlers.onDown?.();
    const delay = retryDelay(this.#failures, Math.random());
    this.#failures += 1;
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => this.open(), delay);
  }
}
