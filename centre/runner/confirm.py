"""The go for a launch: asked in the terminal, taken from the centre over MQTT, or automatic.

``auto`` launches without a person and is only for simulators (the CLI refuses it otherwise
unless the operator says ``--i-understand-auto``). ``ask`` needs a terminal: without one the
runner refuses to start instead of waiting forever for a key nobody can press. ``centre`` opens a
window per waiting sortie; the runner's loop offers every confirmation message to ``offer``,
which applies ``rules.confirm_refusal`` and counts each refusal.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Protocol

from centre.runner.errors import RunnerError
from centre.runner.rules import ConfirmWindow, confirm_refusal
from telemetry.patrol_records import LaunchConfirm

__all__ = ["Gate", "AutoGate", "AskGate", "CentreGate", "make_gate", "MODES"]

MODES = ("ask", "centre", "auto")


class Gate(Protocol):
    def wait(self, sortie: str, drone: str, deadline_wall: float) -> str | None:
        """None: launch; else why not (refused, or no go before ``deadline_wall``)."""
        ...


class AutoGate:
    def wait(self, sortie: str, drone: str, deadline_wall: float) -> str | None:
        return None


class AskGate:
    """One question at a time on the terminal; only "y" or "yes" launches."""

    def __init__(self, ask: Callable[[str], str] = input):
        self._ask = ask
        self._lock = threading.Lock()

    def wait(self, sortie: str, drone: str, deadline_wall: float) -> str | None:
        with self._lock:
            try:
                answer = self._ask(f"launch sortie {sortie} on {drone}? [y/N] ")
            except EOFError:
                return "no answer on the terminal (end of input)"
        if time.time() > deadline_wall:
            return "the operator's go came too late for the schedule"
        return None if answer.strip().lower() in ("y", "yes") else "the operator said no"


class CentreGate:
    """Windows for the sorties waiting now; ``offer`` is called from the runner's loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, ConfirmWindow] = {}
        self._events: dict[str, threading.Event] = {}

    def wait(self, sortie: str, drone: str, deadline_wall: float) -> str | None:
        event = threading.Event()
        with self._lock:
            self._windows[sortie] = ConfirmWindow(sortie, time.time())
            self._events[sortie] = event
        try:
            if event.wait(max(0.0, deadline_wall - time.time())):
                return None
            return "no confirmation from the centre before the launch window closed"
        finally:
            with self._lock:
                self._windows.pop(sortie, None)
                self._events.pop(sortie, None)

    def offer(self, confirm: LaunchConfirm, topic_sortie: str | None, retained: bool) -> str | None:
        """Launch the waiting sortie, or say why this message must not (the caller counts it)."""
        with self._lock:
            window = self._windows.get(confirm.sortie)
            refusal = confirm_refusal(confirm, topic_sortie, retained, window)
            if refusal is None and window is not None:
                self._windows[confirm.sortie] = ConfirmWindow(
                    window.sortie, window.since_wall, True
                )
                self._events[confirm.sortie].set()
            return refusal


def make_gate(mode: str, *, terminal: bool | None = None) -> Gate:
    """The gate for ``--confirm MODE``; ``ask`` without a terminal is a one-line error."""
    if mode == "auto":
        return AutoGate()
    if mode == "centre":
        return CentreGate()
    if mode == "ask":
        if not (sys.stdin.isatty() if terminal is None else terminal):
            raise RunnerError(
                "--confirm ask needs a terminal to press a key in; use --confirm centre to "
                "confirm from the command centre"
            )
        return AskGate()
    raise RunnerError(f"--confirm {mode!r}: use one of {', '.join(MODES)}")
