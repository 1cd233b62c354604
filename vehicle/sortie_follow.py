"""A sortie already on its way: what the vehicle is doing now, and following it to the ground.

The patrol runner may stop (a crash, kill -9, a power cut) while a drone flies. When it starts
again it must neither arm a vehicle twice nor lose one in the air, so it first asks the vehicle
(``vehicle_status``: armed or not, its mode, on the ground or not) and, when the vehicle flies,
follows it (``follow_sortie``) without arming or changing its mode, judged by the same ``judge``
and ``Verdict`` as a sortie flown from the start. ``is_simulator`` tells SITL from a real
autopilot for ``--confirm auto``: ArduPilot's SITL has the ``SIM_SPEEDUP`` parameter and no
flight controller does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from mission.model import Mission
from mission.text import N_
from vehicle.commands import COPTER_MODES, Vehicle
from vehicle.errors import TransferError
from vehicle.gcs_heartbeat import ground_station
from vehicle.params import ParamClient, ParamTimeout
from vehicle.sortie_flight import Report, SortiePlan, Verdict, judge
from vehicle.transfer.protocol import Exchange, MessageLink, Target

__all__ = ["VehicleStatus", "vehicle_status", "is_simulator", "follow_sortie"]

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


def follow_sortie(
    link: MessageLink,
    target: Target,
    mission: Mission,
    plan: SortiePlan,
    *,
    flight_timeout_s: float = 3600.0,
    report: Report | None = None,
) -> Verdict:
    """Follow a vehicle already flying ``mission`` until landed and disarmed; judge the ending.

    Nothing is commanded: the modes a sortie itself commands (GUIDED, AUTO) count as commanded,
    so an RTL or LAND the vehicle chose on its own is reported as the failsafe it is (the
    ground-link failsafe, when the follower was away longer than FS_GCS_TIMEOUT). Ground-station
    heartbeats go out again while following, as ``fly_sortie`` sends them.
    """
    vehicle = Vehicle(link, target)
    vehicle.request_telemetry()
    commanded = {COPTER_MODES["GUIDED"], COPTER_MODES["AUTO"]}
    heartbeat, read = ground_station(link, vehicle.ex.recv_until)
    with heartbeat:
        return judge(
            vehicle.watch(flight_timeout_s, replay=read),
            mission,
            commanded=commanded,
            tolerance_m=plan.landing_tolerance_m,
            report=report,
        )
