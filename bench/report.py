"""Turn a run's figures into the bars' verdicts, a chart and the README's results table."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from bench.workload import percentile

START = "<!-- results:start -->"
END = "<!-- results:end -->"


def cdf(samples: list[float]) -> list[float]:
    """The 0th..100th percentiles of ``samples`` (101 values), for the JSON and the chart."""
    return [round(percentile(samples, p), 2) for p in range(101)] if samples else []


def _bar(
    name: str, database: str, value: float | None, limit: str, ok: bool | None, note: str = ""
) -> dict[str, Any]:
    return {
        "bar": name,
        "database": database,
        "value": value,
        "limit": limit,
        "pass": ok,
        "note": note,
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0 or math.isnan(a) or math.isnan(b):
        return None
    return round(a / b, 3)


def bars(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every bar of issue 6, per database, as a ratio with pass (True), miss (False) or
    not measured (None)."""
    out = []
    peer = results.get("peer", {})
    peer_ok = peer.get("available", False)
    raw = results.get("ceilings", {}).get("broadcast", {}).get("1000", {})
    for kind, db in results["databases"].items():
        ceiling = results["ceilings"]["insert"].get(kind, {})
        ingest = db["ingest"]["events_per_second"]
        r = _ratio(ingest, ceiling.get("events_per_second"))
        out.append(
            _bar(
                "ingest ≥ 1.0x the per-batch insert ceiling",
                kind,
                r,
                "≥ 1",
                None if r is None else r >= 1,
            )
        )
        r = _ratio(ingest, peer.get("ingest", {}).get("events_per_second")) if peer_ok else None
        out.append(_bar("ingest ≥ 3x the peer", kind, r, "≥ 3", None if r is None else r >= 3))
        catch = db["catch_up"]
        r = (
            _ratio(catch["events_per_second"], peer.get("catch_up", {}).get("events_per_second"))
            if peer_ok
            else None
        )
        out.append(
            _bar("catch-up events/s ≥ 3x the peer", kind, r, "≥ 3", None if r is None else r >= 3)
        )
        r = (
            _ratio(catch["bytes_per_event"], peer.get("catch_up", {}).get("bytes_per_event"))
            if peer_ok
            else None
        )
        out.append(
            _bar(
                "catch-up bytes/event ≤ ½ the peer's",
                kind,
                r,
                "≤ 0.5",
                None if r is None else r <= 0.5,
            )
        )
        p99 = db["fan_out"]["1000_one_match"]["latency"]["p99_ms"]
        r = _ratio(p99, raw.get("latency", {}).get("p99_ms"))
        out.append(
            _bar(
                "fan-out p99 (1,000 viewers) ≤ 1.5x raw broadcast p99",
                kind,
                r,
                "≤ 1.5",
                None if r is None else r <= 1.5,
            )
        )
        peer_p99 = (
            peer.get("fan_out", {}).get("continuous", {}).get("latency", {}).get("p99_ms")
            if peer_ok
            else None
        )
        r = _ratio(p99, peer_p99)
        out.append(
            _bar(
                "fan-out p99 (1,000) ≤ ½ the peer's continuous p99 (200)",
                kind,
                r,
                "≤ 0.5",
                None if r is None else r <= 0.5,
            )
        )
        two = db["fan_out"].get("1000_two_instances")
        if two is not None:
            added = round(two["latency"]["p99_ms"] - p99, 2)
            out.append(_bar("two instances add ≤ 10 ms p99", kind, added, "≤ 10 ms", added <= 10))
        season = db.get("insights")
        if season is not None:
            for route in ("stats", "fairness"):
                p99 = season[route]["p99_ms"]
                out.append(
                    _bar(
                        f"a season's {route} (40 matches x 150 events) p99 < 50 ms",
                        kind,
                        p99,
                        "< 50 ms",
                        p99 < season["bar_ms"],
                    )
                )
        idle = db["idle_viewers"]["memory_per_viewer_kb"]
        out.append(
            _bar(
                "idle viewer ≤ 20 KB of server memory",
                kind,
                idle,
                "≤ 19.53 KiB",
                idle * 1024 <= 20_000,
            )
        )
        peer_peak = peer.get("peak_rss_kb") if peer_ok else None
        r = _ratio(db["memory"]["peak_rss_after_peer_workload_kb"], peer_peak)
        out.append(
            _bar("peak memory ≤ ¼ the peer's", kind, r, "≤ 0.25", None if r is None else r <= 0.25)
        )
        whole = db["fan_out"]["200_one_match"]["viewer_bytes_whole_run_mean"]
        out.append(
            _bar(
                "a viewer receives < 50 KB for a whole match",
                kind,
                whole,
                "< 50,000 B",
                whole < 50_000,
            )
        )
    return out + storm_bars(results)


