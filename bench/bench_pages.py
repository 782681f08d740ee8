"""How long each kind of web page takes, against a real `accord serve` on loopback holding the seed corpus.

`accord demo --no-serve` loads the seed corpus into a fresh data directory
and builds every read model; `accord serve` then answers one client over a
kept-alive connection, asking as a browser does (`Accept: text/html...`).
Each page is fetched a few times to warm up, then `--rounds` times, and the
wall time of each request as the client sees it is reported: p50, p95 and
max in milliseconds. The archivist's pages are fetched signed in.

    python -m bench.bench_pages --rounds 200
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import time
from datetime import date
from typing import Any

import httpx

from bench.bench_http import _accord, serving
from bench.bench_log import OUT

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
TARGET_MS = 100.0
WARM_UP = 5


def pages(client: httpx.Client) -> list[tuple[str, str]]:
    """Every kind of page, named, with a URL that gives it real work on the seed corpus."""
    statement = client.get("/search", params={"q": '"feeds the Russian war machine"'}).json()["hits"][0]["event_id"]
    return [
        ("search home", "/"),
        ("search: words", "/search?q=JINR"),
        ("search: phrase + facet + dates", "/search?q=%22window+to+the+West%22&publisher=T-invariant&from=2024&to=2024"),
        ("search: misspelt (did you mean)", "/search?q=Dubnna"),
        ("search: date order, page 2", "/search?q=CERN&sort=date&page=2&per_page=10"),
        ("fact (permalink)", f"/events/{statement}"),
        ("agreements", "/agreements"),
        ("agreement", "/agreements/agreement-cern-jinr"),
        ("agreement as of valid_at/known_at", f"/agreements/agreement-cern-russia?valid_at=2024-06&known_at={date.today().isoformat()}"),
        ("entities", "/entities"),
        ("entity", "/entities/org-jinr"),
        ("timeline", "/timeline"),
        ("archivist: append form", "/archivist?type=VoteHeld"),
        ("archivist: correction form", f"/events/{statement}/correct"),
    ]


def sign_in(client: httpx.Client, token: str) -> None:
    form = client.get("/archivist", headers=BROWSER).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf, "the sign-in form carries no CSRF token"
    answer = client.post("/archivist/sign-in", data={"csrf": csrf[1], "token": token}, headers=BROWSER)
    assert answer.status_code == 303, answer.text


def measure(client: httpx.Client, url: str, rounds: int) -> dict[str, float]:
    for _ in range(WARM_UP):
        client.get(url, headers=BROWSER)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(url, headers=BROWSER)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200 or not response.headers["content-type"].startswith("text/html"):
            raise SystemExit(f"{url}: {response.status_code} {response.headers['content-type']}")
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p95_ms": times[min(len(times) - 1, round(0.95 * len(times)) - 1)],
        "max_ms": times[-1],
        "bytes": len(response.content),
    }


def run(rounds: int) -> list[dict[str, Any]]:
    data = OUT / "pages"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    print("loading the seed corpus ...", file=sys.stderr)
    _accord("demo", "--no-serve", data=data)
    token = _accord("token", "create", "--name", "bench-pages", "--role", "archivist", data=data).stdout.strip()
    results = []
    with serving(data) as (base, _pid), httpx.Client(base_url=base, timeout=30) as client:
        sign_in(client, token)
        for name, url in pages(client):
            print(f"{name} ...", file=sys.stderr)
            results.append({"page": name, "url": url, **measure(client, url, rounds)})
    return results


def table(results: list[dict[str, Any]], rounds: int) -> str:
    lines = [f"| page ({rounds} requests each) | p50 ms | p95 ms | max ms | KB |", "|---|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['page']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['max_ms']:.1f} | {r['bytes'] / 1024:.1f} |")
    slow = [r["page"] for r in results if r["p95_ms"] > TARGET_MS]
    lines.append("")
    lines.append(f"every page's p95 under {TARGET_MS:.0f} ms" if not slow else f"p95 over {TARGET_MS:.0f} ms: {', '.join(slow)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=100, help="requests per page after warming up")
    options = parser.parse_args()
    results = run(options.rounds)
    (OUT / "pages.json").write_text(json.dumps(results, indent=2))
    print(table(results, options.rounds))


if __name__ == "__main__":
    main()
