"""ArduPilot (ArduCopter), described once: modes, parameter encoding, stored items, safety table.

How ArduCopter stores mission items, so a read-back can be compared with what was sent:
ArduPilot packs each item into a 15-byte command (AP_Mission): parameters a command does not use
are dropped and read back as 0, direction-only parameters come back as -1/+1, commands without a
position come back in frame 0 at 0,0,0, and altitudes are whole centimetres. Those differences
keep the item's meaning, so ``stored_form`` applies them to what we send before comparing. It
deliberately does not round values the vehicle would truncate (a 2.5 s delay stored as 2 s, a
37.5 m orbit radius stored as 37 m): those change the mission and must fail verification.
Commands not listed here are compared exactly as sent.

The safety table names each parameter as ArduPilot spells it, its MAVLink type and unit, how the
value is derived from the sortie and where that comes from. Names, units and types were checked
against the ArduPilot source at commit 90700977 (Copter 4.7.0-dev) and the parameter reference
https://ardupilot.org/copter/docs/parameters.html .
"""

from __future__ import annotations

import math
from dataclasses import replace

from mission.limits import CRITICAL_SHARE
from vehicle.autopilots.base import Autopilot, Encoding
from vehicle.safety_model import ParamRule, ParamType, resting_cell_voltage
from vehicle.transfer.items import WireItem, f32
from vehicle.transfer.protocol import MissionType

__all__ = ["ArduPilot", "COPTER_MODES", "OA_DIJKSTRA", "OA_TYPE", "SAFETY_RULES", "stored_form"]

OA_TYPE = "OA_TYPE"  # the path planner's parameter: the upload sets it, a fence breach clears it
OA_DIJKSTRA = 2  # its value for Dijkstra's path planning round the fence polygons

COPTER_MODES = {"STABILIZE": 0, "AUTO": 3, "GUIDED": 4, "LOITER": 5, "RTL": 6, "LAND": 9,
                "BRAKE": 17, "SMART_RTL": 21}  # fmt: skip

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


_AP = "ArduPilot 90700977 "
_FENCE = _AP + "libraries/AC_Fence/AC_Fence.cpp"
_BATT = _AP + "libraries/AP_BattMonitor/AP_BattMonitor_Params.cpp"
_COPTER = _AP + "ArduCopter/Parameters.cpp"
_OA = _AP + "libraries/AC_Avoidance/AP_OAPathPlanner.cpp"

