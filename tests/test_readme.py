"""Every `console` example of the README, run as a user runs it, must print what the README shows.

The README's console blocks are run in order as one shell script, in an empty
directory with a fresh data directory (SQLite), so a later example sees what
an earlier one appended, and `$TOKEN` set in one block is there in the next.
A command ending in `&` is started in the background and the script waits
for its `/health`, as a user would wait for the server. Set-up commands
(`pip install …`) are left out: the test already runs in the installed
checkout.

Each command's output (stdout and stderr together, as a terminal shows them)
must match the README line for line, but for what differs from run to run:
hashes, ids, tokens, timestamps, timings, the data directory's path and
today's date. So an example whose output changes shape, or whose facts
change, fails here until the README is brought up to date.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
README_PORT = "8000"
MARK = "@@accord-readme-command@@"

# What may differ between runs, as patterns matched in place of the README's own text.
VOLATILE = [
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z",  # recorded_at, signing times
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",  # ids the server makes
    r"[0-9a-f]{32,64}",  # hashes, request ids
    r"accord_[A-Za-z0-9_-]{43}",  # a new token
    r"sqlite:///\S+?\.db",  # where the data directory is
    r"/\S+?/accord-data/\S+",  # a file in it
    r"[A-Za-z0-9+/]{43,}={0,2}",  # base64: root hashes, signatures, keys (whose name and id it takes in)
    r"as of \d{4}-\d{2}-\d{2}",  # today
    r"\d[\d,]*(?:\.\d+)? (?:s|ms|events/s)\b",  # timings and rates
]
_VOLATILE = re.compile("|".join(f"(?P<v{i}>{p})" for i, p in enumerate(VOLATILE)))


@dataclass
class Example:
    command: str
    expected: list[str]
    line: int  # where the command stands in the README


def examples(text: str) -> list[Example]:
    found: list[Example] = []
    block: list[Example] | None = None  # the commands of the console block being read
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("```"):
            block = [] if line.strip() == "```console" and block is None else None
        elif block is not None and line.startswith("$ "):
            block.append(Example(line[2:], [], number))
            found.append(block[-1])
        elif block:
            block[-1].expected.append(line)
    return [e for e in found if not e.command.startswith("pip ")]


def shape(expected: str) -> re.Pattern[str]:
    """A pattern for one README output line: its text, with every volatile part any value of its kind."""
    parts: list[str] = []
    last = 0
    for match in _VOLATILE.finditer(expected):
        parts.append(re.escape(expected[last : match.start()]))
        parts.append(f"(?:{VOLATILE[int(match.lastgroup[1:])]})")  # type: ignore[index]
        last = match.end()
    parts.append(re.escape(expected[last:]))
    return re.compile("".join(parts))


def _free_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def script(found: list[Example], port: str) -> str:
    lines = ["set -u", "trap 'kill $(jobs -p) 2>/dev/null' EXIT"]
    for example in found:
        command = example.command.replace(f"127.0.0.1:{README_PORT}", f"127.0.0.1:{port}")
        command = command.replace(f"--port {README_PORT}", f"--port {port}")
        lines.append(f"echo '{MARK}'")
        if command.endswith("&"):
            lines.append(f"{command[:-1]} >/dev/null 2>&1 &")
            lines.append(
                f"for _ in $(seq 300); do curl -sf http://127.0.0.1:{port}/health >/dev/null && break; sleep 0.1; done"
            )
        else:
            lines.append(f"{{ {command} ; }} 2>&1")
    return "\n".join(lines) + "\n"


def test_readme_examples_print_what_the_readme_shows(tmp_path: Path) -> None:
    found = examples(README.read_text(encoding="utf-8"))
    assert len(found) >= 10, "the README should show accord at work"
    shutil.copytree(REPO / "docs" / "examples", tmp_path / "docs" / "examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(
        ACCORD_DATA_DIR=str(tmp_path / "accord-data"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
        COLUMNS="200",
    )
    run = subprocess.run(
        ["bash", "-c", script(found, _free_port())], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    outputs = run.stdout.split(MARK + "\n")[1:]
    assert len(outputs) == len(found), f"the script stopped early:\n{run.stdout}\n{run.stderr}"
    for example, output in zip(found, outputs, strict=True):
        actual = [line.rstrip() for line in output.splitlines()]
        where = f"README.md:{example.line} `{example.command}`"
        assert len(actual) == len(example.expected), f"{where} printed:\n" + "\n".join(actual)
        for expected, line in zip(example.expected, actual, strict=True):
            assert shape(expected.rstrip()).fullmatch(line), f"{where}\n expected: {expected}\n printed:  {line}"


def test_shapes_accept_other_runs_and_refuse_other_facts() -> None:
    line = "ok: 79 events checked, head f64801693e98622a5df5595f12a5fc01ddf5326168bc1bbf9d2114e759c6f983"
    assert shape(line).fullmatch("ok: 79 events checked, head " + "0" * 64)
    assert not shape(line).fullmatch("ok: 80 events checked, head " + "0" * 64)
    timing = "imported 1 event (0 already stored) in 0.0 s, 137 events/s; head is 79"
    assert shape(timing).fullmatch("imported 1 event (0 already stored) in 1.2 s, 1,370 events/s; head is 79")
    assert not shape(timing).fullmatch("imported 2 events (0 already stored) in 0.0 s, 137 events/s; head is 79")
