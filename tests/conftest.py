"""Fixtures shared by every test: the backend URL and an open store on it.

`store_url` runs each test once on SQLite and once on PostgreSQL. PostgreSQL
needs ACCORD_TEST_DATABASE_URL; without it the test is skipped, unless
ACCORD_REQUIRE_POSTGRES=1 (as CI sets it), which turns the skip into a
failure. Each PostgreSQL test gets a fresh schema of its own, selected through
libpq's `options=-csearch_path=...`, and the schema is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from events.store import SqlEventStore, open_store

POSTGRES_URL_VARIABLE = "ACCORD_TEST_DATABASE_URL"
REQUIRE_POSTGRES_VARIABLE = "ACCORD_REQUIRE_POSTGRES"


def _postgres_base_url() -> str:
    """The server URL from the environment; skip, or fail when CI requires PostgreSQL."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if url:
        return url
    message = f"PostgreSQL tests need {POSTGRES_URL_VARIABLE}, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test"
    if os.environ.get(REQUIRE_POSTGRES_VARIABLE) == "1":
        pytest.fail(f"{REQUIRE_POSTGRES_VARIABLE}=1 but {POSTGRES_URL_VARIABLE} is not set. {message}")
    pytest.skip(message)


def _admin(base_url: str, statement: str) -> None:
    """Run one statement on a plain, short-lived connection to the server."""
    engine = create_engine(base_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def schema_url(base_url: str, schema: str) -> str:
    """`base_url` with every connection's search_path set to `schema` (libpq `options`)."""
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """A URL whose connections live in a fresh schema, dropped with all it holds afterwards."""
    base_url = _postgres_base_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    _admin(base_url, f'CREATE SCHEMA "{schema}"')
    try:
        yield schema_url(base_url, schema)
    finally:
        _admin(base_url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    with fresh_postgres_schema() as url:
        yield url


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for an empty log on each backend in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/accord.db"
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[SqlEventStore]:
    """An open, migrated, empty store; closed at teardown."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()
