"""The `accord` command line as a user runs it: import, export, verify, tokens, demo."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from events.store import open_store
from service.cli import app
from events.store.migrate import alembic_config
from service.migrations import VERSIONS
from service.tokens import authenticate
from tests.builders import entity, statement

REPO = Path(__file__).resolve().parents[2]


def accord(*args: str, url: str, data_dir: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run the real command in a child process, configured only through its environment."""
    env = {**os.environ, "ACCORD_DATABASE_URL": url, "ACCORD_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "service", *args], input=stdin, capture_output=True, env=env, cwd=REPO, timeout=300
    )


def head(url: str) -> int:
    store = open_store(url)
    try:
        return store.head().position
    finally:
        store.close()


def ndjson(*lines: object) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def request(stream: str, expected: object, *events: dict[str, object]) -> dict[str, object]:
    return {"stream": stream, "expected_version": expected, "events": list(events)}


GOOD = ndjson(
    request("org-jinr", "no_stream", entity()),
    request("person-vladimir-putin", "no_stream", entity("Vladimir Putin", kind="person", aliases=["Владимир Путин"])),
    request("person-vladimir-putin", 0, statement(), statement("Russia is open to the results of the work")),
)


def test_import_then_export_round_trips_into_an_empty_archive(store_url: str, tmp_path: Path) -> None:
    source = tmp_path / "facts.ndjson"
    source.write_bytes(GOOD)
    imported = accord("import", str(source), url=store_url, data_dir=tmp_path)
    assert imported.returncode == 0, imported.stderr.decode()
    assert b"imported 4 events (0 already stored)" in imported.stderr
    exported = accord("export", url=store_url, data_dir=tmp_path)
    envelopes = [orjson.loads(line) for line in exported.stdout.splitlines()]
    assert [e["position"] for e in envelopes] == [1, 2, 3, 4]
    assert [(e["stream"], e["version"]) for e in envelopes][-1] == ("person-vladimir-putin", 2)

    restored = tmp_path / "restored"
    restored_url = f"sqlite:///{restored}/accord.db"
    again = accord("import", "-", url=restored_url, data_dir=restored, stdin=exported.stdout)
    assert again.returncode == 0, again.stderr.decode()
    assert accord("export", url=restored_url, data_dir=restored).stdout == exported.stdout


def test_reimporting_the_same_file_writes_nothing_new(store_url: str, tmp_path: Path) -> None:
    source = tmp_path / "facts.ndjson"
    source.write_bytes(GOOD)
    assert accord("import", str(source), url=store_url, data_dir=tmp_path).returncode == 0
    second = accord("import", str(source), url=store_url, data_dir=tmp_path)
    assert second.returncode == 0
    assert b"imported 0 events (4 already stored)" in second.stderr
    assert head(store_url) == 4


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        (b"{not json", b"not valid JSON"),
        (b"[1, 2]", b"must be a JSON object"),
        (ndjson(request("org-jinr", 0, {**statement(), "sources": []})).strip(), b"events[0].sources"),
        (ndjson(request("org-jinr", 0, statement(occurred="yesterday"))).strip(), b"events[0].occurred"),
        (ndjson(request("org-jinr", 0, {**statement(), "type": "Rumour"})).strip(), b"unknown event type 'Rumour'"),
        (ndjson(request("Not A Stream", 0, statement())).strip(), b"stream"),
        (ndjson(request("org-jinr", 7, statement())).strip(), b"is at version 0, expected 7"),
        (ndjson(request("org-cern", 3, statement())).strip(), b"is at no stream, expected 3"),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_written(store_url: str, tmp_path: Path, bad_line: bytes, reason: bytes) -> None:
    source = tmp_path / "facts.ndjson"
    source.write_bytes(ndjson(request("org-jinr", "no_stream", entity())) + bad_line + b"\n" + GOOD.splitlines()[1] + b"\n")
    result = accord("import", str(source), url=store_url, data_dir=tmp_path)
    assert result.returncode == 1
    assert b"line 2:" in result.stderr and reason in result.stderr, result.stderr.decode()
    assert b"nothing was written" in result.stderr
    assert head(store_url) == 0


