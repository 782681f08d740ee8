"""What every request goes through: a request id, the body limit, metrics, and a 500 problem for the unexpected."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    with 413 before the app reads them; counts and times each request by its
    route; turns an exception that escapes the app into a 500 problem that
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

        async def answer(status_code: int, detail: str) -> None:
            response = problem_response(status_code, detail, instance=scope["path"], request_id=request_id)
            await response(scope, receive, send_with_id)

        try:
            length = headers.get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_body):
                await answer(413, f"the body is larger than {self.max_body} bytes")
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

