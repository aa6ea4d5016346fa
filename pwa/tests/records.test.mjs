// Live records (SPEC.md "Live records") made whole by the same function as a pull's.
import assert from "node:assert/strict";
import { test } from "node:test";

import { KIND_LABELS, KINDS } from "../js/protocol.js";
import * as records from "../js/records.js";
import * as rules from "../js/rules.js";

const MATCH = "6f1c2a9e-0b3d-4c5e-8f70-1a2b3c4d5e6f";
const EVENT = "c0ffee00-1234-4abc-8def-0123456789ab";

test("a live event without its nullable fields has them as null", () => {
  const change = { type: "event", id: EVENT, seq: 4, data: { kind: "goal", side: "opposition", period: 1, minute: 3, stoppage: 0 } };
  assert.deepEqual(records.expand({ ...change, space: MATCH }), {
    id: EVENT,
    match_id: MATCH,
    kind: "goal",
    side: "opposition",
    period: 1,
    minute: 3,
    stoppage: 0,
    player_id: null,
    replaced_player_id: null,
    note: null,
    recorded_at: null,
    assist_player_id: null,
  });
});

test("a deleted live record expands to nothing", () => {
  assert.equal(records.expand({ type: "event", id: EVENT, space: MATCH, seq: 5, deleted: true }), null);
});

test("every kind has a label, and an unknown kind reads as itself", () => {
  assert.deepEqual(Object.keys(KIND_LABELS).sort(), [...KINDS].sort());
  assert.equal(rules.kindLabel("bicycle_kick"), "bicycle_kick");
});
