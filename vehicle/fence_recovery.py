"""Bringing a breached vehicle back inside its fence when its own path planner cannot.

Every sortie flies with ArduPilot's Dijkstra path planner (``OA_TYPE`` 2), so a return to launch
goes round the no-fly zones instead of through them. But the planner only plans from inside the
fence: a vehicle that has breached it (drifted out of the district, or into a no-fly zone) gets no
path, and in RTL it holds where it is instead of coming back (ArduPilot issue 31399; the fix, pull
request 34200, is not in ArduPilot 4.7 as tested). Measured in SITL: pushed out of the district,
the copter switched to RTL and hovered outside until the test gave up; with ``OA_TYPE`` 0 it
flew straight back in and landed.

So while the ground station hears the vehicle, it turns the planner off for the breach, which
makes the RTL fly straight back in as ArduPilot always did, and on again as soon as the breach
has cleared, so the rest of the return goes round the zones. ArduPilot reads ``OA_TYPE`` on every
planning step once the planner was started at boot, so both take effect at once. A vehicle that
breaches while it hears no ground station stays where it is until its battery failsafe lands it;
that gap is ArduPilot's to close.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from mission.text import N_
from vehicle.autopilots.ardupilot import OA_DIJKSTRA, OA_TYPE
from vehicle.commands import FlightEvent, Vehicle
from vehicle.errors import TransferError
from vehicle.params import ParamClient, ParamType

__all__ = ["recover_breaches"]

_OFF = 0


def recover_breaches(
    vehicle: Vehicle,
    events: Iterable[FlightEvent],
    *,
    params: Callable[[Vehicle], ParamClient] = lambda v: ParamClient(v.link, v.target),
) -> Iterator[FlightEvent]:
    """``events`` passed on, with the planner turned off during each fence breach and on again
    after it. Each switch, and each the vehicle did not confirm, is said as a "ground" event (what
    the ground station did, not what the vehicle said), so the operator sees what was done."""
    off = False
    for event in events:
        yield event
        if event.kind != "fence" or (event.text == "breached") == off:
            continue
        value = _OFF if event.text == "breached" else OA_DIJKSTRA
        try:
            params(vehicle).set(OA_TYPE, value, ParamType.INT8)
        except TransferError as exc:
            yield FlightEvent(
                "ground",
                text=N_("could not set {name} {value}: {exc}", name=OA_TYPE, value=value, exc=exc),
            )
            continue
        off = value == _OFF
        yield FlightEvent(
            "ground",
            text=N_("fence breached: path planner off, so the return flies straight back in")
            if off
            else N_("back inside the fence: path planner on again"),
        )
