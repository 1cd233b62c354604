"""What a vehicle is doing now, asked before a sortie is resumed, and whether it is a simulator.

The patrol runner may stop (a crash, kill -9, a power cut) while a drone flies. When it starts
again it must neither arm a vehicle twice nor lose one in the air, so it first asks the vehicle
(``vehicle_status``: armed or not, its mode, on the ground or not) and, when the vehicle flies,
follows it (``sortie_flight.follow_sortie``) without arming or changing its mode, judged by the
same ``judge`` and ``Verdict`` as a sortie flown from the start. ``is_simulator`` tells SITL
from a real autopilot for ``--confirm auto``: ArduPilot's SITL has the ``SIM_SPEEDUP``
parameter and no flight controller does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from mission.text import N_
from vehicle.commands import Vehicle
from vehicle.errors import TransferError
from vehicle.params import ParamClient, ParamTimeout
from vehicle.transfer.protocol import Exchange, MessageLink, Target

__all__ = ["VehicleStatus", "vehicle_status", "is_simulator"]

_ARMED = 0x80  # MAV_MODE_FLAG_SAFETY_ARMED
_ON_GROUND = 1  # MAV_LANDED_STATE_ON_GROUND
_SIM_PARAM = "SIM_SPEEDUP"


@dataclass(frozen=True)
class VehicleStatus:
    """The vehicle's own word: armed, its custom mode, and whether it says it is on the ground.

    ``on_ground`` is None when the vehicle sent no EXTENDED_SYS_STATE in the wait.
    """

    armed: bool
    mode: int
    on_ground: bool | None


def vehicle_status(
    link: MessageLink,
    target: Target,
    timeout_s: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
) -> VehicleStatus:
    """The next HEARTBEAT (and a landed state if one comes within a second of it)."""
    Vehicle(link, target, clock=clock).request_telemetry()
    ex = Exchange(link, target, clock=clock)
    deadline = clock() + timeout_s
    beat = None
    on_ground: bool | None = None
    while (msg := ex.recv_until(deadline)) is not None:
        kind = msg.get_type()
        if kind == "EXTENDED_SYS_STATE":
            on_ground = msg.landed_state == _ON_GROUND
        elif kind == "HEARTBEAT" and msg.get_srcComponent() == target.component:
            beat = msg
            deadline = min(deadline, clock() + 1.0)
        if beat is not None and on_ground is not None:
            break
    if beat is None:
        raise TransferError(
            N_(
                "no HEARTBEAT from vehicle {system} within {timeout_s:g} s; check the link",
                system=target.system,
                timeout_s=timeout_s,
            )
        )
    return VehicleStatus(bool(beat.base_mode & _ARMED), int(beat.custom_mode), on_ground)


def is_simulator(link: MessageLink, target: Target, timeout_s: float = 1.0) -> bool:
    """Whether the vehicle is ArduPilot SITL: it answers BATT_CAPACITY and also SIM_SPEEDUP.

    The first read proves the vehicle answers parameter reads at all, so a lost link is an
    error, never "a real autopilot" (or worse, "a simulator").
    """
    client = ParamClient(link, target, timeout_s=timeout_s, retries=2)
    client.read("BATT_CAPACITY")
    try:
        client.read(_SIM_PARAM)
    except ParamTimeout:
        return False
    return True