SAFETY_RULES: tuple[ParamRule, ...] = (
    ParamRule("FENCE_ENABLE", ParamType.INT8, "", lambda c: 1,
              "geofence on", _FENCE + " @Param ENABLE (0 Disabled, 1 Enabled)"),
    ParamRule("FENCE_TYPE", ParamType.INT8, "bitmask", lambda c: 1 | 2 | 4,
              "max altitude + circle + inclusion/exclusion polygons",
              _FENCE + " @Param TYPE (bit0 max alt, bit1 circle, bit2 polygons)"),
    ParamRule("FENCE_ACTION", ParamType.INT8, "", lambda c: 1,
              "breach -> RTL (Land if RTL impossible)", _FENCE + " @Param ACTION (1 RTL or Land)"),
    ParamRule("FENCE_ALT_MAX", ParamType.REAL32, "m", lambda c: c.ceiling_m,
              "the altitude ceiling", _FENCE + " @Param ALT_MAX (m, 10..1000)"),
    ParamRule("FENCE_RADIUS", ParamType.REAL32, "m", lambda c: c.fence_radius_m,
              "circle round home that contains the whole district",
              _FENCE + " @Param RADIUS (m, 30..10000)"),
    ParamRule("RTL_ALT", ParamType.INT32, "cm", lambda c: round(c.rtl_alt_m * 100.0),
              "RTL at the sortie's own altitude layer (centimetres!)",
              _COPTER + " @Param RTL_ALT (cm, AP_Int32, default 1500)"),
    ParamRule("RTL_ALT_FINAL", ParamType.INT16, "cm", lambda c: 0,
              "land at the launch site after RTL", _COPTER + " @Param RTL_ALT_FINAL (0 = land)"),
    ParamRule(OA_TYPE, ParamType.INT8, "", lambda c: OA_DIJKSTRA,
              "every return (failsafe RTL included) path-plans round the fence's no-fly "
              "polygons instead of flying straight through them; starts only at boot",
              _OA + " @Param TYPE (2 Dijkstra); init() runs at boot, pre_arm_check 'Dijkstra OA "
              "requires reboot'; AC_WPNav_OA (RTL's return uses it)", reboot=True),
    ParamRule("OA_MARGIN_MAX", ParamType.REAL32, "m", lambda c: c.no_fly_margin_m,
              "that path keeps the planner's clearance from no-fly zones",
              _OA + " @Param MARGIN_MAX (m, 0.1..100; Dijkstra's fence margin)"),
    ParamRule("RALLY_LIMIT_KM", ParamType.REAL32, "km", lambda c: 0.0,
              "always return to the rally point (the sortie's launch site)",
              _AP + "libraries/AP_Rally/AP_Rally.cpp @Param LIMIT_KM (0 = closest always used)"),
    ParamRule("BATT_CAPACITY", ParamType.INT32, "mAh", lambda c: c.battery.capacity_mah,
              "the pack the mAh thresholds below were derived from",
              _BATT + " @Param CAPACITY (mAh, AP_Int32)", verify_only=True),
    ParamRule("BATT_FS_VOLTSRC", ParamType.INT8, "", lambda c: 0,
              "raw voltage: under load it sits below the resting curve, so the failsafe comes "
              "early, never late; the sag estimator can mistake a real drop for sag",
              _BATT + " @Param FS_VOLTSRC (0 Raw Voltage); AP_BattMonitor_Backend.cpp "
              "update_resistance_estimate"),
    ParamRule("BATT_LOW_VOLT", ParamType.REAL32, "V",
              lambda c: round(c.battery.cells * resting_cell_voltage(c.reserve), 2),
              "resting voltage at the endurance reserve (FlightModel.reserve)",
              _BATT + " @Param LOW_VOLT (V); LiPo curve: libraries/SITL/SIM_Battery.cpp"),
    ParamRule("BATT_LOW_MAH", ParamType.REAL32, "mAh",
              lambda c: round(c.battery.capacity_mah * c.reserve),
              "capacity left at the endurance reserve", _BATT + " @Param LOW_MAH (mAh)"),
    ParamRule("BATT_LOW_TIMER", ParamType.INT8, "s", lambda c: 10,
              "low voltage must last this long (ArduPilot default)",
              _BATT + " @Param LOW_TIMER (s, default 10)"),
    ParamRule("BATT_FS_LOW_ACT", ParamType.INT8, "", lambda c: 2,
              "low battery -> RTL", _BATT + " @Param FS_LOW_ACT (Copter 2 RTL)"),
    ParamRule("BATT_CRT_VOLT", ParamType.REAL32, "V",
              lambda c: round(c.battery.cells * resting_cell_voltage(c.reserve * CRITICAL_SHARE), 2),
              "resting voltage at the reserve's critical share (half)",
              _BATT + " @Param CRT_VOLT (V); LiPo curve: libraries/SITL/SIM_Battery.cpp"),
    ParamRule("BATT_CRT_MAH", ParamType.REAL32, "mAh",
              lambda c: round(c.battery.capacity_mah * c.reserve * CRITICAL_SHARE),
              "capacity left at the reserve's critical share (half)", _BATT + " @Param CRT_MAH (mAh)"),
    ParamRule("BATT_FS_CRT_ACT", ParamType.INT8, "", lambda c: 1,
              "critical battery -> LAND where it is", _BATT + " @Param FS_CRT_ACT (Copter 1 Land)"),
    ParamRule("FS_GCS_ENABLE", ParamType.INT8, "", lambda c: 1,
              "ground link lost -> RTL", _COPTER + " @Param FS_GCS_ENABLE (1 RTL)"),
    ParamRule("FS_GCS_TIMEOUT", ParamType.REAL32, "s", lambda c: c.gcs_timeout_s,
              "how long without GCS heartbeats before RTL",
              _COPTER + " @Param FS_GCS_TIMEOUT (s, 2..120, default 5)"),
    ParamRule("MAV_SYSID", ParamType.INT16, "", lambda c: c.sysid,
              "the vehicle answering is the drone the sortie was planned for",
              _AP + "libraries/GCS_MAVLink/GCS.cpp @Param _SYSID (4.7 rename of SYSID_THISMAV)",
              verify_only=True, aliases=("SYSID_THISMAV",)),
)  # fmt: skip


class ArduPilot(Autopilot):
    """ArduPilot firmware (MAV_AUTOPILOT_ARDUPILOTMEGA); the modes are ArduCopter's."""

    name = "ardupilot"
    mav_autopilot = 3
    modes = COPTER_MODES
    param_encoding = Encoding.CAST
    safety_rules = SAFETY_RULES

    def stored_form(self, mission_type: MissionType, item: WireItem) -> WireItem:
        return stored_form(mission_type, item)
