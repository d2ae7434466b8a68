"""Running one alliance process (a node, one service of it, or the hub), written once.

Every kind runs the same way: the data dir is locked to this process, the ports it will
serve are checked, a crashed run's servers are let finish, its own servers start (and
are restarted whenever they die), a run file says where everything listens, the app
serves until Ctrl-C or SIGTERM, and everything it started is stopped again. Errors a
user can cause are ``RuntimeFailure`` with one readable line; the CLI prints it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import uvicorn
from fastapi import FastAPI

from alliance.http_server import bounded_h11
from shared.runtime import (
    RUN_FILE,
    NatsServer,
    RuntimeFailure,
    StoreServer,
    ensure_writable,
    port_is_free,
    process_runs_in,
    read_run_info,
    settle_garbage_collector,
    without_credentials,
    write_run_info,
)
from shared.settings import ProcessSettings

STALE_CHILD_GRACE_SECONDS = 10.0
SUPERVISE_SECONDS = 0.5  # how often the children are looked at
RESTART_PAUSE_SECONDS = (1.0, 30.0)  # first and longest pause after a failed restart
Server = NatsServer | StoreServer


def say(line: str) -> None:
    """Progress for the person at the terminal; stderr keeps stdout for data."""
    print(line, file=sys.stderr, flush=True)


class Stopped(Exception):
    """SIGTERM or Ctrl-C arrived: stop what we started and exit 0."""


def stop_on_signal(signum: int, frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


@dataclass
class Launch:
    """What a process kind hands the runner: its app, where it listens, what it says."""

    app: FastAPI
    banner: str
    run_info: dict[str, Any] = field(default_factory=dict)


class Servers:
    """The child servers this run started: restarted when they die, stopped at the end.

    A supervisor thread looks at the children every ``SUPERVISE_SECONDS``. One that exited
    (SIGKILL, OOM killer, a crash) is reaped and started again on the same port and data
    dir, with one line on stderr, after a pause that doubles while restarts keep failing;
    the node's clients reconnect by themselves and ``/healthz`` turns 200 again. The thread
    lives as long as the run: Linux sends a child's death signal when the *thread* that
    started it ends (``PR_SET_PDEATHSIG``), so restarted children must come from it.
    """

    def __init__(self) -> None:
        self.started: list[tuple[Server, str]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._due: dict[int, tuple[float, float]] = {}  # server index -> (next try, pause)

    def start(self, server: Server, what: str) -> str:
        say(f"starting {what}…")
        server.start()
        self.started.append((server, what))
        return server.url

    def pids(self) -> list[int]:
        return [s.child.process.pid for s, _ in self.started if s.child and s.child.process]

    def supervise(self, restarted: Callable[[], None]) -> None:
        """Restart dead children until ``stop``; ``restarted`` runs after each restart."""
        threading.Thread(
            target=self._supervise, args=(restarted,), name="supervisor", daemon=True
        ).start()

    def _supervise(self, restarted: Callable[[], None]) -> None:
        while not self._stopping.wait(SUPERVISE_SECONDS):
            for index, (server, what) in enumerate(self.started):
                code = server.child.exited() if server.child else None
                if code is not None and self._restart(index, server, what, code):
                    restarted()

    def _restart(self, index: int, server: Server, what: str, code: int) -> bool:
        """Start a dead child again when its pause is over; True once it runs."""
        due, pause = self._due.get(index, (0.0, RESTART_PAUSE_SECONDS[0]))
        if time.monotonic() < due:
            return False
        with self._lock:
            if self._stopping.is_set():
                return False
            try:
                server.start()
            except RuntimeFailure as exc:
                longest = RESTART_PAUSE_SECONDS[1]
                self._due[index] = (time.monotonic() + pause, min(pause * 2, longest))
                say(f"{what} {_ended(code)} and could not be restarted: {exc}")
                return False
        self._due.pop(index, None)
        say(f"{what} {_ended(code)}; restarted it on {without_credentials(server.url)}")
        return True

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            for server, _ in reversed(self.started):
                server.stop()


def _ended(code: int) -> str:
    """How a child ended, as Popen reports it (a negative code is the signal)."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed ({signal.Signals(-code).name})"
    return f"exited with code {code}"


def run_process(
    settings: ProcessSettings,
    launch: Callable[[Servers], Launch],
    also_ports: tuple[int, ...] = (),
) -> None:
    """Run one process until Ctrl-C or SIGTERM and stop everything it started.

    uvicorn shuts the app down gracefully on SIGINT/SIGTERM and then re-raises the signal
    to the handler it found; ours turns that into ``Stopped`` so the servers we started
    are stopped too, and the process exits 0.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop_on_signal)
    try:
        _run(settings, launch, also_ports)
    except Stopped:
        say("stopped")


def _run(
    settings: ProcessSettings, launch: Callable[[Servers], Launch], also_ports: tuple[int, ...]
) -> None:
    data_dir = settings.data_dir
    ensure_writable(data_dir)
    with data_dir_lock(data_dir):
        for port in (settings.port, *also_ports):
            if not port_is_free(settings.host, port):
                raise RuntimeFailure(f"port {port} on {settings.host} is already in use")
        wait_for_stale_children(data_dir)
        servers = Servers()
        try:
            started = launch(servers)
            info = {"http_url": f"http://{settings.host}:{settings.port}", **started.run_info}
            write_run_info(data_dir, children=servers.pids(), **info)
            servers.supervise(lambda: write_run_info(data_dir, children=servers.pids(), **info))
            say(started.banner)
            settle_garbage_collector()
            serve(started.app, settings.host, settings.port, settings.log_level)
        finally:
            servers.stop()
            (data_dir / RUN_FILE).unlink(missing_ok=True)


@contextlib.contextmanager
def data_dir_lock(data_dir: Path) -> Iterator[None]:
    """One process per data dir: a second start fails in one clear line."""
    handle: IO[str] = open(data_dir / ".lock", "w")  # noqa: SIM115
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise RuntimeFailure(f"another alliance process is using {data_dir}") from exc
    try:
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def serve(app: FastAPI, host: str, port: int, log_level: str) -> None:
    """Serve HTTP until SIGINT/SIGTERM (uvicorn then re-raises it: see run_process).

    A request must arrive within deadlines (head 10 s, body 60 s: ``bounded_h11``), or a
    client sending it a byte at a time would hold its connection for ever.
    """
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, lifespan="on", http=bounded_h11()
    )
    uvicorn.Server(config).run()


def wait_for_stale_children(data_dir: Path) -> None:
    """After a crash the old run's servers are still shutting down; let them finish."""
    try:
        pids = read_run_info(data_dir).get("children", [])
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + STALE_CHILD_GRACE_SECONDS
    for pid in pids:
        while process_runs_in(pid, data_dir) and time.monotonic() < deadline:
            time.sleep(0.1)
        if process_runs_in(pid, data_dir):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
