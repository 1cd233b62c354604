"""How ArduCopter stores mission items, so a read-back can be compared with what was sent.

ArduPilot packs each item into a 15-byte command (AP_Mission): parameters a command does not use
are dropped and read back as 0, direction-only parameters come back as -1/+1, commands without a
position come back in frame 0 at 0,0,0, and altitudes are whole centimetres. Those differences
keep the item's meaning, so ``stored_form`` applies them to what we send before comparing. It
deliberately does not round values the vehicle would truncate (a 2.5 s delay stored as 2 s, a
37.5 m orbit radius stored as 37 m): those change the mission and must fail verification.
Commands not listed here are compared exactly as sent.
"""

from __future__ import annotations

import math
from dataclasses import replace

from vehicle.transfer.items import WireItem, f32
from vehicle.transfer.protocol import MissionType

__all__ = ["stored_form"]

_KEPT = {  # parameters ArduCopter keeps per command (1-based); the rest read back as 0
    16: (1,),  # NAV_WAYPOINT: hold time
    17: (3,),  # NAV_LOITER_UNLIM: radius (signed)
    18: (1, 3, 4),  # NAV_LOITER_TURNS: turns, radius, xtrack
    19: (1, 3, 4),  # NAV_LOITER_TIME: time, direction, xtrack
    20: (),  # NAV_RETURN_TO_LAUNCH
    21: (1, 4),  # NAV_LAND: abort alt, yaw direction
    22: (1,),  # NAV_TAKEOFF: pitch (plane)
    82: (1,),  # NAV_SPLINE_WAYPOINT: hold time
    115: (1, 2, 3, 4),  # CONDITION_YAW
    177: (1, 2),  # DO_JUMP: target, repeat
    178: (1, 2, 3),  # DO_CHANGE_SPEED: type, speed, throttle
    206: (1, 3),  # DO_SET_CAM_TRIGG_DIST: distance, trigger now
}
_SIGN_ONLY = {(19, 3), (21, 4)}  # reported as -1 or +1
_FLAG = {(18, 4), (19, 4)}  # xtrack: reported as 0 or 1
_POSITIONED = {16, 17, 18, 19, 20, 21, 22, 82}


def _param(command: int, index: int, value: float) -> float:
    if index not in _KEPT[command]:
        return 0.0
    if (command, index) in _SIGN_ONLY:
        return -1.0 if value < 0 else 1.0
    if (command, index) in _FLAG:
        return 1.0 if value > 0 else 0.0
    return value


def stored_form(mission_type: MissionType, item: WireItem) -> WireItem:
    """``item`` as ArduCopter will report it back; unknown commands are returned unchanged."""
    if mission_type is not MissionType.MISSION:
        return replace(item, autocontinue=0)  # fence and rally items do not continue anywhere
    if item.command not in _KEPT:
        return item
    params = {f"param{i}": _param(item.command, i, getattr(item, f"param{i}")) for i in range(1, 5)}
    if item.command not in _POSITIONED:
        return replace(item, frame=0, x=0, y=0, z=0.0, **params)
    z_cm = math.trunc(f32(item.z) * 100) if math.isfinite(item.z) else 0
    return replace(item, z=z_cm * 0.01, **params)
