"""Prometheus metrics, one registry per app. Served at /metrics, which is not public:
it answers loopback clients, or a request bearing the configured metrics token."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "touchline_http_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "touchline_http_request_seconds",
            "HTTP request latency by route",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.sync_batches = Counter(
            "touchline_sync_batches", "Sync requests that pushed mutations", registry=self.registry
        )
        self.sync_mutations = Counter(
            "touchline_sync_mutations",
            "Mutations processed by verdict",
            ["verdict"],
            registry=self.registry,
        )
        self.sync_behind = Histogram(
            "touchline_sync_behind_changes",
            "Changes a device still had to pull after each sync (its lag behind the head)",
            buckets=(0, 1, 10, 100, 1000, 10000),
            registry=self.registry,
        )
        self.live_connections = Gauge(
            "touchline_live_connections", "Open live WebSocket subscribers", registry=self.registry
        )
        self.push_notices = Counter(
            "touchline_push_notices",
            "Web Push alerts by outcome: sent, failed (after retries, or gone) or dropped",
            ["outcome"],
            registry=self.registry,
        )
        self.fanout = Histogram(
            "touchline_fanout_seconds",
            "From a commit notice to every live subscriber's message being queued",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
