// Erasing a player on the phone: queued as delete_player with erase, and gone from what
// the phone shows at once, before the server has answered.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as m from "../js/mutations.js";

const TEAM = "6f1c2a9e-0b3d-4c5e-8f70-1a2b3c4d5e6f";
const PLAYER = "c0ffee00-1234-4abc-8def-0123456789ab";

test("erasing a player queues delete_player with erase, and the view forgets the name", () => {
  const command = m.erasePlayer(PLAYER);
  const stored = { type: "player", id: PLAYER, space: TEAM, seq: 1, data: { id: PLAYER, team_id: TEAM, squad_number: 7, display_name: "Ada", full_name: "Ada Lovelace" } };
  const entry = { id: 1, ...command, client_time: "2026-11-21T10:00:00Z", sent: false };

  assert.deepEqual(command, { name: "delete_player", args: { player_id: PLAYER, erase: true } });
  assert.equal(m.view([stored], []).players.get(PLAYER)?.display_name, "Ada");
  assert.equal(m.view([stored], [entry]).players.has(PLAYER), false);
});
