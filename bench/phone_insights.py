"""How long the coach's phone takes to work out one match's minutes and stats (issue 16's
bar: under 30 ms for a match).

    .venv/bin/python bench/phone_insights.py

Runs the web app's own `pwa/js/insights.js` in Debian's Chromium (through Playwright),
served from this checkout on a loopback port, on a match of 150 events (two halves of 45,
14 players, substitutions, cards, goals with assists, shots, corners, added time): 20
unmeasured runs, then 200 timed runs of `minutesPlayed` and `stats` together, as the
minutes and stats screens call them. Once at this machine's speed and once with Chromium's
CPU throttled 4x (DevTools' "mid-tier mobile" setting), which stands for a phone. Prints
p50 and p99 and writes them to `bench/.scratch/phone-insights.json`.
"""

from __future__ import annotations

import functools
import json
import statistics
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
RUNS = 200

# Built in the page, so the timing covers only the rules. Event ids sort in match order.
MEASURE = """
async (runs) => {
  const insights = await import("/pwa/js/insights.js");
  const players = Array.from({ length: 14 }, (_, i) => `p${String(i).padStart(2, "0")}`);
  const lineup = players.map((id, i) => ({ player_id: id, role: i < 11 ? "starting" : "bench" }));
  const events = [];
  const add = (kind, period, minute, extra = {}) =>
    events.push({ id: `e${String(events.length).padStart(4, "0")}`, kind, period, minute,
      side: "team", stoppage: 0, player_id: null, replaced_player_id: null,
      assist_player_id: null, recorded_at: null, ...extra });
  const kinds = ["tackle", "interception", "key_pass", "save", "foul", "shot_on_target",
    "shot_off_target", "corner", "free_kick", "ball_out"];
  add("kick_off", 1, 0);
  for (let n = 0; events.length < 147; n++) {
    const period = events.length < 74 ? 1 : 2;
    if (period === 2 && !events.some((e) => e.kind === "half_time")) {
      add("half_time", 1, 45, { stoppage: 2 });
      add("kick_off", 2, 45);
      continue;
    }
    const minute = period === 1 ? (n * 45) / 74 : 45 + ((n - 74) * 45) / 74;
    const player = players[n % 11];
    if (n % 25 === 12) {
      const on = players[11 + (n % 3)];
      const sub = { player_id: on, replaced_player_id: player };
      add("substitution", period, Math.floor(minute), sub);
    } else if (n % 17 === 5) {
      const assist = players[(n + 1) % 11];
      add("goal", period, Math.floor(minute), { player_id: player, assist_player_id: assist });
    } else if (n % 31 === 7) {
      add("yellow_card", period, Math.floor(minute), { player_id: player });
    } else {
      const ours = n % 4 !== 0;
      const by = ours ? { player_id: player } : { side: "opposition" };
      add(kinds[n % kinds.length], period, Math.floor(minute), by);
    }
  }
  add("full_time", 2, 90, { stoppage: 3 });
  const match = { id: "m", kickoff_at: "2026-11-21T10:00:00Z", periods: 2,
    period_minutes: 45, lineup, events };
  const once = () => {
    const started = performance.now();
    insights.minutesPlayed(match);
    insights.stats([match]);
    return performance.now() - started;
  };
  for (let i = 0; i < 20; i++) once();
  return { events: events.length, times: Array.from({ length: runs }, once) };
}
"""


def _percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    handler = functools.partial(_Quiet, directory=str(ROOT))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    results = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            for rate in (1, 4):
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{server.server_address[1]}/bench/")
                page.context.new_cdp_session(page).send(
                    "Emulation.setCPUThrottlingRate", {"rate": rate}
                )
                measured = page.evaluate(MEASURE, RUNS)
                times = measured["times"]
                results[f"cpu_{rate}x"] = {
                    "events": measured["events"],
                    "p50_ms": round(statistics.median(times), 2),
                    "p99_ms": round(_percentile(times, 0.99), 2),
                }
                page.close()
            browser.close()
    finally:
        server.shutdown()
    for name, figures in results.items():
        print(f"{name}: {figures['events']} events, p50 {figures['p50_ms']} ms, "
              f"p99 {figures['p99_ms']} ms (bar: under 30 ms)")  # fmt: skip
    scratch = ROOT / "bench" / ".scratch"
    scratch.mkdir(exist_ok=True)
    (scratch / "phone-insights.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
