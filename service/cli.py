"""The `accord` command line."""

from __future__ import annotations

import html
import re
import sys
import time
from contextlib import closing, contextmanager
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import IO, Annotated, Iterator

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from events.ndjson import ImportRejected, export_ndjson, plan_import, workers_for, write_import
from events.notes import NoteError, SigningKey, b64, open_checkpoint, parse_verifier
from events.proofs import BundleError, bundle, check_bundle
from events.store import SqlEventStore
from events.store.checkpoints import CheckpointLog, CheckpointRefused, NotInTree, UnsignedSize
from projections import AsOf, Runner
from projections.agreements import list_agreements
from search_index import QueryError, SearchIndex, SearchRequest, SearchResults, search
from service.archive import open_archive, open_runner, open_search_index
from service.keys import NO_KEY, SigningKeyError, create_key, load_key
from service.settings import Settings
from service.tokens import ROLES, TokenError, create_token, list_tokens, revoke_token
from service.workers import serve_workers

app = typer.Typer(
    name="accord",
    help="accord: an event-sourced, verifiable archive of relations between research institutions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
key_app = typer.Typer(help="The Ed25519 key checkpoints are signed with.", no_args_is_help=True)
app.add_typer(key_app, name="key")

err = Console(stderr=True)
SEED_CORPUS = "seed/corpus.ndjson"


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        err.print(f"[red]accord: bad settings:[/red] {exc}")
        raise typer.Exit(2) from None


def _archive() -> SqlEventStore:
    return open_archive(_settings())


@contextmanager
def _closing_archive() -> Iterator[SqlEventStore]:
    store = _archive()
    try:
        yield store
    finally:
        store.close()


def _everything() -> tuple[Runner, SearchIndex]:
    """The log, its projections and the search index, ready to catch up."""
    settings = _settings()
    index = open_search_index(settings)
    return open_runner(open_archive(settings), index), index


def _progress(unit: str) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), MofNCompleteColumn(),
        TextColumn(unit), TimeRemainingColumn(), console=err, transient=True, disable=not err.is_terminal,
    )


@contextmanager
def _input(path: str) -> Iterator[tuple[IO[bytes], int | None]]:
    if path == "-":
        yield sys.stdin.buffer, None
        return
    file = Path(path)
    if not file.is_file():
        err.print(f"[red]accord import:[/red] no such file: {path}")
        raise typer.Exit(2)
    with file.open("rb") as handle:
        yield handle, file.stat().st_size


def run_import(store: SqlEventStore, source: IO[bytes], size: int | None, *, recorded_by: str, batch: int) -> tuple[int, int]:
    """Check, then write `source`; return (events written, events already stored). Exits 1 on bad input."""
    with _progress("bytes") as bar:
        task = bar.add_task("checking", total=size)
        try:
            plan = plan_import(
                source, store, progress=lambda done: bar.update(task, completed=done), workers=workers_for(size)
            )
        except ImportRejected as exc:
            bar.stop()
            for error in exc.errors:
                err.print(f"[red]{error}[/red]", markup=True, highlight=False, soft_wrap=True)
            if exc.bad_lines > len(exc.errors):
                err.print(f"... and {exc.bad_lines - len(exc.errors)} more bad lines")
            err.print(f"[red]accord import: {exc.bad_lines} bad line(s); nothing was written[/red]")
            raise typer.Exit(1) from None
    with _progress("events") as bar:
        task = bar.add_task("writing", total=plan.new_events)
        written = write_import(
            plan, store, recorded_by=recorded_by, batch_events=batch,
            progress=lambda done: bar.update(task, completed=done),
        )
    return written, plan.already_stored


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


@app.command("import")
def import_(
    file: Annotated[str, typer.Argument(help="NDJSON file, or - for standard input")],
    recorded_by: Annotated[str, typer.Option(help="Who the log records as having appended these facts")] = "import",
    batch: Annotated[int, typer.Option(min=1, help="Events per transaction")] = 5000,
) -> None:
    """Import NDJSON append requests or envelopes; all lines are checked before anything is written."""
    store = _archive()
    started = time.perf_counter()
    with _input(file) as (source, size):
        written, skipped = run_import(store, source, size, recorded_by=recorded_by, batch=batch)
    seconds = time.perf_counter() - started
    rate = f", {written / seconds:,.0f} events/s" if written else ""
    err.print(
        f"imported {_count(written, 'event')} ({skipped:,} already stored) in {seconds:.1f} s{rate}; "
        f"head is {store.head().position:,}"
    )


