"""The appends of concurrent requests are validated and committed together, each keeping its own outcome."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from events.envelope import AppendResult
from events.errors import InvalidEvent, VersionConflict
from events.store import SqlEventStore
from service.api import committer as committer_module
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


def test_a_database_that_fails_every_transaction_fails_every_request(store: SqlEventStore) -> None:
    committer = Committer(store)

    def broken(requests: Any) -> Any:
        raise RuntimeError("the database went away")

    store.append_each = broken  # type: ignore[method-assign]

    async def main() -> list[Any]:
        body = {"expected_version": "any", "events": [statement("Lost.")]}
        invalid = {"expected_version": "any", "events": [statement(" ")]}
        appends = [committer.append("person-a-b", body, "anna") for _ in range(3)]
        return await asyncio.gather(*appends, committer.append("person-a-b", invalid, "anna"), return_exceptions=True)

    try:
        outcomes = asyncio.run(main())
    finally:
        committer.close()
    assert [type(o) for o in outcomes] == [RuntimeError] * 3 + [InvalidEvent]  # a refusal keeps its own reason
    with pytest.raises(RuntimeError):  # the committer is closed
        asyncio.run(committer.append("person-a-b", {"expected_version": "any", "events": [statement("Late.")]}, "anna"))


POISON = "person-poison-pill"


def poison(store: SqlEventStore) -> None:
    """Make the database itself refuse any row of stream POISON, as it might refuse a value no check foresaw."""
    with store.engine.begin() as connection:
        if store.dialect == "sqlite":
            connection.exec_driver_sql(
                f"CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.stream = '{POISON}' "
                "BEGIN SELECT RAISE(ABORT, 'this row is refused'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN IF NEW.stream = '{POISON}' THEN RAISE EXCEPTION 'this row is refused'; END IF; RETURN NEW; END $$"
            )
            connection.exec_driver_sql("CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION poison()")


def test_a_request_the_database_refuses_fails_alone_in_a_shared_transaction(store: SqlEventStore) -> None:
    poison(store)
    committer = Committer(store)
    groups: list[list[str]] = []
    append_each = store.append_each
    store.append_each = lambda requests: groups.append([r.stream for r, _ in requests]) or append_each(requests)  # type: ignore[method-assign]

    async def main() -> list[Any]:
        first = asyncio.ensure_future(committer.append("person-first-one", {"expected_version": "any", "events": [statement("First.")]}, "anna"))
        await asyncio.sleep(0)  # the first commits alone; the rest queue meanwhile and share the next transaction
        rest = [
            committer.append(stream, {"expected_version": "any", "events": [statement(f"To {stream}.")]}, "anna")
            for stream in ("person-a-b", "person-c-d", POISON, "person-e-f")
        ]
        return [await first, *await asyncio.gather(*rest, return_exceptions=True)]

    try:
        outcomes = asyncio.run(main())
    finally:
        committer.close()
    assert any(POISON in group and len(group) > 1 for group in groups), groups  # it did share a transaction
    assert [type(o) for o in outcomes[:3] + outcomes[4:]] == [AppendResult] * 4
    assert isinstance(outcomes[3], Exception) and "this row is refused" in str(outcomes[3])
    assert sorted(e.stream for e in store.read_all()) == ["person-a-b", "person-c-d", "person-e-f", "person-first-one"]
    assert store.verify().ok


def test_whatever_validating_a_request_raises_is_that_request_s_422(store: SqlEventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # No input is known to make validation raise anything but InvalidEvent any more; this stands in for
    # the next one found, so that it fails one request and not the requests committed with it.
    validate = committer_module.prepare_request_json

    def flawed(raw: Any) -> Any:
        if raw["stream"] == POISON:
            raise RecursionError("maximum recursion depth exceeded")
        return validate(raw)

    monkeypatch.setattr(committer_module, "prepare_request_json", flawed)
    committer = Committer(store)

    async def main() -> list[Any]:
        appends = [
            committer.append(stream, {"expected_version": "any", "events": [statement(f"To {stream}.")]}, "anna")
            for stream in ("person-a-b", POISON, "person-c-d")
        ]
        return await asyncio.gather(*appends, return_exceptions=True)

    try:
        outcomes = asyncio.run(main())
    finally:
        committer.close()
    assert [type(o) for o in outcomes] == [AppendResult, InvalidEvent, AppendResult]
    assert "could not be validated (RecursionError)" in str(outcomes[1])
