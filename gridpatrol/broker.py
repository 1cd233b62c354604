"""A local MQTT broker for tests and the demo: Debian's mosquitto on a loopback port.

The config raises mosquitto's per-client queue limits, which otherwise drop messages to a slow
subscriber under load (measured with mosquitto 2.0.11). ``stop()`` is graceful, ``kill()`` is
``SIGKILL``; ``start()`` again reuses the same port and data folder, so outage tests can restart it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from mission.text import N_

__all__ = ["MosquittoBroker", "BrokerUnavailable", "free_port", "mosquitto_binary"]


class BrokerUnavailable(RuntimeError):
    """mosquitto is not installed or did not start."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listener_of(pid: int, port: int) -> bool | None:
    """Whether process ``pid`` holds the socket listening on loopback ``port`` (Linux /proc);
    None where that cannot be read. A free port handed out by ``free_port`` can be taken by
    another process before mosquitto binds it: mosquitto then exits, and meanwhile a connection
    to the port reaches the other process (in CI, a test's TLS client reached another test's
    plain broker)."""
    try:
        inodes = set()
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except (OSError, IndexError, ValueError):
        return None
    for fd in fds:
        try:
            if os.readlink(fd) in inodes:
                return True
        except OSError:
            continue
    return False


def mosquitto_binary() -> str | None:
    for candidate in (shutil.which("mosquitto"), "/usr/sbin/mosquitto"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


class MosquittoBroker:
    """One mosquitto process bound to 127.0.0.1 with its own config, log and persistence folder."""

    def __init__(
        self, port: int | None = None, workdir: Path | None = None, config: Path | None = None
    ):
        """A loopback broker with its own config, or ``config`` as written elsewhere (then
        ``port`` must be the port that config listens on; mosquitto's output goes to the log)."""
        binary = mosquitto_binary()
        if binary is None:
            raise BrokerUnavailable(
                N_("mosquitto is not installed; install it with: apt-get install -y mosquitto")
            )
        self.binary = binary
        self._own_port = port is None  # a port chosen here may be taken first: choose again
        self.port = port or free_port()
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="gridpatrol-mosquitto-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log = self.workdir / "mosquitto.log"
        self._proc: subprocess.Popen | None = None
        if config is not None:
            self.config = config
            return
        self.config = self.workdir / "mosquitto.conf"
        self._write_config()

    def _write_config(self) -> None:
        self.config.write_text(
            "\n".join(
                [
                    f"listener {self.port} 127.0.0.1",
                    "allow_anonymous true",
                    "persistence true",
                    f"persistence_location {self.workdir}/",
                    "max_queued_messages 1000000",
                    "max_inflight_messages 0",
                    "max_queued_bytes 0",
                    # As root, mosquitto drops to its own user and could not write persistence
                    # into this private folder, so restarts would lose queued messages.
                    *(["user root"] if os.geteuid() == 0 else []),
                    "log_type error",
                    "log_type warning",
                    f"log_dest file {self.log}",
                    "",
                ]
            )
        )

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> MosquittoBroker:
        attempts = 0
        while True:
            try:
                started = self._start_once(timeout)
                self._own_port = False  # started again later, it keeps this port
                return started
            except BrokerUnavailable:
                attempts += 1
                exited = self._proc is not None and self._proc.poll() is not None
                if attempts == 3 or not (self._own_port and exited):
                    raise
                self._proc = None  # it exited at start: the port was taken meanwhile
                self.port = free_port()
                self._write_config()

    def _start_once(self, timeout: float) -> MosquittoBroker:
        with open(self.log, "ab") as log:
            self._proc = subprocess.Popen(
                [self.binary, "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BrokerUnavailable(
                    N_(
                        "mosquitto exited at start (code {returncode}); see {log}",
                        returncode=self._proc.returncode,
                        log=self.log,
                    )
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    if listener_of(self._proc.pid, self.port) is not False:
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        self.kill()
        raise BrokerUnavailable(
            N_(
                "mosquitto did not listen on port {port} within {timeout} s",
                port=self.port,
                timeout=timeout,
            )
        )

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def kill(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def __enter__(self) -> MosquittoBroker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