def test_every_hostile_line_is_named_and_none_makes_a_traceback(store_url: str, tmp_path: Path) -> None:
    def line(**raw: str) -> bytes:  # an append request whose parts are given as JSON text, as no encoder here would write them
        event = {"type": '"StatementMade"', "occurred": '"2024-06-13"', "sources": '[{"publisher": "TASS"}]',
                 "data": '{"speaker": "person-vladimir-putin", "quote": "We close nothing."}', **raw}
        parts = ", ".join(f'"{name}": {text}' for name, text in event.items())
        return b'{"stream": "person-vladimir-putin", "events": [{' + parts.encode() + b"}]}\n"

    deep = "[" * 299 + "1" + "]" * 299
    source = tmp_path / "hostile.ndjson"
    source.write_bytes(
        ndjson(request("person-vladimir-putin", "no_stream", entity("Vladimir Putin", kind="person")))
        + line(metadata=f'{{"deep": {deep}}}')
        + line(data='{"speaker": "person-vladimir-putin", "quote": "Dub\\u0000na"}')
        + line(occurred='"' + "2024-06-13/" * 300 + '"')
        + line(occurred='"1950S2"')
        + line(occurred='"1984-1X"')
        + line(metadata='{"n": 1, "deeper": ' + "[" * 1019 + "]" * 1019 + "}")
        + line()
    )
    result = accord("import", str(source), url=store_url, data_dir=tmp_path)
    errors = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in errors and result.stdout == b"", errors
    assert "line 2: events[0].metadata: nests objects and arrays deeper than 32 levels" in errors
    assert "line 3: events[0].data.quote: holds text with the NUL character (U+0000)" in errors
    assert "line 4: events[0].occurred: an EDTF date has at most 64 characters; this one has 3,300" in errors
    assert "line 5: events[0].occurred: '1950S2' gives significant digits (S...), which is EDTF level 2" in errors
    assert "line 6: events[0].occurred: '1984-1X' has unspecified digits (X) inside" in errors
    assert "line 7: events[0].metadata: nests objects and arrays deeper than 32 levels" in errors
    assert "6 bad line(s); nothing was written" in errors and head(store_url) == 0


def test_tokens_are_listed_without_their_secret_and_a_revoked_one_is_refused(store_url: str, tmp_path: Path) -> None:
    runner = CliRunner()

    def run(*args: str) -> Any:  # in this process: the subprocesses above already show the command as a user runs it
        return runner.invoke(app, list(args), env={"ACCORD_DATABASE_URL": store_url, "ACCORD_DATA_DIR": str(tmp_path)})

    tokens = {name: run("token", "create", "--name", name, "--role", role).stdout.splitlines()[0]
              for name, role in (("alice", "archivist"), ("bob", "reader"))}
    revoked = run("token", "revoke", "alice")
    assert revoked.exit_code == 0 and revoked.stdout.startswith("revoked 'alice' (archivist) at 20"), revoked.output
    listed = run("token", "list").stdout
    rows = [row.split() for row in listed.splitlines()]
    assert rows[0] == ["NAME", "ROLE", "CREATED", "LAST", "USED", "REVOKED"]
    assert [row[:2] for row in rows[1:]] == [["alice", "archivist"], ["bob", "reader"]]
    assert rows[1][3] == "never" and rows[1][4].startswith("20") and rows[2][3:] == ["never", "-"]
    assert not any(token in listed for token in tokens.values())
    store = open_store(store_url)
    try:
        assert authenticate(store.engine, tokens["alice"]) is None
        assert authenticate(store.engine, tokens["bob"]) == ("bob", "reader")
        with store.engine.connect() as connection:
            hashes = connection.execute(text("SELECT token_hash FROM tokens")).scalars().all()
        assert not any(h in listed for h in hashes)
    finally:
        store.close()
    again = run("token", "revoke", "alice")
    assert again.exit_code == 1 and "was revoked at" in again.stderr
    unknown = run("token", "revoke", "carol")
    assert unknown.exit_code == 1 and "no token is named 'carol'" in unknown.stderr
    reused = run("token", "create", "--name", "alice", "--role", "archivist")
    assert reused.exit_code == 2 and "never reused" in reused.stderr


def test_an_id_reused_with_other_content_is_refused(store_url: str, tmp_path: Path) -> None:
    fact = statement(id="7a0c6b1e-1b8e-4a53-9b0c-2f7d1e0c9a11")
    altered = statement("other words", id="7a0c6b1e-1b8e-4a53-9b0c-2f7d1e0c9a11")
    source = tmp_path / "facts.ndjson"
    source.write_bytes(ndjson(request("person-vladimir-putin", "any", fact), request("person-vladimir-putin", "any", altered)))
    result = accord("import", str(source), url=store_url, data_dir=tmp_path)
    assert result.returncode == 1
    assert b"line 2:" in result.stderr and b"already stored with other content" in result.stderr


