"""Restarting the autopilot on the ground when a safety parameter takes effect only at boot.

ArduPilot starts its path planner (``OA_TYPE``) only when it boots, and refuses to arm until then
("Dijkstra OA requires reboot"). So an upload that has just changed such a parameter restarts the
vehicle before anything else, rather than leave a sortie that cannot arm.

A vehicle that merely goes quiet for a few seconds looks like one that restarted. The boot counter
(``STAT_BOOTCNT``, which ArduPilot raises at every boot) tells them apart: the restart is done when
the counter read back is higher than before. Then the vehicle is waited for until it is as ready
as it was before (``Readiness``): a home again once GPS has a fix, and its pre-arm checks passing
again once the EKF has settled, so what follows finds it as it would have without the restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from mission.text import N_
from vehicle.commands import Vehicle, prearm_passed
from vehicle.errors import TransferError
from vehicle.params import ParamClient, ParamTimeout
from vehicle.transfer.protocol import MessageLink, Target

__all__ = ["BOOT_COUNTER", "Readiness", "RestartError", "readiness", "restart"]

BOOT_COUNTER = "STAT_BOOTCNT"
_HOME_POSITION = 242
_SYS_STATUS = 1


class RestartError(TransferError):
    """The vehicle did not come back from a restart; it must not fly until it has."""


@dataclass(frozen=True)
class Readiness:
    """What a restart must give back: a home, and pre-arm checks that pass."""

    home: bool
    prearm: bool

    def within(self, other: Readiness) -> bool:
        """Everything this one has, ``other`` has too."""
        return (other.home or not self.home) and (other.prearm or not self.prearm)


def readiness(vehicle: Vehicle) -> Readiness:
    """Ask the vehicle for its home and its SYS_STATUS; an unanswered question counts as no."""
    home = vehicle.request_message(_HOME_POSITION) is not None
    status = vehicle.request_message(_SYS_STATUS)
    return Readiness(home, status is not None and bool(prearm_passed(status)))


def restart(
    link: MessageLink,
    target: Target,
    *,
    why: str,
    back_to: Readiness = Readiness(False, False),
    timeout_s: float = 120.0,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Reboot the autopilot (refused by ArduPilot while armed), wait until its boot counter rises
    and it is again as ready as ``back_to``; returns the new count. ``why`` names what needs it."""
    client = ParamClient(link, target, clock=clock)
    vehicle = Vehicle(link, target, clock=clock)
    before = client.read(BOOT_COUNTER).value
    vehicle.reboot()
    deadline = clock() + timeout_s
    count = before
    while clock() < deadline and count <= before:
        try:
            count = client.read(BOOT_COUNTER).value
        except ParamTimeout:
            continue  # still booting
    while count > before and clock() < deadline:
        if back_to.within(readiness(vehicle)):
            return int(count)
        time.sleep(0.2)
    raise RestartError(
        N_(
            "the vehicle did not come back ready within {timeout_s:g} s of the restart that "
            "{why} needs; check it, then upload again",
            timeout_s=timeout_s,
            why=why,
        )
    )
