"""An accord server on each backend: the app under FastAPI's TestClient, tokens of each role, the seed corpus."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from events.ndjson import parse_line
from events.store import open_store
from service.api import create_app
from service.archive import open_archive
from service.settings import Settings
from service.tokens import create_token

SEED_RECORDED_AT = "2026-01-05T08:00:00.000000Z"


class Server:
    """A TestClient on a running app (lifespan entered), with a token of each role."""

    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    @property
    def archive(self) -> Any:
        return self.client.app.state.archive  # type: ignore[attr-defined]

    def auth(self, role: str = "archivist") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def append(self, stream: str, *events: dict[str, Any], expected: Any = "any", role: str = "archivist") -> Any:
        return self.client.post(f"/streams/{stream}/events", json={"expected_version": expected, "events": list(events)}, headers=self.auth(role))

    def settled(self) -> None:
        """Wait until the background catch-up has folded the whole log (at most 5 s)."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            head, positions = self.archive.positions()
            if all(p >= head for p in positions.values()):
                return
            time.sleep(0.02)
        raise AssertionError("the projections did not catch up within 5 s")


def load_seed(url: str) -> int:
    """Append the seed corpus as recorded at SEED_RECORDED_AT (so `known_at` before it sees nothing)."""
    store = open_store(url)
    try:
        for line in resources.files("service").joinpath("seed/corpus.ndjson").read_bytes().splitlines():
            request = parse_line(line)
            events = [e._replace(recorded_at=SEED_RECORDED_AT) for e in request.events]
            store.append(request.stream, events, request.expected_version, recorded_by="seed")
        return store.head().position
    finally:
        store.close()


@pytest.fixture
def settings_for(store_url: str, tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        return Settings(data_dir=tmp_path / "data", database_url=store_url, **{"poll_seconds": 0.2, **overrides})

    return make


def make_tokens(settings: Settings) -> dict[str, str]:
    store = open_archive(settings)
    try:
        return {role: create_token(store.engine, f"{role}-alice", role) for role in ("reader", "archivist", "admin")}
    finally:
        store.close()


@pytest.fixture
def server(settings_for: Callable[..., Settings]) -> Iterator[Server]:
    """A running app on an empty archive."""
    settings = settings_for()
    tokens = make_tokens(settings)
    with TestClient(create_app(settings)) as client:
        yield Server(client, tokens)


@pytest.fixture
def seeded(settings_for: Callable[..., Settings], store_url: str) -> Iterator[Server]:
    """A running app on an archive holding the seed corpus, folded."""
    settings = settings_for()
    tokens = make_tokens(settings)
    load_seed(store_url)
    with TestClient(create_app(settings)) as client:
        server = Server(client, tokens)
        server.settled()
        yield server
