"""The proof verbs of `accord` as an operator and a reader run them: key create, checkpoint, prove, check-proof
(in another directory, with no database), migrate building the tree of an older log, verify."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import orjson
from alembic import command
from click.testing import Result
from sqlalchemy import text
from typer.testing import CliRunner

from events.notes import open_checkpoint, parse_verifier
from events.store import open_store
from events.store.dialects import write_transaction
from events.store.migrate import alembic_config
from service.cli import app
from service.migrations import VERSIONS
from tests.builders import entity, prepared, statement
from tests.service.test_cli import GOOD, accord, ndjson, request

NOWHERE = "postgresql+psycopg://nobody@127.0.0.1:9/none"  # no server listens on port 9


def cli(*args: str, url: str, data_dir: Path) -> Result:
    """`accord ARGS` in this process (a real process each costs seconds on a busy machine), for the verbs
    that close what they open; `accord` runs the others, and the offline checks, in processes of their own."""
    env = {"ACCORD_DATABASE_URL": url, "ACCORD_DATA_DIR": str(data_dir)}
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def test_a_key_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/accord.db"
    made = cli("key", "create", url=url, data_dir=tmp_path)
    assert made.exit_code == 0, made.stderr
    key_file = tmp_path / "signing-key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    verifier = parse_verifier(made.stdout)
    assert verifier.name == "accord.local/log"
    assert cli("key", "show", url=url, data_dir=tmp_path).stdout == made.stdout
    again = cli("key", "create", url=url, data_dir=tmp_path)
    assert again.exit_code == 1 and "exists" in again.stderr
    assert parse_verifier(cli("key", "show", url=url, data_dir=tmp_path).stdout) == verifier, "the first key stays"
    elsewhere = cli("key", "create", "--out", str(tmp_path / "shared" / "key.pem"), url=url, data_dir=tmp_path)
    assert elsewhere.exit_code == 0 and (tmp_path / "shared" / "key.pem").exists()


def test_prove_then_check_the_bundle_elsewhere_with_no_database(store_url: str, tmp_path: Path) -> None:
    data = tmp_path / "archive"
    assert cli("key", "create", url=store_url, data_dir=data).exit_code == 0
    empty = cli("checkpoint", url=store_url, data_dir=data)
    assert empty.exit_code == 1 and "the log is empty" in empty.stderr
    store = open_store(store_url)
    try:
        store.append("org-jinr", prepared("org-jinr", entity(), statement(), statement("Words 2."), statement("Words 3.")), "any",
                     recorded_by="archivist-anna")
        envelopes = [e.to_json() for e in store.read_all()]
    finally:
        store.close()
    key_text = cli("key", "show", url=store_url, data_dir=data).stdout.strip()

    # No checkpoint holds the event yet: prove signs the head first.
    proved = cli("prove", envelopes[2]["id"], url=store_url, data_dir=data)
    assert proved.exit_code == 0, proved.stderr
    assert "signed a checkpoint of the head" in proved.stderr
    found = orjson.loads(proved.stdout)
    assert found["event"] == envelopes[2] and found["key"] == key_text and found["proof"]["tree_size"] == 4
    signed = cli("checkpoint", url=store_url, data_dir=data)
    assert signed.exit_code == 0 and signed.stdout == found["checkpoint"], "the head is signed already"
    assert open_checkpoint(signed.stdout, parse_verifier(key_text)).size == 4

    # Another directory, a database that does not answer: the real command, in a process of its own.
    reader = tmp_path / "reader"
    reader.mkdir()
    (reader / "bundle.json").write_text(proved.stdout)
    (reader / "archive.key").write_text(key_text + "\n")
    offline = {"url": NOWHERE, "data_dir": reader / "no-such-directory"}
    checked = accord("check-proof", str(reader / "bundle.json"), "--key", str(reader / "archive.key"), **offline)  # type: ignore[arg-type]
    assert checked.returncode == 0, (checked.stdout + checked.stderr).decode()
    assert checked.stdout.decode().startswith(f"ok: event {envelopes[2]['id']} (position 3) is leaf 2 of the tree of size 4")
    tampered = {**found, "event": {**found["event"], "data": {**found["event"]["data"], "quote": "Nothing of the kind."}}}
    (reader / "tampered.json").write_bytes(orjson.dumps(tampered))
    refused = accord("check-proof", str(reader / "tampered.json"), "--key", key_text, **offline)  # type: ignore[arg-type]
    assert refused.returncode == 1
    assert refused.stdout.decode() == "FAILED: event: its hash does not match its content; the event was changed\n"
    assert not (reader / "no-such-directory").exists(), "check-proof touches no data directory"

    assert cli("check-proof", str(reader / "bundle.json"), "--key", key_text, **offline).exit_code == 0  # type: ignore[arg-type]
    other_key = cli("key", "create", "--out", str(tmp_path / "other.pem"), url=store_url, data_dir=data).stdout.strip()
    wrong = cli("check-proof", str(reader / "bundle.json"), "--key", other_key, **offline)  # type: ignore[arg-type]
    assert wrong.exit_code == 1 and "FAILED: checkpoint: the note carries no signature of the key" in wrong.stdout
    bad_key = cli("check-proof", str(reader / "bundle.json"), "--key", "not a key", **offline)  # type: ignore[arg-type]
    assert bad_key.exit_code == 2 and "--key" in bad_key.stderr


def test_migrate_builds_the_tree_of_a_log_stored_before_it_and_verify_checks_it(store_url: str, tmp_path: Path) -> None:
    lines = ndjson(request("org-jinr", "no_stream", entity()), *[request("org-jinr", "any", statement(f"Words {i}.")) for i in range(40)])
    (tmp_path / "facts.ndjson").write_bytes(lines)
    assert accord("import", str(tmp_path / "facts.ndjson"), url=store_url, data_dir=tmp_path).returncode == 0
    # Back to the log as it was before the tree: its revision, without the tree's tables.
    store = open_store(store_url)
    config = alembic_config([VERSIONS])
    with write_transaction(store.engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "events@events_0001")
    store.engine.dispose()
    migrated = cli("migrate", url=store_url, data_dir=tmp_path)
    assert migrated.exit_code == 0, migrated.stderr
    assert "built the Merkle tree over 41 events" in migrated.stderr
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM merkle_nodes")).scalar() == 41
    store.close()
    verified = cli("verify", url=store_url, data_dir=tmp_path)
    assert verified.exit_code == 0 and "the Merkle tree rebuilt from them matches the stored one" in verified.stdout
    again = cli("migrate", url=store_url, data_dir=tmp_path)
    assert again.exit_code == 0 and "built" not in again.stderr


def test_verify_checks_each_checkpoint_signature_with_the_nodes_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/accord.db"
    (tmp_path / "facts.ndjson").write_bytes(GOOD)
    assert accord("import", str(tmp_path / "facts.ndjson"), url=url, data_dir=tmp_path).returncode == 0
    assert "checkpoints: none signed yet" in cli("verify", url=url, data_dir=tmp_path).stdout
    assert cli("key", "create", url=url, data_dir=tmp_path).exit_code == 0
    assert cli("checkpoint", url=url, data_dir=tmp_path).exit_code == 0
    verified = cli("verify", url=url, data_dir=tmp_path)
    assert "checkpoints: 1, each holding the rebuilt root and signed by accord.local/log+" in verified.stdout
    os.replace(tmp_path / "signing-key.pem", tmp_path / "old-key.pem")
    assert cli("key", "create", url=url, data_dir=tmp_path).exit_code == 0
    os.replace(tmp_path / "signing-key.pem", tmp_path / "new-key.pem")
    assert "checkpoints: 1, each holding the rebuilt root; signatures not checked" in cli("verify", url=url, data_dir=tmp_path).stdout
    os.replace(tmp_path / "new-key.pem", tmp_path / "signing-key.pem")
    rekeyed = cli("verify", url=url, data_dir=tmp_path)
    assert rekeyed.exit_code == 1 and "checkpoint of tree size 4 does not verify" in rekeyed.stdout
