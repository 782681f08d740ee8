"""Schemathesis over /openapi.json on both backends: every operation, generated inputs, every check.

The app runs in process (ASGI, its lifespan and background catch-up
included) on an archive holding the seed corpus, and appends carry an
archivist token, so generated requests reach validation and the store rather
than stopping at 401. Every check schemathesis has runs, as `st run --checks
all` runs them with this repository's schemathesis.toml: in particular a
request the document calls valid must not be refused as malformed (ST202),
one it calls invalid must be refused (ST201), and nothing may fail on the
server, PostgreSQL included. The document's `format: edtf` is drawn from
tests/formats.py, the one format no builtin generator knows.

Schemathesis loads a schema when the module is, so each backend's archive is
named here and filled by the fixture below. `/events/live` is left out: it
never ends, which an in-process ASGI call cannot take; tests/http/test_live.py
covers it over a real server.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from events.catalogue import EDTF_FORMAT
from events.notes import generate_key
from service.api import create_app
from service.settings import Settings
from tests.conftest import POSTGRES_URL_VARIABLE, _admin, _postgres_base_url, schema_url
from tests.formats import edtf_dates
from tests.http.conftest import load_seed, make_tokens
from tests.proofs.conftest import sign_checkpoint

schemathesis.openapi.format(EDTF_FORMAT, edtf_dates())

DATA = Path(tempfile.gettempdir()) / f"accord-fuzz-{uuid.uuid4().hex}"  # created when an archive is opened
POSTGRES = os.environ.get(POSTGRES_URL_VARIABLE)
PG_SCHEMA = f"t_fuzz_{uuid.uuid4().hex[:12]}"
URLS = {"sqlite": f"sqlite:///{DATA}/sqlite/accord.db"}
if POSTGRES:  # loading the schema opens the archive, which must find its PostgreSQL schema there
    _admin(POSTGRES, f'CREATE SCHEMA "{PG_SCHEMA}"')
    atexit.register(_admin, POSTGRES, f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE')
    URLS["postgresql"] = schema_url(POSTGRES, PG_SCHEMA)
KEY = generate_key("accord.local/log").pem().decode()  # the key itself, as ACCORD_SIGNING_KEY may hold it
SETTINGS = {
    name: Settings(data_dir=DATA / name, database_url=url, poll_seconds=0.2, signing_key=KEY) for name, url in URLS.items()
}
TOKENS: dict[str, dict[str, str]] = {}


@pytest.fixture(scope="module", autouse=True)
def archives() -> Iterator[None]:
    try:
        for name, settings in SETTINGS.items():
            TOKENS[name] = make_tokens(settings)
            load_seed(settings.url)
            sign_checkpoint(settings)  # so that the proof endpoints have checkpoints to answer with
        yield
    finally:
        shutil.rmtree(DATA, ignore_errors=True)


def fuzzed(backend: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(SETTINGS[backend])).exclude(path="/events/live")


def call_and_validate(backend: str, case: schemathesis.Case) -> None:
    headers = {"Authorization": f"Bearer {TOKENS[backend]['archivist']}"} if case.method.upper() == "POST" else None
    case.call_and_validate(headers=headers)


FUZZING = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@fuzzed("sqlite").parametrize()
@FUZZING
def test_every_operation_holds_to_its_schema_on_sqlite(case: schemathesis.Case) -> None:
    call_and_validate("sqlite", case)


if POSTGRES:

    @pytest.mark.postgres
    @fuzzed("postgresql").parametrize()
    @FUZZING
    def test_every_operation_holds_to_its_schema_on_postgresql(case: schemathesis.Case) -> None:
        call_and_validate("postgresql", case)

else:

    @pytest.mark.postgres
    def test_every_operation_holds_to_its_schema_on_postgresql() -> None:
        _postgres_base_url()  # skips, or fails where PostgreSQL is required
