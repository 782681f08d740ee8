"""`/events/live` over a real uvicorn server: catch up, receive events as they commit, resume with Last-Event-ID."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
from httpx_sse import ServerSentEvent, connect_sse

from events.store import open_store
from tests.builders import entity, prepared, statement
from tests.http.conftest import make_tokens
from tests.http.live import running

STREAM = "person-vladimir-putin"


def append(client: httpx.Client, token: str, *events: dict[str, Any]) -> list[int]:
    response = client.post(f"/streams/{STREAM}/events", json={"expected_version": "any", "events": list(events)}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    return response.json()["positions"]  # type: ignore[no-any-return]


def facts(source: Any) -> Iterator[ServerSentEvent]:
    """The events of a live stream, without the heartbeats (httpx-sse hands on a comment's blank line as an empty event)."""
    return (event for event in source.iter_sse() if event.data)


def take(events: Iterator[ServerSentEvent], count: int) -> list[ServerSentEvent]:
    return [next(events) for _ in range(count)]


def test_live_catches_up_then_pushes_new_events_and_resumes_with_last_event_id(settings_for: Any, store_url: str) -> None:
    # The poll is too slow to pass: the event from elsewhere must be noticed by LISTEN/NOTIFY on
    # PostgreSQL, by watching the file's data_version on SQLite.
    settings = settings_for(heartbeat_seconds=0.3, poll_seconds=30.0)
    token = make_tokens(settings)["archivist"]
    with running(settings) as (base, _), httpx.Client(base_url=base, timeout=10) as client:
        append(client, token, entity("Vladimir Putin", kind="person"), statement("One"), statement("Two"))
        with connect_sse(client, "GET", "/events/live", params={"after": 0}) as source:
            assert source.response.headers["content-type"].startswith("text/event-stream")
            events = facts(source)
            caught_up = take(events, 3)
            assert [e.id for e in caught_up] == ["1", "2", "3"]
            assert orjson.loads(caught_up[2].data)["data"]["quote"] == "Two"
            started = time.monotonic()
            append(client, token, statement("Three"))
            pushed = next(events)
            assert pushed.id == "4" and orjson.loads(pushed.data)["data"]["quote"] == "Three"
            assert time.monotonic() - started < 1.0

            # Another process appends straight to the log, once this server's catch-up of "Three" is over.
            time.sleep(0.5)
            other = open_store(store_url)
            try:
                other.append(STREAM, prepared(STREAM, statement("Four")), "any", recorded_by="elsewhere")
            finally:
                other.close()
            started = time.monotonic()
            fifth = next(events)
            assert fifth.id == "5", fifth.data
            assert time.monotonic() - started < 2.0

        append(client, token, statement("Six"), statement("Seven"))  # while nobody listens
        with connect_sse(client, "GET", "/events/live", headers={"Last-Event-ID": "4"}) as source:
            resumed = take(facts(source), 3)
        assert [e.id for e in resumed] == ["5", "6", "7"]
        assert [orjson.loads(e.data)["position"] for e in resumed] == [5, 6, 7]


def test_an_idle_live_stream_sends_heartbeats(settings_for: Any) -> None:
    settings = settings_for(heartbeat_seconds=0.2)
    with running(settings) as (base, _), httpx.Client(base_url=base, timeout=5) as client:
        with client.stream("GET", "/events/live") as response:
            started = time.monotonic()
            lines = response.iter_lines()
            heartbeat = next(line for line in lines if line.startswith(":"))
        assert heartbeat and time.monotonic() - started < 2


def test_a_bad_last_event_id_is_422(settings_for: Any) -> None:
    with running(settings_for()) as (base, _), httpx.Client(base_url=base, timeout=5) as client:
        response = client.get("/events/live", headers={"Last-Event-ID": "yesterday"})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "header.Last-Event-ID"


def test_clients_that_leave_and_clients_still_connected_do_not_hold_the_server(settings_for: Any) -> None:
    settings = settings_for(heartbeat_seconds=0.2)
    before = {t.name for t in threading.enumerate()}
    with running(settings, graceful_seconds=2) as (base, server):
        with httpx.Client(base_url=base, timeout=5) as client:
            for _ in range(3):  # connect and leave
                with connect_sse(client, "GET", "/events/live") as source:
                    assert source.response.status_code == 200
        staying = httpx.Client(base_url=base, timeout=30)
        held = staying.stream("GET", "/events/live")
        response = held.__enter__()
        assert response.status_code == 200
        started = time.monotonic()
        server.should_exit = True  # shutdown with a live client still connected
        try:
            deadline = time.monotonic() + 15
            while any(t.name == "uvicorn-test" and t.is_alive() for t in threading.enumerate()):
                assert time.monotonic() < deadline, "the server hung on an open live stream"
                time.sleep(0.05)
        finally:
            try:
                held.__exit__(None, None, None)
            except httpx.HTTPError:
                pass
            staying.close()
        assert time.monotonic() - started < 10
    leftover = {t.name for t in threading.enumerate() if t.is_alive()} - before
    assert not {name for name in leftover if name.startswith("accord-")}, leftover
