"""Prometheus metrics (prometheus-client): requests and latency per GraphQL operation name,
GraphQL errors by code, jobs per kind, queue depth, import rows and database pool use.

Each process keeps its own registry and serves it itself: the API on `/metrics`, a worker on
`LOYALTY_METRICS_PORT`. Prometheus scrapes every process as its own target, so no shared
multiprocess directory is needed. Labels are bounded sets chosen by the code (route
templates, job function names, error codes, operation names capped in number); never a
value of a request.
"""

from app.metrics.registry import REGISTRY

__all__ = ["REGISTRY"]
