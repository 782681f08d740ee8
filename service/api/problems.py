"""Errors as RFC 9457 problem details (`application/problem+json`), for every way a request can fail."""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from events import DuplicateEvent, EventStoreError, FieldProblem, InvalidEvent, VersionConflict
from events.prepare import NOT_TEXT
from projections import BadTime
from search_index import QueryError
from service.web.negotiation import wants_html

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("accord.http")


class FieldError(BaseModel):
    field: str = Field(description="Where the problem is: `query.limit`, `events[0].occurred`, ...")
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details; `errors` lists each bad field, `request_id` matches the X-Request-ID header."""

    type: str = Field(default="about:blank", examples=["about:blank"])
    title: str = Field(examples=["Conflict"])
    status: int = Field(examples=[409])
    detail: str | None = Field(default=None, examples=["stream 'org-jinr' is at version 3, expected 1"])
    instance: str | None = Field(default=None, examples=["/streams/org-jinr/events"])
    errors: list[FieldError] | None = None
    actual_version: int | None = Field(default=None, description="On a version conflict: the stream's last version")
    request_id: str | None = None


class ApiProblem(Exception):
    """Raise from an endpoint to answer with a problem."""

    def __init__(
        self, status: int, detail: str | None = None, *, errors: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None, **extra: Any,
    ) -> None:
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.extra = extra
        super().__init__(detail)


def problem_response(
    status: int, detail: str | None = None, *, instance: str | None = None, errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None, request_id: str | None = None, **extra: Any,
) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = printable(detail)
    if instance:
        body["instance"] = printable(instance)
    if errors is not None:
        body["errors"] = [{"field": printable(e.field), "reason": printable(e.reason)} for e in errors]
    body.update(extra)
    if request_id:
        body["request_id"] = request_id
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def printable(text: str) -> str:
    """`text` with each character no text holds written as a JSON escape: a problem may echo what it refuses."""
    return NOT_TEXT.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _request_id(request: Request) -> str | None:
    return request.scope.get("state", {}).get("request_id")


def _location(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path.lstrip(".")


ProblemPage = Callable[[Request, int, str | None, list[FieldProblem] | None], Response]
"""Renders a problem as a page, for requests that prefer text/html."""


def install(app: FastAPI, page: ProblemPage | None = None) -> None:
    """Answer every error the app can meet with a problem (a page, when `page` is given and the request wants one)."""

    def answer(request: Request, status: int, detail: str | None = None, **kwargs: Any) -> Response:
        if page is not None and wants_html(request):
            response = page(request, status, detail, kwargs.get("errors"))
            response.headers.update(kwargs.get("headers") or {})
            return response
        if page is not None:  # the same URL answers a browser with a page: caches must keep the two apart
            kwargs["headers"] = {"Vary": "Accept", **(kwargs.get("headers") or {})}
        return problem_response(status, detail, instance=request.url.path, request_id=_request_id(request), **kwargs)

    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: ApiProblem) -> Response:
        return answer(request, exc.status, exc.detail, errors=exc.errors, headers=exc.headers, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase else None
        if exc.status_code == 404 and detail is None:
            detail = f"nothing at {request.url.path}"
        return answer(request, exc.status_code, detail, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = [FieldProblem(_location(tuple(e["loc"])), e["msg"]) for e in exc.errors()]
        return answer(request, 422, "the request is not valid; see errors", errors=errors)

    @app.exception_handler(BadTime)
    async def bad_time(request: Request, exc: BadTime) -> Response:
        return answer(request, 422, str(exc), errors=[FieldProblem(f"query.{exc.parameter}", exc.reason)])

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, exc: QueryError) -> Response:
        return answer(request, 400, str(exc), errors=[FieldProblem(f"query.{exc.parameter}", exc.reason)])

    @app.exception_handler(InvalidEvent)
    async def invalid_event(request: Request, exc: InvalidEvent) -> Response:
        return answer(request, 422, "the events are not valid; see errors", errors=exc.problems)

    @app.exception_handler(VersionConflict)
    async def conflict(request: Request, exc: VersionConflict) -> Response:
        return answer(request, 409, str(exc), actual_version=exc.actual)

    @app.exception_handler(DuplicateEvent)
    async def duplicate(request: Request, exc: DuplicateEvent) -> Response:
        return answer(request, 409, str(exc), errors=[FieldProblem("events", str(exc))])

    @app.exception_handler(EventStoreError)
    async def store_error(request: Request, exc: EventStoreError) -> Response:
        log.error("request %s: %s", _request_id(request), exc)
        return answer(request, 503, "the database could not take the request; try again")


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems an operation can answer with."""
    described = {
        400: "The request cannot be read",
        401: "No token, or a token the archive does not know",
        403: "The token's role may not do this",
        404: "Not found",
        409: "The stream is not at the expected version, or an id is stored with other content",
        413: "The body is larger than the server accepts",
        422: "Invalid input: each entry of `errors` names a field and why",
        503: "The database is not reachable",
    }
    return {status: {"model": Problem, "description": described[status], "content": {PROBLEM_JSON: {}}} for status in statuses}
