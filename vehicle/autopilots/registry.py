"""Pick an autopilot description by name or by HEARTBEAT, falling back to ``unknown``."""

from __future__ import annotations

from vehicle.autopilots.ardupilot import ArduPilot
from vehicle.autopilots.base import Autopilot
from vehicle.autopilots.unknown import Unknown

__all__ = ["KNOWN", "autopilot_named", "autopilot_of_heartbeat"]

KNOWN: dict[str, Autopilot] = {a.name: a for a in (ArduPilot(),)}
_UNKNOWN = Unknown()


def autopilot_named(name: str) -> Autopilot:
    """The description called ``name`` (case-insensitive), or the unknown one."""
    return KNOWN.get(name.strip().lower(), _UNKNOWN)


def autopilot_of_heartbeat(mav_autopilot: int) -> Autopilot:
    """The description for a HEARTBEAT's MAV_AUTOPILOT number, or the unknown one."""
    for autopilot in KNOWN.values():
        if autopilot.mav_autopilot == mav_autopilot:
            return autopilot
    return _UNKNOWN
