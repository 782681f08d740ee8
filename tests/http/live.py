"""A real uvicorn server on a loopback port, in a thread of the test process, stopped for sure at the end."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from service.api import create_app
from service.settings import Settings


@contextmanager
def running(settings: Settings, *, graceful_seconds: float = 5) -> Iterator[tuple[str, uvicorn.Server]]:
    """Serve `settings`'s archive; yield the base URL and the server. Stops it and checks its thread has ended."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings), log_level="warning", timeout_graceful_shutdown=graceful_seconds, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-test", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(graceful_seconds + 10)
        sock.close()
        assert not thread.is_alive(), "the server did not stop"
