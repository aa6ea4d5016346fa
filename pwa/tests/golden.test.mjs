// The golden cases under sync_protocol/golden/, against the web app's JavaScript.
// tests/sync_protocol/test_golden.py runs the same files against the Python core.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import * as insights from "../js/insights.js";
import * as records from "../js/records.js";
import * as rules from "../js/rules.js";

/** @param {string} name */
const golden = (name) => JSON.parse(readFileSync(new URL(`../../sync_protocol/golden/${name}`, import.meta.url), "utf8"));

describe("markers.json", () => {
  for (const c of golden("markers.json").cases) {
    test(c.name, () => {
      const events = c.markers.map(([kind, period]) => ({ kind, period, recorded_at: null }));
      const folded = rules.foldMarkers(events, c.periods, 0);
      assert.deepEqual(
        { status: folded.status, period: folded.period, refused: folded.refused.map((e) => events.indexOf(e)).sort((a, b) => a - b) },
        { status: c.status, period: c.period, refused: c.refused },
      );
    });
  }
});

describe("score.json", () => {
  for (const c of golden("score.json").cases) {
    test(c.name, () => {
      const goals = rules.score(c.events.map(([kind, side]) => ({ kind, side })));
      assert.deepEqual(goals, { team: c.team, opposition: c.opposition });
    });
  }
});

describe("clock.json", () => {
  const { kick_off, clock, minute_now } = golden("clock.json");
  for (const c of kick_off) {
    test(`kick-off: ${c.name}`, () => {
      const started = rules.kickOffInstant(c.recorded_at, Date.parse(c.received_at));
      assert.equal(Date.parse(started), Date.parse(c.started_at));
    });
    test(`kick-off folded: ${c.name}`, () => {
      const folded = rules.foldMarkers([{ kind: "kick_off", period: 1, recorded_at: c.recorded_at }], 2, Date.parse(c.received_at));
      assert.equal(Date.parse(/** @type {string} */ (folded.periodStartedAt)), Date.parse(c.started_at));
    });
  }
  for (const c of clock) {
    test(`clock: ${c.name}`, () => {
      const state = { status: c.status, period: c.period };
      assert.equal(rules.clockSeconds(state, c.period_started_at, Date.parse(c.now), c.period_minutes), c.seconds);
    });
  }
  for (const c of minute_now) {
    test(`minute now: ${c.name}`, () => {
      const state = { status: c.status, period: c.period };
      const at = rules.minuteNow(state, c.period_started_at, Date.parse(c.now), c.period_minutes);
      assert.deepEqual(at, { period: c.at[0], minute: c.at[1], stoppage: c.at[2] });
    });
  }
});

describe("window.json", () => {
  /** @param {[number, number, number]} time */
  const matchTime = ([period, minute, stoppage]) => ({ period, minute, stoppage });
  for (const c of golden("window.json").cases) {
    test(c.name, () => {
      const state = { status: c.status, period: c.period };
      const whistle = c.full_time === null ? null : matchTime(c.full_time);
      assert.equal(rules.checkEventTime(state, matchTime(c.at), whistle), c.refused);
    });
  }
});

describe("assists.json", () => {
  for (const c of golden("assists.json").cases) {
    test(c.name, () => {
      assert.equal(rules.checkAssist(c.kind, c.side, c.player_id, c.assist_player_id), c.refused);
    });
  }
});

describe("records.json", () => {
  for (const c of golden("records.json").cases) {
    test(c.name, () => {
      assert.deepEqual(records.full(c.compact), c.full);
    });
  }
});

describe("order.json", () => {
  for (const c of golden("order.json").cases) {
    test(c.name, () => {
      for (const events of [c.events, [...c.events].reverse()]) {
        assert.deepEqual([...events].sort(rules.byMatchTime).map((e) => e.id), c.order);
      }
    });
  }
});

describe("repair.json", () => {
  const name = (/** @type {any} */ r) => (r.type === "event" ? r.id : `${r.id}/${r.type}`);
  for (const c of golden("repair.json").cases) {
    test(c.name, () => {
      for (const records of [c.records, [...c.records].reverse()]) {
        const sorted = [...records].sort((a, b) => rules.compareRepairOrder(rules.repairOrder(a), rules.repairOrder(b)));
        assert.deepEqual(sorted.map(name), c.order);
      }
    });
  }
});

/** A golden match, its events' left-out fields as the server defaults them. */
const matchLog = (/** @type {any} */ match) => ({
  id: "",
  kickoff_at: "2026-01-01T00:00:00Z",
  ...match,
  events: match.events.map((/** @type {any} */ e) => ({
    side: "team", stoppage: 0, player_id: null, replaced_player_id: null, assist_player_id: null, recorded_at: null, ...e,
  })),
});

describe("minutes.json", () => {
  for (const c of golden("minutes.json").cases) {
    test(c.name, () => {
      const now = c.now === null ? null : { period: c.now[0], minute: c.now[1], stoppage: c.now[2] };
      const { played, periods, players } = insights.minutesPlayed(matchLog(c), now);
      assert.deepEqual({ played, periods, players }, c.expected);
    });
  }
});

describe("minutes.json: a substitution the page logs at the break", () => {
  const c = golden("minutes.json").cases.find((k) => k.name.startsWith("a substitution at the break"));
  const sub = c.events.find((e) => e.kind === "substitution");
  // The match as the phone holds it while the sub is made: the first period over, the
  // second not kicked off.
  const before = c.events.filter((e) => (e.kind === "kick_off" && e.period === 1) || e.kind === "half_time");
  const state = rules.foldMarkers(before.map((e) => ({ ...e, recorded_at: null })), c.periods, 0);
  const format = { periods: c.periods, period_minutes: c.period_minutes };
  const now = Date.parse("2026-11-21T10:40:00Z");

  test("is timed as the golden case times it: the next period's kick-off", () => {
    assert.equal(state.status, "interval");
    const at = rules.eventTimeNow("substitution", state, state.periodStartedAt, now, format);
    assert.deepEqual(at, { period: sub.period, minute: sub.minute, stoppage: sub.stoppage ?? 0 });
  });

  test("anything else at the break stays at the ended period's last minute", () => {
    const at = rules.eventTimeNow("goal", state, state.periodStartedAt, now, format);
    assert.deepEqual(at, { period: 1, minute: c.period_minutes, stoppage: 0 });
  });

  test("after the last period there is no next kick-off to time it at", () => {
    const last = { status: /** @type {const} */ ("interval"), period: c.periods };
    const at = rules.eventTimeNow("substitution", last, null, now, format);
    assert.deepEqual(at, { period: c.periods, minute: c.periods * c.period_minutes, stoppage: 0 });
  });

  test("in play a substitution is timed at the minute being played", () => {
    const live = { status: /** @type {const} */ ("live"), period: 1 };
    const kickedOff = new Date(now - 9.5 * 60_000).toISOString();
    assert.deepEqual(rules.eventTimeNow("substitution", live, kickedOff, now, format), { period: 1, minute: 10, stoppage: 0 });
  });
});

describe("stats.json", () => {
  for (const c of golden("stats.json").cases) {
    test(c.name, () => {
      const { team, players } = insights.stats(c.matches.map(matchLog));
      for (const line of Object.values(players)) {
        line.counts = Object.fromEntries(Object.entries(line.counts).filter(([, count]) => count));
      }
      assert.deepEqual({ team, players }, c.expected);
    });
  }
});
