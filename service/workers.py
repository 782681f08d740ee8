"""Several server processes on one port, each accepting on a listening socket of its own.

uvicorn's own supervisor shares one listening socket among its workers, and a
worker whose event loop wakes to a burst of new connections accepts all of
them: under eight kept-alive clients one worker served nearly every request
(93% of a core) while the other idled (6%). Here each worker binds its own
socket with `SO_REUSEPORT`, and the kernel deals new connections out among
them. Where the platform has no `SO_REUSEPORT`, uvicorn's supervisor runs
instead.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import threading
import time
from multiprocessing.process import BaseProcess
from typing import Any

log = logging.getLogger("accord.workers")
STARTUP_SECONDS = 10.0
"""A worker that exits sooner than this after starting failed to start: the server stops instead of retrying."""
STOP_SECONDS = 15.0


def serve_workers(app: str, *, host: str, port: int, workers: int, options: dict[str, Any]) -> int:
    """Serve the app factory `app` from `workers` processes until SIGINT or SIGTERM; return an exit code."""
    import uvicorn

    if not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(app, factory=True, host=host, port=port, workers=workers, **options)
        return 0
    # Held, never listening, for the life of the server: it takes a free port when asked for
    # port 0, and keeps the port from being taken by anyone else between restarts of a worker.
    holder = _socket(host, port)
    port = holder.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def start() -> tuple[BaseProcess, float]:
        process = context.Process(target=_worker, args=(app, host, port, options), name="accord-worker")
        process.start()
        return process, time.monotonic()

    previous = {sig: signal.signal(sig, lambda *_: stopping.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes = [start() for _ in range(workers)]
    log.info("serving on http://%s:%d with %d worker processes", host, port, workers)
    code = 0
    try:
        while not stopping.wait(0.5):
            for index, (process, started) in enumerate(processes):
                if process.is_alive():
                    continue
                if time.monotonic() - started < STARTUP_SECONDS:
                    log.error("worker %s failed to start (exit code %s); stopping", process.pid, process.exitcode)
                    code = 3
                    stopping.set()
                    break
                log.warning("worker %s exited (exit code %s); starting another", process.pid, process.exitcode)
                processes[index] = start()
    finally:
        for process, _ in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests under way, then stops
        deadline = time.monotonic() + STOP_SECONDS
        for process, _ in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        holder.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def _socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(app: str, host: str, port: int, options: dict[str, Any]) -> None:
    import uvicorn

    sock = _socket(host, port)
    uvicorn.Server(uvicorn.Config(app, factory=True, host=host, port=port, **options)).run(sockets=[sock])
