"""Who sent a HEARTBEAT: a vehicle we fly and watch, a ground station, or some other component.

Every part that listens to a link asks the same question (the operator's ``fly`` looking for its
target, the bridge deciding whom to ask for telemetry, the normaliser deciding whom to publish),
so the rule lives here once. A vehicle is a component with a real autopilot whose MAV_TYPE is not
a ground station, an onboard computer, a gimbal or an ADS-B receiver.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAV_TYPE_GCS", "MAV_AUTOPILOT_INVALID", "is_vehicle", "is_ground_station"]

MAV_TYPE_GCS = 6
MAV_AUTOPILOT_INVALID = 8  # ground stations, gimbals, companion computers, ...
_NOT_VEHICLES = frozenset({MAV_TYPE_GCS, 18, 26, 27})  # GCS, onboard controller, gimbal, ADS-B


def is_vehicle(msg: Any) -> bool:
    """True for a HEARTBEAT from an autopilot that flies (not a GCS, gimbal, companion, ...)."""
    return (
        msg.get_type() == "HEARTBEAT"
        and msg.autopilot != MAV_AUTOPILOT_INVALID
        and msg.type not in _NOT_VEHICLES
    )


def is_ground_station(msg: Any) -> bool:
    """True for a HEARTBEAT from a ground control station (its traffic is not a vehicle's)."""
    return msg.get_type() == "HEARTBEAT" and msg.type == MAV_TYPE_GCS
