"""The app factory: routers, problems, middleware, and a lifespan that opens the archive and follows the log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.concurrency import run_in_threadpool

from service.api import events, health, integrity, problems, proofs, reads, search
from service.api.auth import TokenCache
from service.api.follower import Bell
from service.api.formats import state_formats
from service.api.metrics import Metrics
from service.api.middleware import RequestContext
from service.api.state import Archive
from service.settings import Settings
from service.web import install as install_pages
from service.web.pages import error_page

DESCRIPTION = """\
accord is an event-sourced, hash-chained archive of facts about relations
between research institutions. Reads are public unless the server is run with
`ACCORD_PUBLIC_READ=false`; appends need `Authorization: Bearer <token>` of an
archivist or admin. Every error is an RFC 9457 `application/problem+json`
document whose `request_id` matches the `X-Request-ID` response header.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """An accord server over the archive `settings` name (from the environment by default)."""
    settings = settings or Settings()
    metrics = Metrics()
    bell = Bell()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        bell.attach(asyncio.get_running_loop())
        archive = await run_in_threadpool(Archive.open, settings, metrics, bell)
        app.state.archive = archive
        archive.start()
        try:
            yield
        finally:
            await run_in_threadpool(archive.close)

    app = FastAPI(
        title="accord",
        version="0.1.0",
        summary="An event-sourced, verifiable archive of relations between research institutions",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.tokens = TokenCache()
    metrics.watch(lambda: app.state.archive.positions())
    problems.install(app, page=error_page)
    app.add_middleware(RequestContext, metrics=metrics, max_body=settings.max_body_bytes)

    app.include_router(events.appends)
    app.include_router(events.router)
    app.include_router(reads.router)
    app.include_router(search.router)
    app.include_router(integrity.router)
    app.include_router(proofs.router)
    app.include_router(health.router)
    install_pages(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, description=app.description, routes=app.routes
            )
            app.openapi_schema = state_formats(_problems_as_problem_json(schema, public_read=settings.public_read))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _problems_as_problem_json(schema: dict[str, Any], *, public_read: bool) -> dict[str, Any]:
    """Document every error response as `application/problem+json` with the Problem schema, the way it is
    sent, and a token as optional on reads while they are public."""
    problem = {"$ref": "#/components/schemas/Problem"}
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = problems.Problem.model_json_schema(
        ref_template="#/components/schemas/{model}"
    ).copy()
    defs = schema["components"]["schemas"]["Problem"].pop("$defs", {})
    schema["components"]["schemas"].update(defs)
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    for path in schema.get("paths", {}).values():
        for method, operation in path.items():
            if public_read and method == "get" and operation.get("security"):
                operation["security"] = [{}, *operation["security"]]
            for content in operation.get("requestBody", {}).get("content", {}).values():
                schema["components"]["schemas"].update(content.get("schema", {}).pop("$defs", {}))
            for status, response in operation.get("responses", {}).items():
                if not status.isdigit() or int(status) < 400 or "#/components/schemas/Health" in str(response):
                    continue  # /health answers 503 with its own body, not a problem
                response["content"] = {problems.PROBLEM_JSON: {"schema": problem}}
    return schema
