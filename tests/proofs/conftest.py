"""A signed archive for the proof tests: on each backend, a key, and a log whose checkpoints the tests choose."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from events.store import SqlEventStore
from events.store.checkpoints import CheckpointLog
from service.api import create_app
from service.archive import open_archive
from service.keys import create_key, load_key
from service.settings import Settings
from tests.builders import numbered_statements, request
from tests.conftest import BACKENDS, fresh_postgres_schema
from tests.http.conftest import server, settings_for  # noqa: F401  (fixtures shared with tests/http)

ORIGIN = "archive.test/accord"
QUIET = 3600.0
"""ACCORD_CHECKPOINT_SECONDS of the test servers: their own signer never signs while a test runs, so the
tests sign exactly the checkpoints they mean to."""


def key_settings(url: str, data_dir: Path, **overrides: Any) -> Settings:
    """Settings of a node that signs with a key in its data directory (made if it is not there yet)."""
    settings = Settings(**{"data_dir": data_dir, "database_url": url, "poll_seconds": 0.2, "log_origin": ORIGIN,
                           "checkpoint_seconds": QUIET, **overrides})
    if not settings.default_key_file.exists():
        create_key(settings.default_key_file, ORIGIN)
    return settings


def sign_checkpoint(settings: Settings) -> None:
    """Sign the head of the archive `settings` name, with a key made in its data directory if it has none."""
    if settings.signing_key is None and not settings.default_key_file.exists():
        create_key(settings.default_key_file, settings.log_origin)
    key = load_key(settings)
    assert key is not None
    store = open_archive(settings)
    try:
        CheckpointLog(store).sign_head(key)
    finally:
        store.close()


def append_signing_every(store: SqlEventStore, settings: Settings, batches: int, per_batch: int) -> list[int]:
    """Append `batches` batches of `per_batch` statements over a few streams, signing a checkpoint after each;
    return the signed sizes."""
    key = load_key(settings)
    assert key is not None
    checkpoints = CheckpointLog(store)
    sizes = []
    for batch in range(batches):
        stream = f"person-speaker-{batch % 3}"
        store.append_batch([request(stream, *numbered_statements(per_batch, f"batch {batch}, "))], recorded_by="archivist-anna")
        signed = checkpoints.sign_head(key)
        assert signed is not None
        sizes.append(signed.size)
    return sizes


@dataclass
class SignedArchive:
    client: TestClient
    settings: Settings
    sizes: list[int]

    @property
    def store(self) -> SqlEventStore:
        return self.client.app.state.archive.store  # type: ignore[attr-defined,no-any-return]


@pytest.fixture(scope="module", params=BACKENDS)
def thousand(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedArchive]:
    """1,000 events appended 50 at a time, a checkpoint signed after each 50: 20 checkpoints; served."""
    data = tmp_path_factory.mktemp("thousand")
    if request.param == "sqlite":
        yield from served(f"sqlite:///{data}/accord.db", data, batches=20, per_batch=50)
    else:
        with fresh_postgres_schema() as url:
            yield from served(url, data, batches=20, per_batch=50)


def served(url: str, data: Path, *, batches: int, per_batch: int, unsigned: int = 0) -> Iterator[SignedArchive]:
    """A node with a key over `batches` batches of `per_batch` events, each batch followed by a checkpoint,
    then `unsigned` events no checkpoint holds; running until the generator is closed."""
    settings = key_settings(url, data / "node")
    store = open_archive(settings)
    try:
        sizes = append_signing_every(store, settings, batches=batches, per_batch=per_batch)
        if unsigned:
            store.append_batch([request("org-jinr", *numbered_statements(unsigned, "late "))], recorded_by="archivist-anna")
    finally:
        store.close()
    with TestClient(create_app(settings)) as client:
        yield SignedArchive(client, settings, sizes)