def storm_bars(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The reconnect storm's bars (issue 18), per database: every phone acknowledged with
    every event stored exactly once and no error, batch p99 ≤ 1 s, and the time to drain
    the storm ≤ ⅓ of the peer's."""
    storms = results.get("storm", {})
    peer = storms.get("peer", {})
    out = []
    for kind, storm in storms.items():
        if kind == "peer":
            continue
        whole = (
            storm["acknowledged_phones"] == storm["phones"]
            and storm["stored_exactly_once"]
            and storm["errors"] == 0
        )
        out.append(
            _bar(
                "storm: every phone acknowledged, each event stored once, 0 errors",
                kind,
                storm["acknowledged_phones"],
                f"{storm['phones']} phones",
                whole,
            )
        )
        p99 = storm["batch_latency"]["p99_ms"]
        out.append(_bar("storm: batch p99 ≤ 1 s", kind, p99, "≤ 1,000 ms", p99 <= 1000))
        r = _ratio(storm["seconds_to_drain"], peer.get("seconds_to_drain"))
        out.append(
            _bar(
                "storm: drained in ≤ ⅓ the peer's time",
                kind,
                r,
                "≤ 0.333",
                None if r is None else r <= 1 / 3,
            )
        )
    return out


CEILINGS = {
    "driver_single": "driver alone, 1 connection, a commit per batch",
    "driver_threaded": "driver alone, 10 threads, a commit per batch",
    "driver_one_commit": "driver alone, every row in one commit",
    "copy": "COPY, every row in one commit",
}


def chart(results: dict[str, Any], samples: dict[str, list[float]], path: Path) -> str:
    """Write the PNG: fan-out latency distributions and the reconnect storm (top), ingest
    and catch-up throughput (bottom). Returns "" or why no chart was drawn."""
    try:  # an optional dependency (the "bench" extra): without it the run still reports
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return "matplotlib is not installed (pip install -e '.[bench]')"
    fig, ((lat, storm), (ing, cat)) = plt.subplots(2, 2, figsize=(16, 10))
    _latency_panel(lat, samples, plt.get_cmap("tab20").colors)
    _storm_panel(storm, results.get("storm", {}))
    ingest_items = []
    catch_items = []
    for kind, db in results["databases"].items():
        ingest_items.append((f"Touchline /sync ({kind})", db["ingest"]["events_per_second"]))
        ceiling = results["ceilings"]["insert"].get(kind)
        if ceiling:
            ingest_items.append((f"raw insert ceiling ({kind})", ceiling["events_per_second"]))
        catch_items.append((f"Touchline /sync ({kind})", db["catch_up"]["events_per_second"]))
    peer = results.get("peer", {})
    if peer.get("available"):
        ingest_items.append(("PouchDB Server _bulk_docs", peer["ingest"]["events_per_second"]))
        catch_items.append(("PouchDB Server _changes", peer["catch_up"]["events_per_second"]))
    _bars_panel(ing, ingest_items, "Ingest throughput", "events per second")
    _bars_panel(cat, catch_items, "Catch-up throughput", "events per second")
    machine = results["machine"]
    fig.suptitle(
        f"Touchline bench ({results['mode']}) · {machine['cpu']} x {machine['cores']} · "
        f"{machine['date']} · load {results['load_average']['start']}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return ""


def _latency_panel(ax: Any, samples: dict[str, list[float]], palette: Any) -> None:
    for index, (label, values) in enumerate(samples.items()):
        if not values:
            continue
        ordered = sorted(values)
        n = len(ordered)
        style = "-" if label.startswith("Touchline") else "--" if "raw" in label else ":"
        ax.plot(
            [max(v, 0.05) for v in ordered],
            [(i + 1) / n for i in range(n)],
            style,
            label=label,
            linewidth=1.6,
            color=palette[(index * 2) % len(palette)] if index < 10 else palette[index * 2 - 19],
        )
    ax.set_xscale("log")
    ax.set_xlabel("push response → viewer receipt (ms, log scale)")
    ax.set_ylabel("fraction of deliveries")
    ax.set_title("Fan-out latency distributions")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")


STORM_COLOURS = {"sqlite": "#1f77b4", "postgresql": "#2ca02c", "peer": "#d62728"}


def _storm_panel(ax: Any, storms: dict[str, Any]) -> None:
    """Events acknowledged over time in the reconnect storm, each system beside the
    events the reconnected phones were holding (the load offered)."""
    drawn = {name: storm for name, storm in storms.items() if storm.get("curve")}
    first = next(iter(drawn.values()), {})
    offered = first.get("curve")
    if offered:
        ax.plot(
            offered["seconds"], offered["offered"], "k--", linewidth=1.2,
            label="queued on reconnected phones (offered)",
        )  # fmt: skip
    for name, storm in drawn.items():
        who = "PouchDB Server" if name == "peer" else f"Touchline ({name})"
        latency = storm["batch_latency"]
        ax.plot(
            storm["curve"]["seconds"],
            storm["curve"]["acknowledged"],
            "-" if name != "peer" else ":",
            linewidth=1.8,
            color=STORM_COLOURS.get(name),
            label=f"{who}: drained {storm['seconds_to_drain']:.1f} s, "
            f"batch p50 {latency['p50_ms'] / 1000:.2f} s, p99 {latency['p99_ms'] / 1000:.2f} s",
        )
    window = first.get("window_seconds")
    if window:
        ax.axvspan(0, window, color="#cccccc", alpha=0.25, label=f"{window:.0f} s of reconnects")
    phones = max((storm.get("phones", 0) for storm in storms.values()), default=0)
    ax.set_title(f"Full-time reconnect storm: {phones} phones")
    ax.set_xlabel("seconds since the first phone reconnected")
    ax.set_ylabel("events acknowledged")
    ax.grid(True, alpha=0.3)
    if drawn:
        ax.legend(fontsize=7, loc="lower right")
    else:
        ax.text(0.5, 0.5, "not measured", ha="center", va="center", transform=ax.transAxes)


def _bars_panel(ax: Any, items: list[tuple[str, float]], title: str, unit: str) -> None:
    labels = [k for k, _ in items]
    values = [v for _, v in items]
    colours = [
        "#1f77b4" if k.startswith("Touchline") else "#7f7f7f" if "ceiling" in k else "#d62728"
        for k in labels
    ]
    ax.barh(labels, values, color=colours)
    for y, v in enumerate(values):
        ax.text(v, y, f" {v:,.0f}", va="center", fontsize=8)
    ax.set_title(title)
    ax.set_xlabel(unit)
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlim(0, max(values or [1]) * 1.3)


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def markdown(results: dict[str, Any]) -> str:
    """The README's results section."""
    m = results["machine"]
    lines = [
        f"Run of {m['date']} ({results['mode']} mode, {results['duration_seconds']:.0f} s) on "
        f"{m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']}, "
        f"load average {results['load_average']['start']} at the start and "
        f"{results['load_average']['end']} at the end.",
        "",
        "| bar | database | measured | limit | verdict |",
        "| --- | --- | --- | --- | --- |",
    ]
    for bar in results["bars"]:
        verdict = {True: "pass", False: "**miss**", None: "not measured"}[bar["pass"]]
        lines.append(
            f"| {bar['bar']} | {bar['database']} | {_fmt(bar['value'])} | {bar['limit']} | "
            f"{verdict} |"
        )
    missed = [f"{b['bar']} ({b['database']})" for b in results["bars"] if b["pass"] is False]
    lines.append("")
    lines.append("Missed: " + "; ".join(missed) + "." if missed else "Every measured bar passes.")
    lines += [
        "",
        "| figure | " + " | ".join(results["databases"]) + " |",
        "| --- |" + " --- |" * len(results["databases"]),
    ]

    def row(label: str, get: Any) -> None:
        values = []
        for db in results["databases"].values():
            try:
                values.append(_fmt(get(db)))
            except (KeyError, TypeError):
                values.append("n/a")
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    row("ingest, events/s through /sync", lambda d: d["ingest"]["events_per_second"])
    row(
        "raw insert ceiling, rows/s",
        lambda d: results["ceilings"]["insert"][_kind(results, d)]["events_per_second"],
    )
    row(
        "ingest batch latency p50 / p99, ms",
        lambda d: (
            f"{d['ingest']['batch_latency']['p50_ms']} / {d['ingest']['batch_latency']['p99_ms']}"
        ),
    )
    row(
        "ingest, median of runs (events/s); server CPU ms/event",
        lambda d: (
            " / ".join(f"{x:,.0f}" for x in d["ingest"]["runs_events_per_second"])
            + f"; {d['ingest']['server_cpu_ms_per_event']}"
        ),
    )
    for way, label in CEILINGS.items():
        row(
            f"insert ceiling: {label}, rows/s",
            lambda d, w=way: results["ceilings"]["insert"][_kind(results, d)]["ways"][w][
                "events_per_second"
            ],
        )
    row("retried batches answered as replayed", lambda d: d["ingest"]["retry"]["all_replayed"])
    row(
        "catch-up: events, round trips",
        lambda d: f"{d['catch_up']['events']:,}, {d['catch_up']['round_trips']}",
    )
    row("catch-up: time in requests, s", lambda d: d["catch_up"]["seconds_in_requests"])
    row(
        "catch-up: events/s, bytes/event",
        lambda d: f"{d['catch_up']['events_per_second']:,.0f}, {d['catch_up']['bytes_per_event']}",
    )
    for key, label in (
        ("200_one_match", "fan-out 200 viewers, 1 match"),
        ("1000_one_match", "fan-out 1,000 viewers, 1 match"),
        ("1000_over_100_matches", "fan-out 1,000 viewers, 100 matches"),
        ("1000_two_instances", "fan-out 1,000 viewers, 2 instances"),
    ):
        row(
            f"{label}: p50 / p99 ms (missing)",
            lambda d, k=key: (
                f"{d['fan_out'][k]['latency']['p50_ms']} / "
                f"{d['fan_out'][k]['latency']['p99_ms']} ({d['fan_out'][k]['missing']})"
            ),
        )
    row(
        "server memory per idle viewer (1,000 on a fresh server), KiB",
        lambda d: d["idle_viewers"]["memory_per_viewer_kb"],
    )
    row(
        "server RSS at start (idle, migrated), MiB",
        lambda d: round(d["memory"]["rss_at_start_kb"] / 1024),
    )
    row(
        "server peak RSS (same workload as the peer / whole run), MiB",
        lambda d: (
            f"{d['memory']['peak_rss_after_peer_workload_kb'] / 1024:.0f} / "
            f"{d['memory']['peak_rss_kb'] / 1024:.0f}"
        ),
    )
    row(
        "pusher bytes/event (batches of 50 / one per sync)",
        lambda d: (
            f"{d['ingest']['pusher_bytes_per_event']} / "
            f"{d['fan_out']['200_one_match']['pusher_bytes_per_event']}"
        ),
    )
    row(
        "viewer bytes/event (live)",
        lambda d: d["fan_out"]["200_one_match"]["viewer_bytes_per_event"],
    )
    row(
        "viewer bytes for a whole match (150 events)",
        lambda d: d["fan_out"]["200_one_match"]["viewer_bytes_whole_run_mean"],
    )

    lines += ["", "References measured in the same run:", ""]
    ceilings = results["ceilings"]
    for viewers, raw in ceilings.get("broadcast", {}).items():
        lines.append(
            f"- raw `websockets` broadcast to {viewers} viewers: p50 "
            f"{raw['latency']['p50_ms']} ms, p99 {raw['latency']['p99_ms']} ms"
        )
    peer = results.get("peer", {})
    if peer.get("available"):
        lines.append(
            f"- PouchDB Server {peer['version']}: ingest "
            f"{peer['ingest']['events_per_second']:,.0f} docs/s "
            f"(retries all answered conflict: {peer['ingest']['retry']['all_conflict']}); catch-up "
            f"{peer['catch_up']['events_per_second']:,.0f} docs/s in "
            f"{peer['catch_up']['round_trips']} round trips, "
            f"{peer['catch_up']['bytes_per_event']} bytes/doc; peak RSS "
            f"{peer['peak_rss_kb'] / 1024:.0f} MiB"
        )
        for feed, f in peer.get("fan_out", {}).items():
            lines.append(
                f"- PouchDB Server `_changes` {feed} feed, {f['viewers']} viewers: p50 "
                f"{f['latency']['p50_ms']} ms, "
                f"p99 {f['latency']['p99_ms']} ms, {f['viewer_bytes_per_event']} bytes/event "
                f"per viewer (missing {f['missing']})"
            )
    else:
        lines.append(f"- PouchDB Server: not measured ({peer.get('reason', 'skipped')})")
    return "\n".join(lines + storm_lines(results))


def storm_lines(results: dict[str, Any]) -> list[str]:
    """The reconnect storm's figures, Touchline on each database and the peer."""
    storms = results.get("storm", {})
    if not storms:
        return []
    lines = ["", "The full-time reconnect storm (a fresh server each):", ""]
    for name, storm in storms.items():
        if not storm.get("phones"):
            lines.append(f"- {name}: not measured ({storm.get('reason', 'skipped')})")
            continue
        who = "PouchDB Server `_bulk_docs`" if name == "peer" else f"Touchline on {name}"
        latency = storm["batch_latency"]
        lines.append(
            f"- {who}: {storm['acknowledged_phones']} of {storm['phones']} phones "
            f"({storm['events']:,} events) acknowledged in {storm['seconds_to_drain']} s"
            f"{_after_last(storm)}; "
            f"batch p50 {latency['p50_ms']} ms, p99 {latency['p99_ms']} ms; retried "
            f"{storm['retried'] or 'none'}; errors {storm['errors']}; stored exactly once: "
            f"{storm['stored_exactly_once']}; peak RSS "
            f"{storm['memory']['peak_rss_kb'] / 1024:.0f} MiB"
        )
    return lines


def _after_last(storm: dict[str, Any]) -> str:
    after = storm.get("seconds_after_last_reconnect")
    return "" if after is None else f" ({after} s after the last phone reconnected)"


def samples_from(results: dict[str, Any]) -> dict[str, list[float]]:
    """The latency distributions kept in a results file (101 percentiles each), by label."""
    out: dict[str, list[float]] = {}
    for kind, db in results["databases"].items():
        for key, label in FAN_OUT_LABELS.items():
            if key in db["fan_out"]:
                out[f"Touchline {label} ({kind})"] = db["fan_out"][key]["latency_cdf_ms"]
    for viewers, raw in results["ceilings"].get("broadcast", {}).items():
        out[f"raw websockets broadcast, {int(viewers):,} viewers"] = raw["latency_cdf_ms"]
    for feed, result in results.get("peer", {}).get("fan_out", {}).items():
        out[f"PouchDB Server {feed} feed, {result['viewers']} viewers"] = result["latency_cdf_ms"]
    return out


FAN_OUT_LABELS = {
    "200_one_match": "200 viewers, 1 match",
    "1000_one_match": "1,000 viewers, 1 match",
    "1000_over_100_matches": "1,000 viewers, 100 matches",
    "1000_two_instances": "1,000 viewers, 2 instances",
}


def _kind(results: dict[str, Any], db: dict[str, Any]) -> str:
    for kind, value in results["databases"].items():
        if value is db:
            return kind
    raise KeyError("database")


def update_readme(readme: Path, section: str) -> None:
    text = readme.read_text()
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    replacement = f"{START}\n{section}\n{END}"
    if pattern.search(text):
        text = pattern.sub(lambda _: replacement, text)
    else:
        text = text.rstrip() + "\n\n" + replacement + "\n"
    readme.write_text(text)


if __name__ == "__main__":
    # Redraw a chart from a results file: python -m bench.report bench/results/latest.json
    import json
    import sys

    source = Path(sys.argv[1])
    saved = json.loads(source.read_text())
    print(chart(saved, samples_from(saved), source.with_name("chart.png")) or "chart written")