def test_verify_passes_and_then_names_an_edited_row(store_url: str, tmp_path: Path) -> None:
    source = tmp_path / "facts.ndjson"
    source.write_bytes(GOOD)
    accord("import", str(source), url=store_url, data_dir=tmp_path)
    ok = accord("verify", url=store_url, data_dir=tmp_path)
    assert ok.returncode == 0
    assert ok.stdout.startswith(b"ok: 4 events checked, head ")

    # Someone with file access drops the triggers and rewrites a quote.
    engine = create_engine(store_url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER events_immutable ON events"))
        else:
            connection.execute(text("DROP TRIGGER events_no_update"))
        connection.execute(text("UPDATE events SET data = replace(data, 'hide', 'HIDE') WHERE position = 3"))
    engine.dispose()
    broken = accord("verify", url=store_url, data_dir=tmp_path)
    assert broken.returncode == 1
    assert broken.stdout.startswith(b"broken at position 3:")


def test_token_create_prints_a_token_once_and_stores_its_hash(store_url: str, tmp_path: Path) -> None:
    result = accord("token", "create", "--name", "alice", "--role", "archivist", url=store_url, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    token = result.stdout.decode().strip()
    store = open_store(store_url)
    try:
        assert authenticate(store.engine, token) == ("alice", "archivist")
        assert authenticate(store.engine, token + "x") is None
        with store.engine.connect() as connection:
            stored = connection.execute(text("SELECT token_hash FROM tokens")).scalar_one()
        assert token not in stored and len(stored) == 64
    finally:
        store.close()
    again = accord("token", "create", "--name", "alice", "--role", "archivist", url=store_url, data_dir=tmp_path)
    assert again.returncode == 2 and b"already exists" in again.stderr
    wrong = accord("token", "create", "--name", "bob", "--role", "king", url=store_url, data_dir=tmp_path)
    assert wrong.returncode == 2 and b"role must be one of" in wrong.stderr


def test_demo_loads_the_seed_corpus_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/accord.db"
    first = accord("demo", "--no-serve", url=url, data_dir=tmp_path)
    assert first.returncode == 0, first.stderr.decode()
    assert b"chain intact" in first.stdout
    facts = int(first.stdout.split(b": ", 1)[1].split(b" facts")[0])
    assert facts >= 60
    second = accord("demo", "--no-serve", url=url, data_dir=tmp_path)
    assert f": {facts} facts".encode() in second.stdout


@pytest.mark.slow
def test_an_import_killed_midway_leaves_whole_batches_and_resumes(store_url: str, tmp_path: Path) -> None:
    from bench.generate import write_ndjson

    source = tmp_path / "large.ndjson"
    total = write_ndjson(source, 40_000, seed=7)
    batch = 1000
    env = {**os.environ, "ACCORD_DATABASE_URL": store_url, "ACCORD_DATA_DIR": str(tmp_path)}
    child = subprocess.Popen(
        [sys.executable, "-m", "service", "import", str(source), "--batch", str(batch)],
        env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    store = open_store(store_url)
    try:
        # Wait for the first committed batches, then kill without warning.
        deadline = time.monotonic() + 240
        while store.head().position < 3 * batch and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait()
        head = store.head().position
        assert 0 < head < total, "the import must be killed while it writes"
        assert head % batch == 0, "only whole batches are committed"
        assert store.verify().ok
    finally:
        store.close()

    resumed = accord("import", str(source), "--batch", str(batch), url=store_url, data_dir=tmp_path)
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert f"({head:,} already stored)".encode() in resumed.stderr
    exported = accord("export", url=store_url, data_dir=tmp_path).stdout.splitlines()
    ids = [orjson.loads(line)["id"] for line in exported]
    assert len(ids) == total == len(set(ids))
    assert accord("verify", url=store_url, data_dir=tmp_path).returncode == 0


def test_migrate_brings_an_empty_database_to_the_newest_schema_and_names_it(store_url: str, tmp_path: Path) -> None:
    result = accord("migrate", url=store_url, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    heads = ScriptDirectory.from_config(alembic_config([VERSIONS])).get_heads()
    assert f"is at revision {', '.join(sorted(heads))}".encode() in result.stdout
    assert head(store_url) == 0  # the log's tables are there, and empty
    assert accord("migrate", url=store_url, data_dir=tmp_path).stdout == result.stdout  # again: nothing to do
