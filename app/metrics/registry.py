"""The registry of this process and every metric the service exports."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

from app.metrics.database import DatabasePoolCollector

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)
REGISTRY.register(DatabasePoolCollector())

# The POS lookups answer in milliseconds; imports and persona runs take minutes.
REQUEST_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (0.01, 0.05, 0.25, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)

HTTP_REQUESTS = Counter(
    "loyalty_http_requests",
    "HTTP requests by route template, method and status code.",
    ("route", "method", "status"),
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "loyalty_http_request_duration_seconds",
    "Time from the first byte received to the last byte sent, by route template.",
    ("route",),
    buckets=REQUEST_BUCKETS,
    registry=REGISTRY,
)
GRAPHQL_REQUESTS = Counter(
    "loyalty_graphql_requests",
    "GraphQL requests by operation name and outcome (ok, or error when the response carries "
    "top-level errors).",
    ("operation", "outcome"),
    registry=REGISTRY,
)
GRAPHQL_DURATION = Histogram(
    "loyalty_graphql_request_duration_seconds",
    "GraphQL request latency by operation name, measured at the HTTP edge.",
    ("operation",),
    buckets=REQUEST_BUCKETS,
    registry=REGISTRY,
)
GRAPHQL_ERRORS = Counter(
    "loyalty_graphql_errors",
    "Top-level GraphQL errors by code.",
    ("code",),
    registry=REGISTRY,
)
JOBS = Counter(
    "loyalty_jobs",
    "Background jobs run, by job kind and outcome (success, failure, retry, cancelled).",
    ("job", "outcome"),
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "loyalty_job_duration_seconds",
    "Run time of background jobs by job kind, whatever their outcome.",
    ("job",),
    buckets=JOB_BUCKETS,
    registry=REGISTRY,
)
JOBS_RUNNING = Gauge(
    "loyalty_jobs_running",
    "Background jobs running now in this process, by job kind.",
    ("job",),
    registry=REGISTRY,
)
IMPORT_ROWS = Counter(
    "loyalty_import_rows",
    "Import rows processed by this process, by outcome.",
    ("outcome",),
    registry=REGISTRY,
)
