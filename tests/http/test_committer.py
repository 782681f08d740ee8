"""The appends of concurrent requests are validated and committed together, each keeping its own outcome."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from events.envelope import AppendResult
from events.errors import InvalidEvent, VersionConflict
from events.store import SqlEventStore
from service.api.committer import Committer
from tests.builders import statement


def test_concurrent_appends_each_get_their_own_outcome(store: SqlEventStore) -> None:
    committer = Committer(store)
    lanes, per_lane = 8, 12
    commits: list[int] = []
    append_each = store.append_each
    store.append_each = lambda requests: commits.append(len(requests)) or append_each(requests)  # type: ignore[method-assign]

    async def lane(number: int) -> list[Any]:
        stream, version, outcomes = f"person-lane-{number}", "no_stream", []
        for i in range(per_lane):
            body: dict[str, Any] = {"expected_version": version, "events": [statement(f"Lane {number} says {i}.")]}
            if i % 4 == 3:
                body["expected_version"] = 99  # refused, and only this one
            if i % 4 == 2 and number % 2:
                body["events"][0]["data"]["quote"] = " "  # refused by validation, and only this one
            try:
                result = await committer.append(stream, body, f"lane-{number}")
                version = result.last_version
                outcomes.append(result)
            except (VersionConflict, InvalidEvent) as refused:
                outcomes.append(refused)
        return outcomes

    async def main() -> list[list[Any]]:
        return await asyncio.gather(*(lane(n) for n in range(lanes)))

    try:
        every = asyncio.run(main())
    finally:
        committer.close()
    for number, outcomes in enumerate(every):
        for i, outcome in enumerate(outcomes):
            expected = VersionConflict if i % 4 == 3 else InvalidEvent if (i % 4 == 2 and number % 2) else AppendResult
            assert isinstance(outcome, expected), (number, i, outcome)
        events = list(store.read_stream(f"person-lane-{number}"))
        assert [e.version for e in events] == list(range(len(events)))
        assert len(events) == sum(isinstance(o, AppendResult) for o in outcomes)
        assert {e.recorded_by for e in events} == {f"lane-{number}"}
    assert [e.position for e in store.read_all()] == list(range(1, store.head().position + 1))
    assert store.verify().ok
    assert len(commits) < lanes * per_lane  # requests that queued together shared a transaction


def test_a_failed_transaction_fails_every_request_in_it(store: SqlEventStore) -> None:
    committer = Committer(store)

    def broken(requests: Any) -> Any:
        raise RuntimeError("the database went away")

    store.append_each = broken  # type: ignore[method-assign]

    async def main() -> list[Any]:
        body = {"events": [statement("Lost.")]}
        invalid = {"events": [statement(" ")]}
        appends = [committer.append("person-a-b", body, "anna") for _ in range(3)]
        return await asyncio.gather(*appends, committer.append("person-a-b", invalid, "anna"), return_exceptions=True)

    try:
        outcomes = asyncio.run(main())
    finally:
        committer.close()
    assert [type(o) for o in outcomes] == [RuntimeError] * 3 + [InvalidEvent]  # a refusal keeps its own reason
    with pytest.raises(RuntimeError):  # the committer is closed
        asyncio.run(committer.append("person-a-b", {"events": [statement("Late.")]}, "anna"))
