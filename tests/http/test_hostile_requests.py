"""What an outside probe sent, and what it must never achieve: one client's bad request costing another's.

Hostile appends go to a real server amid concurrent valid ones (the
committer commits what queues together in one transaction, so they share
transactions): every valid append lands, every hostile one is a 4xx, and
the log holds exactly the valid events. Hostile reads (characters no text
holds, dates far too long) answer 404 or 422, never 5xx, on both backends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from events.store import open_store
from tests.builders import entity, statement
from tests.http.conftest import Server, make_tokens
from tests.http.live import running

LANES, PER_LANE = 4, 12


def deep_json(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def event_json(**overrides: Any) -> str:
    """A statement as JSON text, with parts given as raw JSON text (what no encoder of this test would write)."""
    parts = {
        "type": '"StatementMade"', "occurred": '"2024-06-13"',
        "data": '{"speaker": "person-vladimir-putin", "quote": "We close nothing."}',
        "sources": '[{"publisher": "TASS"}]',
    }
    parts.update(overrides)
    return "{" + ", ".join(f'"{name}": {text}' for name, text in parts.items()) + "}"


def body(*events: str, expected: str = '"any"') -> bytes:
    return f'{{"expected_version": {expected}, "events": [{", ".join(events)}]}}'.encode()


THREE_KB_DATE = orjson.dumps("[" + ",".join(f"{1000 + i}-0{1 + i % 9}" for i in range(400)) + "]").decode()
HOSTILE: dict[str, tuple[bytes, int]] = {
    # metadata nested where canonical JSON overflows (254 levels and more), and beyond what JSON parsing takes
    "metadata 254 deep": (body(event_json(metadata=f'{{"x": {deep_json(253)}}}')), 422),
    "metadata 600 deep": (body(event_json(metadata=f'{{"x": {deep_json(599)}}}')), 422),
    "metadata 1020 deep": (body(event_json(metadata=f'{{"x": {deep_json(1019)}}}')), 422),
    "metadata 2000 deep": (body(event_json(metadata=f'{{"x": {deep_json(1999)}}}')), 422),
    "NUL in a quote": (body(event_json(data='{"speaker": "person-vladimir-putin", "quote": "Dub\\u0000na"}')), 422),
    "NUL in a metadata key": (body(event_json(metadata='{"a\\u0000": 1}')), 422),
    "escape in a source": (body(event_json(sources='[{"publisher": "TASS\\u001b[2J"}]')), 422),
    "lone surrogate": (body(event_json(data='{"speaker": "person-vladimir-putin", "quote": "\\ud800"}')), 422),
    "3 KB date": (body(event_json(occurred=THREE_KB_DATE)), 422),
    "level 2 date": (body(event_json(occurred='"Y171010000S3"')), 422),
    "1984-1X": (body(event_json(occurred='"1984-1X"')), 422),
    "zero-width quote": (body(event_json(data='{"speaker": "person-vladimir-putin", "quote": "\\u200b\\ufeff"}')), 422),
    "integer beyond 64 bits": (body(event_json(type='"VoteHeld"', data='{"body": "org-cern", "motion": "m", '
                                                    '"outcome": "passed", "tally": {"yes": 1180591620717411303424}}')), 422),
    "no expected_version": (b'{"events": [' + event_json().encode() + b"]}", 422),
    "one id twice": (body(event_json(id='"3f5d2c1e-8a4b-4c6d-9e7f-0a1b2c3d4e5f"'),
                          event_json(id='"3f5d2c1e-8a4b-4c6d-9e7f-0a1b2c3d4e5f"')), 422),
    "retraction of nothing": (body(event_json(type='"FactRetracted"', data='{"target": '
                                              '"00000000-0000-4000-8000-000000000000", "reason": "r"}')), 422),
}


def test_hostile_appends_amid_concurrent_valid_ones_cost_those_nothing(settings_for: Any, store_url: str) -> None:
    settings = settings_for()
    token = make_tokens(settings)["archivist"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    outcomes: dict[str, list[int]] = {}
    timings: list[float] = []

    def valid(lane: int, client: httpx.Client) -> None:
        stream, statuses = f"person-lane-{lane}", []
        statuses.append(client.post(f"/streams/{stream}/events", headers=headers,
                                    content=orjson.dumps({"expected_version": "no_stream", "events": [entity(f"Lane {lane}", kind="person")]})).status_code)
        for i in range(PER_LANE):
            sent = {"expected_version": i, "events": [statement(f"Lane {lane} says {i}.", speaker=stream)]}
            statuses.append(client.post(f"/streams/{stream}/events", content=orjson.dumps(sent), headers=headers).status_code)
        outcomes[f"lane {lane}"] = statuses

    def hostile(client: httpx.Client) -> None:
        for _ in range(3):
            for name, (sent, _) in HOSTILE.items():
                started = time.perf_counter()
                status = client.post("/streams/person-vladimir-putin/events", content=sent, headers=headers).status_code
                timings.append(time.perf_counter() - started)
                outcomes.setdefault(name, []).append(status)

    with running(settings) as (base, _):
        def client_thread(work: Callable[[httpx.Client], None]) -> threading.Thread:
            def run() -> None:
                with httpx.Client(base_url=base, timeout=30) as client:
                    work(client)
            return threading.Thread(target=run)

        threads = [client_thread(lambda c, lane=lane: valid(lane, c)) for lane in range(LANES)]
        threads += [client_thread(hostile), client_thread(hostile)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
            assert not thread.is_alive()

    for lane in range(LANES):
        assert outcomes[f"lane {lane}"] == [201] * (PER_LANE + 1), outcomes[f"lane {lane}"]
    for name, (_, status) in HOSTILE.items():
        assert outcomes[name] == [status] * 6, (name, outcomes[name])
    store = open_store(store_url)
    try:
        events = list(store.read_all())
        assert sorted(e.stream for e in events) == sorted(f"person-lane-{lane}" for lane in range(LANES) for _ in range(PER_LANE + 1))
        assert store.verify().ok
    finally:
        store.close()


def test_a_3kb_date_is_refused_at_once_while_appends_go_on(seeded: Server) -> None:
    refused: list[float] = []
    stop = threading.Event()

    def flood() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            response = seeded.client.post("/streams/person-vladimir-putin/events", content=HOSTILE["3 KB date"][0],
                                          headers={**seeded.auth(), "Content-Type": "application/json"})
            refused.append(time.perf_counter() - started)
            assert response.status_code == 422 and "at most 64 characters" in response.text

    flooding = threading.Thread(target=flood)
    flooding.start()
    try:
        for i in range(20):
            assert seeded.append("person-vladimir-putin", statement(f"Said while flooded, {i}.")).status_code == 201
    finally:
        stop.set()
        flooding.join(30)
    assert refused  # each a 422 (checked above) while every append landed
    timeline = seeded.client.get("/timeline", params={"from": "[" + ",".join(["1984-01"] * 12) + "]" * 3}).json()
    assert timeline["status"] == 422


NOT_TEXT_READS = [
    "/entities?kind=%00", "/timeline?entity=%00", "/agreements?party=%00", "/search?q=%00", "/search?speaker=%00",
    "/search?publisher=%00", "/timeline?valid_at=%00", "/agreements?known_at=%00", "/timeline?from=%00", "/search?to=%00",
    "/entities?kind=a%01b", "/timeline?entity=org-jinr%1b", "/search?q=Dubna%0b", "/entities?x%00y=1",
    "/events?after=%00", "/feed.atom?limit=%00", "/streams/org-jinr?from_version=%00", "/timeline?type=%00",
]
NOT_TEXT_PATHS = [
    "/streams/org-x%00", "/entities/org-x%00", "/agreements/agreement-x%00", "/events/%00", "/events/%00/x",
    "/streams/org-x%07", "/entities/%1f", "/agreements/%ef%bf%bf", "/streams/org-x%00/events",
]
OTHER_HOSTILE_READS = [
    "/events/%ff%fe", "/entities/" + "x" * 300, "/agreements/" + "%e2%80%8b" * 50, "/timeline?entity=" + "x" * 250,
    "/search?from=" + "2" * 3000, "/timeline?valid_at=Y171010000S3", "/timeline?valid_at=1984-1X",
    "/agreements?known_at=2024-02-30T00:00:00Z", "/search?from=1950S2", "/search?to=[1984,1985]",
]


def test_the_hostile_read_list_is_answered_404_or_422_never_5xx_on_both_backends(seeded: Server) -> None:
    wrong = []
    for path in NOT_TEXT_READS:
        response = seeded.client.get(path)
        field = (response.json().get("errors") or [{}])[0].get("field", "")
        if response.status_code != 422 or not field.startswith("query.") or "\x00" in field:  # never echoed
            wrong.append((path, response.status_code, response.text))
    for path in NOT_TEXT_PATHS:
        method = seeded.client.post if path.endswith("/events") else seeded.client.get
        response = method(path, headers=seeded.auth())
        if response.status_code != 404 or response.headers["content-type"] != "application/problem+json":
            wrong.append((path, response.status_code, response.text))
    for path in OTHER_HOSTILE_READS:
        response = seeded.client.get(path)
        if response.status_code not in (404, 422):
            wrong.append((path, response.status_code, response.text))
    assert not wrong
