"""How the server is: /health for load balancers and people, /metrics for Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from service.api import models
from service.api.events import archive_of, json_response

router = APIRouter(tags=["operations"])


@router.get(
    "/health",
    summary="Database and search index reachable, head of the log, each projection's position and lag",
    response_model=models.Health,
    responses={503: {"model": models.Health, "description": "The database or the search index does not answer"}},
)
def health(request: Request) -> Response:
    archive = archive_of(request)
    follower = archive.follower
    try:
        head = archive.store.head()
    except Exception as exc:  # whatever the driver raises, the answer is: not healthy
        return _unhealthy(database=False, index=None, error=exc)
    try:
        archive.index.checkpoint()
    except Exception as exc:
        return _unhealthy(database=True, index=False, error=exc)
    try:
        positions = archive.runner.positions()
    except Exception as exc:
        return _unhealthy(database=False, index=True, error=exc)
    projections = [{"name": n, "position": p, "lag": max(head.position - p, 0)} for n, p in positions.items()]
    status = "ok"
    if follower.last_error or not follower.running:
        status = "degraded"
    elif any(p["lag"] for p in projections) or not follower.caught_up.is_set():
        # Until its first catch-up (and the reading of the index's arrays after it) is over,
        # this node answers, but slowly: a load balancer should not send it traffic yet.
        status = "catching_up"
    body = {
        "status": status, "database": True, "index": True, "head": {"position": head.position, "hash": head.hash},
        "projections": projections, "error": follower.last_error,
    }
    return json_response(body)


def _unhealthy(*, database: bool, index: bool | None, error: Exception) -> Response:
    body = {"status": "degraded", "database": database, "index": index, "head": None, "projections": [],
            "error": f"{type(error).__name__}: {error}"}
    return json_response(body, 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    return Response(await run_in_threadpool(archive_of(request).metrics.exposition), media_type=CONTENT_TYPE_LATEST)
