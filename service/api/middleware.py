"""What every request goes through: a request id, the body limit, no control characters in the URL, metrics,
and a 500 problem for the unexpected."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from events import FieldProblem
from events.prepare import NOT_TEXT, not_text
from service.api.metrics import Metrics
from service.api.problems import problem_response

log = logging.getLogger("accord.http")
REQUEST_ID_HEADER = "x-request-id"
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class BodyTooLarge(Exception):
    pass


class RequestContext:
    """Outermost of accord's middleware.

    Gives each request an id (the client's `X-Request-ID` when it is a sane
    token, else a new one) and sends it back; refuses bodies over `max_body`
    with 413 before the app reads them; refuses a path holding a character
    no text in the archive holds (NUL, other C0 controls) with 404 and a
    query parameter holding one with 422 (nothing can be found by it, and
    PostgreSQL refuses even to be asked about NUL); counts and times each
    request by its route; turns an exception that escapes the app into a 500 problem that
    tells the client the request id and nothing else, and logs the trace
    under that id.
    """

    def __init__(self, app: ASGIApp, *, metrics: Metrics, max_body: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = given if _GOOD_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER.encode(), request_id.encode())]
            await send(message)

        async def answer(status_code: int, detail: str, errors: list[FieldProblem] | None = None) -> None:
            response = problem_response(status_code, detail, instance=scope["path"], errors=errors, request_id=request_id)
            await response(scope, receive, send_with_id)

        try:
            length = headers.get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_body):
                await answer(413, f"the body is larger than {self.max_body} bytes")
                return
            in_path = NOT_TEXT.search(scope["path"])
            if in_path is not None:
                await answer(404, f"nothing is at a path holding {not_text(in_path.group())}")
                return
            problems = _parameters_not_text(scope.get("query_string", b""))
            if problems:
                await answer(422, "the request is not valid; see errors", problems)
                return
            try:
                await self.app(scope, self._limited(receive), send_with_id)
            except BodyTooLarge:
                if not response_started:
                    await answer(413, f"the body is larger than {self.max_body} bytes")
            except Exception:
                log.exception("request %s %s %s failed", request_id, scope["method"], scope["path"])
                if not response_started:
                    await answer(500, f"the server failed; quote request id {request_id} when reporting it")
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(scope["method"], template, status, time.perf_counter() - started)

    def _limited(self, receive: Receive) -> Receive:
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge
            return message

        return limited


def _parameters_not_text(query: bytes) -> list[FieldProblem]:
    """A problem for each query parameter whose name or value holds a character no text holds, read as the app reads it."""
    if b"%" not in query:  # the server refuses such characters unescaped: nothing to decode
        return []
    problems = {}
    for name, value in QueryParams(query).multi_items():
        found = NOT_TEXT.search(name + value)
        if found is not None:  # the name is echoed, as problems echo text: its characters escaped
            problems[name] = FieldProblem(f"query.{name}", f"must not hold {not_text(found.group())}")
    return [problems[name] for name in sorted(problems)]
