"""Prometheus metrics (api.metrics) in the text exposition format."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

router = APIRouter(tags=["health"])
METRICS_EXAMPLE = (  # the docs' example: lines a replay service answered
    "# HELP wirecoder_http_requests_total HTTP requests answered, by method, route template "
    "and status code.\n"
    "# TYPE wirecoder_http_requests_total counter\n"
    'wirecoder_http_requests_total{method="POST",route="/v1/articles",status="200"} 7.0\n'
    'wirecoder_http_requests_total{method="GET",route="/health",status="200"} 3.0\n'
)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {
                CONTENT_TYPE_LATEST.split(";")[0]: {
                    "schema": {"type": "string"},
                    "example": METRICS_EXAMPLE,
                }
            },
            "description": "Prometheus text format: HTTP requests, jobs by status, queue depth, "
            "extraction latency, model calls, re-asks, retries, tokens, replay hits and misses.",
        }
    },
)
def metrics(request: Request) -> Response:
    """This process's counters and the job table's state, for Prometheus to scrape."""
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
