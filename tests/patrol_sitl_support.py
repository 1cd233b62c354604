"""Support for the patrol runner's SITL tests: the runner as its own process, and a pack size set
on a simulated vehicle (as fitting another pack would)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from vehicle.commands import find_vehicle
from vehicle.link import open_link
from vehicle.params import ParamClient
from vehicle.safety_params import ParamType

__all__ = ["Runner", "set_pack"]


class Runner:
    """``gridpatrol patrol run`` as its own process, its lines collected as they come."""

    def __init__(self, args: list[str]):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gridpatrol", "patrol", "run", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    def wait(self, timeout_s: float) -> int:
        code = self.proc.wait(timeout=timeout_s)
        self._reader.join(5)
        return code

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.wait(10)


def set_pack(url: str, mah: int) -> None:
    with open_link(url) as radio:
        ParamClient(radio, find_vehicle(radio, 10)).set("BATT_CAPACITY", mah, ParamType.INT32)