@app.command()
def export(
    after: Annotated[int, typer.Option(min=0, help="Only events after this position")] = 0,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many events")] = None,
) -> None:
    """Write the log as NDJSON envelopes to standard output, in position order."""
    store = _archive()
    out = sys.stdout.buffer
    export_ndjson(store, out, after=after, limit=limit)
    out.flush()


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema and exit: the one-shot step of a deployment.

    `accord serve` and every other command migrate on first use too; running this
    first keeps replicas that start together from all waiting on the same lock.
    """
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.engine import make_url

    settings = _settings()
    store = open_archive(settings)
    with store.engine.connect() as connection:
        heads = sorted(MigrationContext.configure(connection).get_current_heads())
        behind = store.head().position - store.tree.size(connection)
    if behind > 0:
        started = time.perf_counter()
        with _progress("events") as bar:
            task = bar.add_task("building the Merkle tree", total=store.head().position)
            added = store.build_tree(progress=lambda size: bar.update(task, completed=size))
        err.print(f"built the Merkle tree over {_count(added, 'event')} in {time.perf_counter() - started:.1f} s")
    store.close()
    print(f"database {make_url(settings.url).render_as_string(hide_password=True)} is at revision {', '.join(heads)}")


@app.command()
def verify() -> None:
    """Walk the hash chain, rebuilding the Merkle tree and every checkpoint's root from it (and checking their
    signatures, where this node has the key); exit 1 and name the first bad position if anything is broken."""
    with closing(_archive()) as store:
        _verify(store)


def _verify(store: SqlEventStore) -> None:
    total = store.head().position
    with _progress("events") as bar:
        task = bar.add_task("verifying", total=total)
        report = store.verify(progress=lambda done: bar.update(task, completed=done))
    if not report.ok:
        print(f"broken at position {report.first_bad}: {report.reason} ({report.checked} events before it are intact)")
        raise typer.Exit(1)
    print(f"ok: {report.checked} events checked, head {report.head}; the Merkle tree rebuilt from them matches the stored one")
    key = _key()
    signed = 0
    for stored in CheckpointLog(store).all():
        if key is not None:
            try:
                open_checkpoint(stored.note, key.verifier)
            except NoteError as exc:
                print(f"checkpoint of tree size {stored.size} does not verify with {key.verifier}: {exc}")
                raise typer.Exit(1) from None
        signed += 1
    if not signed:
        print("checkpoints: none signed yet")
    elif key is None:
        print(f"checkpoints: {signed:,}, each holding the rebuilt root; signatures not checked (this node has no key)")
    else:
        print(f"checkpoints: {signed:,}, each holding the rebuilt root and signed by {key.verifier}")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="Who the token is for; appends are recorded under this name")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}")],
) -> None:
    """Create an API token and print it once; only its hash is stored."""
    try:
        with _closing_archive() as store:
            token = create_token(store.engine, name, role)
    except TokenError as exc:
        err.print(f"[red]accord token create:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    print(token)
    err.print(f"token for {name!r} with role {role!r}: shown once, store it now")


@token_app.command("list")
def token_list() -> None:
    """List the tokens: name, role, when created, last used and revoked (never the token itself)."""
    with _closing_archive() as store:
        tokens = list_tokens(store.engine)
    if not tokens:
        err.print("no tokens yet: accord token create --name NAME --role archivist")
        return
    rows = [("NAME", "ROLE", "CREATED", "LAST USED", "REVOKED")]
    rows += [(t.name, t.role, t.created_at, t.last_used_at or "never", t.revoked_at or "-") for t in tokens]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@token_app.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="The name the token was created with")]) -> None:
    """Revoke a token: every node refuses it from the next request on, and its web sessions end."""
    try:
        with _closing_archive() as store:
            revoked = revoke_token(store.engine, name)
    except TokenError as exc:
        err.print(f"[red]accord token revoke:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    print(f"revoked {revoked.name!r} ({revoked.role}) at {revoked.revoked_at}")


def _key(*, required: bool = False) -> SigningKey | None:
    try:
        key = load_key(_settings())
    except SigningKeyError as exc:
        err.print(f"[red]accord:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    if key is None and required:
        err.print(f"[red]accord:[/red] {NO_KEY}", highlight=False)
        raise typer.Exit(2)
    return key


@key_app.command("create")
def key_create(
    out: Annotated[Path | None, typer.Option(help="Write the key here (default: signing-key.pem in the data directory)")] = None,
) -> None:
    """Make an Ed25519 key to sign checkpoints with (a file only its owner can read); print its verifier key."""
    settings = _settings()
    path = out or settings.default_key_file
    if path.exists():
        err.print(f"[red]accord key create:[/red] {path} exists; a new key would leave its checkpoints unverifiable. "
                  "Move it away first if you really mean to replace it.", highlight=False)
        raise typer.Exit(1)
    key = create_key(path, settings.log_origin)
    print(key.verifier)
    err.print(f"signing key written to {path} (mode 0600); above is its verifier key, to publish", highlight=False)


@key_app.command("show")
def key_show() -> None:
    """Print the verifier key of the key this node signs with."""
    print(_key(required=True).verifier)  # type: ignore[union-attr]


@app.command("checkpoint")
def checkpoint_command() -> None:
    """Sign the head of the log now, if no checkpoint holds it yet, and print the newest checkpoint."""
    key = _key(required=True)
    assert key is not None
    try:
        with closing(_archive()) as store:
            signed = CheckpointLog(store).sign_head(key)
    except CheckpointRefused as exc:
        err.print(f"[red]accord checkpoint:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    if signed is None:
        err.print("[red]accord checkpoint:[/red] the log is empty: there is no tree to sign yet")
        raise typer.Exit(1)
    sys.stdout.write(signed.note)
    err.print(f"tree size {signed.size:,}, signed {signed.signed_at}", highlight=False)


@app.command()
def prove(
    event_id: Annotated[str, typer.Argument(help="The id of the event")],
    size: Annotated[int | None, typer.Option(min=1, help="A signed tree size (default: the newest, signed now if it does not hold the event yet)")] = None,
) -> None:
    """Print a proof bundle of the event: the event, a signed checkpoint, its inclusion proof, the verifier key."""
    key = _key(required=True)
    assert key is not None
    try:
        with closing(_archive()) as store:
            checkpoints = CheckpointLog(store)
            if size is None:
                newest, stored = checkpoints.newest(), store.get(event_id.lower())
                if stored is not None and (newest is None or newest.size < stored.position):
                    checkpoints.sign_head(key)
                    err.print("signed a checkpoint of the head: none held the event yet")
            found = checkpoints.inclusion(event_id, size)
    except (UnsignedSize, NotInTree, CheckpointRefused) as exc:
        err.print(f"[red]accord prove:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    if found is None:
        err.print(f"[red]accord prove:[/red] no event {event_id} in the log", highlight=False)
        raise typer.Exit(1)
    event, signed, proof = found
    sys.stdout.write(orjson.dumps(bundle(event.to_json(), signed.note, proof, key.verifier), option=orjson.OPT_INDENT_2).decode() + "\n")


@app.command("check-proof")
def check_proof(
    file: Annotated[str, typer.Argument(help="A proof bundle (from `accord prove` or a fact's page), or - for standard input")],
    key: Annotated[str, typer.Option(help="The archive's verifier key, or a file holding it: the one you trust")],
) -> None:
    """Check a proof bundle offline, with no database and no network; exit 1 and name what failed."""
    try:
        raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        err.print(f"[red]accord check-proof:[/red] cannot read {file}: {exc.strerror}", highlight=False)
        raise typer.Exit(2) from None
    key_file = Path(key)
    try:
        verifier = parse_verifier(key_file.read_text(encoding="utf-8") if key_file.is_file() else key)
    except (NoteError, OSError, UnicodeDecodeError) as exc:
        err.print(f"[red]accord check-proof:[/red] --key: {exc}", highlight=False)
        raise typer.Exit(2) from None
    try:
        checked = check_bundle(orjson.loads(raw), verifier)
    except orjson.JSONDecodeError as exc:
        print(f"FAILED: the bundle is not JSON: {exc}")
        raise typer.Exit(1) from None
    except BundleError as exc:
        print(f"FAILED: {exc}")
        raise typer.Exit(1) from None
    signed = checked.checkpoint
    print(f"ok: event {checked.event_id} (position {checked.position}) is leaf {checked.position - 1} of the tree of size "
          f"{signed.size}, root {b64(signed.root)}, signed by {verifier}")


class RebuildTarget(str, Enum):
    projections = "projections"
    search = "search"
    all = "all"


REBUILT = {RebuildTarget.projections: ["facts"], RebuildTarget.search: ["search"], RebuildTarget.all: None}


def run_catch_up(runner: Runner, *, rebuild: list[str] | None | bool = False) -> tuple[int, float]:
    """Bring every projection level with the log; with `rebuild` (True, or the names of some
    projections) start those again from position 0. Returns (events read, seconds)."""
    started = time.perf_counter()
    with _progress("events") as bar:
        task = bar.add_task("catching up" if rebuild is False else "rebuilding", total=runner.store.head().position)

        def progress(position: int, head: int) -> None:
            bar.update(task, completed=position, total=head)

        if rebuild is False:
            read = runner.catch_up(progress=progress)
        else:
            read = runner.rebuild(None if rebuild is True else rebuild, progress=progress)
    return read, time.perf_counter() - started


@app.command()
def rebuild(
    target: Annotated[RebuildTarget, typer.Argument(help="What to rebuild from the log")] = RebuildTarget.all,
) -> None:
    """Rebuild read models (the projections, the search index or both) from position 0 of the log."""
    runner, _ = _everything()
    chosen = REBUILT[target]
    read, seconds = run_catch_up(runner, rebuild=True if chosen is None else chosen)
    rate = f", {read / seconds:,.0f} events/s" if read else ""
    names = ", ".join(p.name for p in runner.projections if chosen is None or p.name in chosen)
    print(f"rebuilt {names} from {_count(read, 'event')} in {seconds:.1f} s{rate}")


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help='Words, "phrases", AND/OR/NOT, prefix*, fuzzy~; empty lists by the filters alone')],
    speaker: Annotated[str | None, typer.Option(help="Speaker's stream (person-…) or name")] = None,
    publisher: Annotated[str | None, typer.Option(help="Publisher's name")] = None,
    type: Annotated[str | None, typer.Option("--type", help="Event type, such as StatementMade")] = None,
    start: Annotated[str | None, typer.Option("--from", help="Occurred on or after (EDTF: 2024, 2024-06, 2024-06-20)")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Occurred on or before (EDTF)")] = None,
    kind: Annotated[str | None, typer.Option(help="direct (quotes) or reported (speech as the publisher tells it) only")] = None,
    quotes_only: Annotated[bool, typer.Option("--quotes-only", help="Only facts matched in the words as printed")] = False,
    sort: Annotated[str, typer.Option(help="relevance or date (newest first)")] = "relevance",
    page: Annotated[int, typer.Option(min=1)] = 1,
    per_page: Annotated[int, typer.Option(min=1, max=100)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as the HTTP API's JSON")] = False,
) -> None:
    """Search quotes and sources; every hit names its event, position, stream, date, speaker and sources."""
    runner, index = _everything()
    run_catch_up(runner)
    try:
        request = SearchRequest(q=query, speaker=speaker, publisher=publisher, type=type, start=start, end=end,
                                sort=sort, page=page, per_page=per_page, kind=kind, quotes_only=quotes_only)  # type: ignore[arg-type]
        results = search(index, request)
    except QueryError as exc:
        err.print(f"[red]accord search:[/red] {exc.parameter}: {exc.reason}", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        sys.stdout.write(orjson.dumps(results.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    _print_results(results)


def _print_results(results: SearchResults) -> None:
    out = Console(highlight=False, soft_wrap=True)
    first = (results.page - 1) * results.per_page
    shown = f"{first + 1}–{first + len(results.hits)} of " if results.hits else ""
    out.print(f"{shown}{_count(results.total, 'fact')}" + (" (close spellings included)" if results.fuzzy else ""))
    if results.suggestion:
        out.print(f"did you mean: {results.suggestion}")
    for entity in results.entities:
        aliases = f" (also {', '.join(entity.aliases)})" if entity.aliases else ""
        out.print(f"entity: [bold]{escape(entity.name)}[/bold], {entity.kind}{escape(aliases)} · {entity.id}")
    for number, hit in enumerate(results.hits, start=first + 1):
        fact = hit.to_json()
        out.print()
        out.print(f"{number}. [bold]{escape(fact['speaker'] or fact['type'])}[/bold], {fact['occurred']}")
        places = fact["matched_in"]
        snippet = escape(_marked(fact["highlight"]))
        words = snippet if hit.in_words else escape(fact["quote"])
        if fact["quote_kind"] == "reported":  # the publisher's account, never in quotation marks
            publisher = fact["sources"][0]["publisher"] if fact["sources"] else "the source"
            out.print(f"   according to {escape(publisher)}: {words}")
        else:
            out.print(f"   “{words}”")
        if places:
            out.print(f"   matched in {', '.join(places)}" + ("" if hit.in_words else f": {snippet}"))
        for source in fact["sources"]:
            where = ", ".join(str(source[k]) for k in ("publisher", "title", "published", "url") if source.get(k))
            out.print(f"   source: {escape(where)}")
        out.print(f"   event {fact['event_id']} · position {fact['position']} · stream {fact['stream']}")


def _marked(snippet: str) -> str:
    """The HTML snippet as terminal text: matched words in brackets, entities unescaped."""
    return html.unescape(re.sub(r"<mark[^>]*>(.*?)</mark>", r"[\1]", snippet))


def _serve(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from service.api import create_app
    from service.api.metrics import shared_metrics

    # A live stream (/events/live) never ends on its own: give open ones a few seconds, then close them.
    options = {
        "host": host, "port": port, "log_level": "info", "timeout_graceful_shutdown": 5, "access_log": settings.access_log,
    }
    if workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    # Each worker process builds its own app from the same ACCORD_* environment; they share
    # the database and the data directory, and count their metrics in one place.
    host, port = options.pop("host"), options.pop("port")
    with shared_metrics():
        code = serve_workers("service.api:create_app", host=host, port=port, workers=workers, options=options)  # type: ignore[arg-type]
    if code:
        raise typer.Exit(code)


Host = Annotated[str, typer.Option(help="Interface to listen on")]
Port = Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on")]
Workers = Annotated[
    int,
    typer.Option(
        min=1, max=64, envvar="ACCORD_WORKERS",
        help="Server processes on this port, sharing the database and the data directory (one per core)",
    ),
]


@app.command()
def demo(
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the HTTP API once the archive is ready")] = True,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Workers = 1,
) -> None:
    """Create the data directory, load the seed corpus into an empty archive, build every read model and serve."""
    settings = _settings()
    store = open_archive(settings)
    if store.head().position == 0:
        with resources.files("service").joinpath(SEED_CORPUS).open("rb") as source:
            written, _ = run_import(store, source, None, recorded_by="seed", batch=5000)
        err.print(f"loaded the seed corpus: {written} facts")
    report = store.verify()
    print(f"archive at {settings.url}: {report.checked} facts, chain {'intact' if report.ok else 'BROKEN'}, head {report.head}")
    index = open_search_index(settings)
    runner = open_runner(store, index)
    run_catch_up(runner)
    as_of = AsOf.now()
    with store.engine.connect() as connection:
        listed = list_agreements(connection, as_of)
    print(f"agreements as of {as_of.valid_at}:")
    for state in listed.agreements:
        status = state.status + (" by date" if state.basis == "by_date" else "")  # no source reports it
        print(f"  {state.id:<28} {status:<20} {state.title or ''}")
    found = search(index, SearchRequest(q='"window to the West"', per_page=1))
    print(f"search index: {index.searcher().doc_count():,} documents; try: accord search '\"window to the West\"' "
          f"({found.total} facts)")
    index.close()
    store.close()
    if serve:
        print(f"serving the web pages and the HTTP API at http://{host}:{port}/ (OpenAPI at http://{host}:{port}/docs); Ctrl-C stops", flush=True)
        _serve(settings, host, port, workers)


@app.command()
def serve(host: Host = "127.0.0.1", port: Port = 8000, workers: Workers = 1) -> None:
    """Serve the HTTP API."""
    _serve(_settings(), host, port, workers)
