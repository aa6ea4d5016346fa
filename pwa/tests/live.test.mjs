// The live channel's back-off between attempts (pwa/js/live.js), which needs no network.

import assert from "node:assert/strict";
import { test } from "node:test";

import { RETRY_MAX_MS, retryDelay } from "../js/live.js";

test("the wait doubles from one second with each failure", () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((failures) => retryDelay(failures, 0.5)),
    [1000, 2000, 4000, 8000, 16000],
  );
});

test("the wait stops growing at the most", () => {
  assert.equal(retryDelay(5, 0.5), RETRY_MAX_MS);
  assert.equal(retryDelay(60, 0.5), RETRY_MAX_MS);
});

test("the wait is spread by a quarter either way", () => {
  assert.equal(retryDelay(0, 0), 750);
  assert.ok(retryDelay(0, 0.999999) < 1250);
  assert.equal(retryDelay(40, 0), RETRY_MAX_MS * 0.75);
});
