"""Schemathesis over /openapi.json: every operation, generated inputs, the default checks plus not_a_server_error.

The app runs in process (ASGI, its lifespan and background catch-up
included) on an archive holding the seed corpus, and appends carry an
archivist token, so generated requests reach validation and the store rather
than stopping at 401. `/events/live` is left out here: it never ends, which
an in-process ASGI call cannot take; tests/http/test_live.py covers it over
a real server.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance

from events.notes import generate_key
from service.api import create_app
from service.settings import Settings
from tests.http.conftest import load_seed, make_tokens
from tests.proofs.conftest import sign_checkpoint

DATA = Path(tempfile.gettempdir()) / f"accord-fuzz-{uuid.uuid4().hex}"  # created when the archive is opened
APP_SETTINGS = Settings(
    data_dir=DATA, database_url=f"sqlite:///{DATA}/accord.db", poll_seconds=0.2,
    signing_key=generate_key("accord.local/log").pem().decode(),  # the key itself, as ACCORD_SIGNING_KEY may hold it
)
TOKENS: dict[str, str] = {}
SEMANTIC_PARAMETERS = {"valid_at", "known_at", "from", "to", "q", "size", "first", "second"}

# The schema is loaded when the module is (what schemathesis' module-level API expects); the
# archive behind it is filled by the fixture below before the first generated request.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(APP_SETTINGS)).exclude(path="/events/live")


@pytest.fixture(scope="module", autouse=True)
def archive() -> Iterator[None]:
    TOKENS.update(make_tokens(APP_SETTINGS))
    load_seed(APP_SETTINGS.url)
    sign_checkpoint(APP_SETTINGS)  # so that the proof endpoints have checkpoints to answer with
    yield
    shutil.rmtree(DATA, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_holds_to_its_schema_and_never_fails_on_the_server(case: schemathesis.Case) -> None:
    # A JSON schema cannot say everything accord checks: that a string is an EDTF date or an
    # RFC 3339 moment, that a search query has words to search for (or it is a 400, as the
    # contract says), each event type's payload, amendments that must name a stored fact, tree
    # sizes the archive signed a checkpoint of (and that hold the event asked about). A
    # schema-valid request that carries such a value may still be a 422, so
    # `positive_data_acceptance` applies only to requests without one. Every other check always does.
    semantic = case.method.upper() == "POST" or bool(SEMANTIC_PARAMETERS & set(case.query or {}))
    headers = {"Authorization": f"Bearer {TOKENS['archivist']}"} if case.method.upper() == "POST" else None
    excluded = [positive_data_acceptance] if semantic else []
    case.call_and_validate(headers=headers, additional_checks=[not_a_server_error], excluded_checks=excluded)
