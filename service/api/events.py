"""The log over HTTP: append to a stream, read a stream, replay or tail the whole log, fetch one event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from itertools import islice
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from events import FieldProblem, InvalidEvent
from events.catalogue import STREAM_PATTERN
from events.envelope import EventEnvelope
from events.store import SqlEventStore
from service.api import models
from service.api.auth import Caller, appender, reader
from service.api.problems import ApiProblem, responses
from service.api.state import Archive
from service.queries import event_with_amendments
from service.web import pages
from service.web.negotiation import varied, wants_html

router = APIRouter(dependencies=[Depends(reader)])
appends = APIRouter()

PAGE_LIMIT = 1000
"""The most events (or facts, agreements, entities) one page may ask for."""
DEFAULT_PAGE = 100
NDJSON = "application/x-ndjson"
CLOUDEVENTS_BATCH = "application/cloudevents-batch+json"
NDJSON_CHUNK = 1000  # lines per chunk handed to the server: one thread hop per chunk, not per line
SSE_BATCH = 500


def archive_of(request: Request) -> Archive:
    return request.app.state.archive  # type: ignore[no-any-return]


def json_response(
    body: Any, status_code: int = 200, media_type: str = "application/json", headers: dict[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type=media_type, headers=headers)


APPEND_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": models.append_body_schema()}}}}


@appends.post(
    "/streams/{stream}/events",
    summary="Append events to a stream, all or nothing",
    status_code=201,
    response_model=models.AppendResult,
    responses={
        200: {"model": models.AppendResult, "description": "A retry of a batch already stored: the original result"},
        **responses(401, 403, 409, 413, 422, 503),
    },
    openapi_extra=APPEND_BODY,
    tags=["log"],
)
async def append(
    request: Request,
    stream: Annotated[str, Path(pattern=STREAM_PATTERN, max_length=200, examples=["org-dissernet"])],
    caller: Annotated[Caller, Depends(appender)],
) -> Response:
    """Validate every event against the catalogue, then append them to `stream` in one transaction.

    `recorded_by` is the name of the token. A batch whose ids are all stored
    with the same content is a retry: 200 with the original result.
    """
    raw = await request.body()
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidEvent.single("body", f"not JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise InvalidEvent.single("body", "must be a JSON object with expected_version and events")
    if "stream" in parsed:
        raise InvalidEvent.single("stream", "the stream is named by the path, not the body")
    archive = archive_of(request)
    result = await archive.committer.append(stream, parsed, caller.name, caller.token_hash)
    if not result.retried:
        archive.appended(len(result.ids))
    return json_response(result.to_json(), 200 if result.retried else 201)


@router.get(
    "/streams/{stream}",
    summary="Read one stream in version order",
    response_model=models.StreamPage,
    responses=responses(401, 403, 404, 422),
    tags=["log"],
)
def read_stream(
    request: Request,
    stream: Annotated[str, Path(max_length=200, examples=["org-jinr"])],
    from_version: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=PAGE_LIMIT)] = DEFAULT_PAGE,
) -> Response:
    store = archive_of(request).store
    version = store.stream_version(stream)
    if version is None:
        raise ApiProblem(404, f"no stream {stream!r} in the log")
    events = [e.to_json() for e in store.read_stream(stream, from_version, limit)]
    following = events[-1]["version"] + 1 if events else from_version
    return json_response({"stream": stream, "version": version, "events": events, "next_from_version": following})


def _cloudevent(envelope: dict[str, Any]) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": envelope["id"],
        "source": f"/streams/{envelope['stream']}",
        "type": envelope["type"],
        "time": envelope["recorded_at"],
        "datacontenttype": "application/json",
        "position": envelope["position"],
        "stream": envelope["stream"],
        "streamversion": envelope["version"],
        "occurred": envelope["occurred"],
        "data": envelope,
    }


LOG_CONTENT = {
    200: {
        "description": "The events after `after`, in position order",
        "content": {
            NDJSON: {"schema": {"type": "string", "description": "One envelope per line, the whole log after `after`"}},
            CLOUDEVENTS_BATCH: {
                "schema": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "description": "A CloudEvent 1.0; `data` is the envelope; extensions position, stream, streamversion, occurred",
                    },
                }
            },
        },
    },
    **responses(401, 403, 422),
}


@router.get(
    "/events",
    summary="Replay the log in position order",
    response_model=models.EventPage,
    responses=LOG_CONTENT,  # type: ignore[arg-type]
    tags=["log"],
)
def read_log(
    request: Request,
    after: Annotated[int, Query(ge=0, le=2**62, description="Only events with a higher position")] = 0,
    limit: Annotated[
        int | None, Query(ge=1, le=PAGE_LIMIT, description=f"At most this many (default {DEFAULT_PAGE}; NDJSON: all)")
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """JSON pages by default; `Accept: application/x-ndjson` streams every event after `after`
    in constant memory; `Accept: application/cloudevents-batch+json` gives a page of CloudEvents."""
    store = archive_of(request).store
    wanted = (accept or "").lower()
    if NDJSON in wanted:
        return StreamingResponse(_ndjson(store, after, limit), media_type=NDJSON)
    lines = list(store.read_all_json(after, limit or DEFAULT_PAGE))
    if CLOUDEVENTS_BATCH in wanted:
        return json_response([_cloudevent(orjson.loads(line)) for line in lines], media_type=CLOUDEVENTS_BATCH)
    next_after = orjson.loads(lines[-1])["position"] if lines else after
    return json_response({"events": [orjson.Fragment(line) for line in lines], "next_after": next_after})


def _ndjson(store: SqlEventStore, after: int, limit: int | None) -> Iterator[bytes]:
    lines = store.read_all_json(after, limit)
    while chunk := list(islice(lines, NDJSON_CHUNK)):
        yield b"\n".join(chunk) + b"\n"


@router.get(
    "/events/live",
    summary="Tail the log as Server-Sent Events",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "Each event as `id: <position>` and `data: <envelope JSON>`; comments as heartbeats",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **responses(401, 403, 422),
    },
    tags=["log"],
)
async def live(
    request: Request,
    after: Annotated[int, Query(ge=0, le=2**62, description="Start after this position")] = 0,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", description="Resume after this position (wins over `after`)")
    ] = None,
) -> EventSourceResponse:
    """Catch up from `after` (or `Last-Event-ID`), then stay open and send each new event as it commits."""
    if last_event_id is not None and last_event_id.strip():
        if not last_event_id.strip().isdigit():
            reason = "must be the position of the last event received"
            raise ApiProblem(422, f"Last-Event-ID {reason}", errors=[FieldProblem("header.Last-Event-ID", reason)])
        after = int(last_event_id.strip())
    archive = archive_of(request)
    return EventSourceResponse(_tail(archive, after), ping=archive.settings.heartbeat_seconds, send_timeout=30)


def _read(store: SqlEventStore, after: int) -> list[EventEnvelope]:
    return list(store.read_all(after, SSE_BATCH))


async def _tail(archive: Archive, after: int) -> AsyncIterator[ServerSentEvent]:
    position = after
    while True:
        ring = archive.bell.current()
        envelopes = await run_in_threadpool(_read, archive.store, position)
        for envelope in envelopes:
            position = envelope.position
            yield ServerSentEvent(data=orjson.dumps(envelope.to_json()).decode(), id=str(position))
        if len(envelopes) == SSE_BATCH:
            continue
        try:
            await asyncio.wait_for(ring.wait(), timeout=archive.settings.poll_seconds)
        except TimeoutError:
            pass


@router.get(
    "/events/{event_id}",
    summary="One event, with the corrections and retraction that target it",
    response_model=models.EventWithAmendments,
    responses=responses(401, 403, 404, 422),
    tags=["log"],
)
def read_event(
    request: Request,
    event_id: Annotated[str, Path(max_length=100, examples=[models.EVENT_ID])],
    revision: Annotated[
        int | None,
        Query(ge=0, le=100_000, description="For a browser: the fact as its first N corrections left it (default: all of them); "
              "the JSON is the envelope with every correction either way"),
    ] = None,
) -> Response:
    """The envelope with the corrections and retraction that target it; a browser gets the fact's page."""
    archive = archive_of(request)
    event = event_with_amendments(archive.store, event_id)
    if event is None:
        raise ApiProblem(404, f"no event {event_id} in the log")
    if wants_html(request):
        if revision is not None and revision > len(event["corrections"]):
            raise ApiProblem(404, f"fact {event_id} has {len(event['corrections'])} correction(s), not {revision}")
        return pages.event_page(request, archive.store.engine, event, revision, proof=archive.proof_of(event["position"]))
    return varied(json_response(event))
