"""The vehicle-side safety settings every sortie flies with, as one table per autopilot.

The planner's checks keep a mission inside the district, under the ceiling and within the
battery; these parameters make the vehicle itself enforce the same limits when something goes
wrong in flight: the geofence (polygon, circle, altitude) with RTL on breach, RTL at the sortie's
own altitude layer, a two-stage battery failsafe (low -> RTL, critical -> LAND) derived from the
endurance model's reserve, and RTL when the ground link is lost.

Each row names the parameter as the autopilot spells it, its MAVLink type and unit, how the
value is derived and where that comes from. Names, units and types were checked against the
ArduPilot source at commit 90700977 (Copter 4.7.0-dev, the SITL in ``/work/sitl``) and the
parameter reference https://ardupilot.org/copter/docs/parameters.html . Another autopilot is one
more table in ``AUTOPILOTS``; the protocol in ``vehicle.params`` does not change.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mission.errors import MissionError
from mission.model import District, Mission
from mission.sortie import mission_layer_m

__all__ = [
    "ParamType",
    "BatteryConfig",
    "SafetyConfig",
    "ParamRule",
    "Setting",
    "ARDUPILOT",
    "AUTOPILOTS",
    "safety_settings",
    "resting_cell_voltage",
    "fence_radius_m",
    "safety_config_for",
]


class ParamType(IntEnum):
    """MAV_PARAM_TYPE: how a value is stored on the vehicle (and, bytewise, on the wire)."""

    UINT8 = 1
    INT8 = 2
    UINT16 = 3
    INT16 = 4
    UINT32 = 5
    INT32 = 6
    UINT64 = 7
    INT64 = 8
    REAL32 = 9
    REAL64 = 10

    @property
    def is_integer(self) -> bool:
        return self not in (ParamType.REAL32, ParamType.REAL64)


# Resting LiPo cell voltage against state of charge (%), the discharge table ArduPilot's own
# battery simulator uses (libraries/SITL/SIM_Battery.cpp, soc_table); 4.173 V is full.
_SOC_TABLE = (
    (0.0, 2.977), (3.85, 3.091), (7.69, 3.165), (11.54, 3.218), (15.38, 3.296), (19.23, 3.379),
    (23.08, 3.462), (26.92, 3.503), (30.77, 3.543), (34.62, 3.588), (38.46, 3.636),
    (42.31, 3.679), (46.15, 3.715), (50.0, 3.742), (53.85, 3.783), (57.69, 3.801),
    (61.54, 3.833), (65.38, 3.854), (69.23, 3.887), (73.08, 3.908), (76.92, 3.943),
    (80.77, 3.987), (84.62, 4.039), (88.46, 4.071), (92.31, 4.085), (96.15, 4.112),
    (100.0, 4.173),
)  # fmt: skip


def resting_cell_voltage(charge_fraction: float) -> float:
    """Resting voltage of one LiPo cell with ``charge_fraction`` (0..1) of its charge left."""
    pct = min(max(charge_fraction, 0.0), 1.0) * 100.0
    for (p0, v0), (p1, v1) in zip(_SOC_TABLE, _SOC_TABLE[1:], strict=False):
        if pct <= p1:
            return v0 + (v1 - v0) * (pct - p0) / (p1 - p0)
    return _SOC_TABLE[-1][1]


class BatteryConfig(BaseModel):
    """The flight pack. Defaults are ArduPilot SITL's: 3S (SIM_BATT_VOLTAGE 12.6 V), 3300 mAh."""

    model_config = ConfigDict(frozen=True)

    cells: int = Field(3, ge=1, le=14)
    capacity_mah: float = Field(3300.0, gt=0)


class SafetyConfig(BaseModel):
    """What one sortie's safety parameters are derived from."""

    model_config = ConfigDict(frozen=True)

    ceiling_m: float = Field(120.0, gt=0, description="altitude ceiling above the launch site")
    rtl_alt_m: float = Field(60.0, gt=0, description="the sortie's altitude layer")
    fence_radius_m: float = Field(3000.0, ge=30, le=10000, description="circle round home")
    gcs_timeout_s: float = Field(5.0, ge=2, le=120, description="ground link loss -> RTL")
    reserve: float = Field(0.20, gt=0, lt=1, description="FlightModel.reserve")
    battery: BatteryConfig = BatteryConfig()
    sysid: int | None = Field(None, ge=1, le=255, description="expected MAVLink system id")


@dataclass(frozen=True)
class ParamRule:
    """One row of an autopilot's table: name, type, unit, how the value is derived, and why.

    ``verify_only`` rows are read and compared, never written: the system id (writing it would
    move the vehicle to another address mid-session) and the pack capacity (a property of the
    airframe; thresholds derived from another pack would be wrong). ``aliases`` are older
    firmware's names.
    """

    name: str
    type: ParamType
    unit: str
    value: Callable[[SafetyConfig], float | None]
    reason: str
    source: str
    verify_only: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Setting:
    """A parameter value wanted on one vehicle, with the rule it came from."""

    name: str
    value: float
    type: ParamType
    unit: str
    reason: str
    verify_only: bool = False
    aliases: tuple[str, ...] = ()


_AP = "ArduPilot 90700977 "
_FENCE = _AP + "libraries/AC_Fence/AC_Fence.cpp"
_BATT = _AP + "libraries/AP_BattMonitor/AP_BattMonitor_Params.cpp"
_COPTER = _AP + "ArduCopter/Parameters.cpp"

ARDUPILOT: tuple[ParamRule, ...] = (
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
              lambda c: round(c.battery.cells * resting_cell_voltage(c.reserve / 2.0), 2),
              "resting voltage at half the reserve",
              _BATT + " @Param CRT_VOLT (V); LiPo curve: libraries/SITL/SIM_Battery.cpp"),
    ParamRule("BATT_CRT_MAH", ParamType.REAL32, "mAh",
              lambda c: round(c.battery.capacity_mah * c.reserve / 2.0),
              "capacity left at half the reserve", _BATT + " @Param CRT_MAH (mAh)"),
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

AUTOPILOTS: dict[str, tuple[ParamRule, ...]] = {"ardupilot": ARDUPILOT}


def safety_settings(config: SafetyConfig, autopilot: str = "ardupilot") -> list[Setting]:
    """The parameter values one sortie needs on ``autopilot``; rows without a value are left out."""
    try:
        table = AUTOPILOTS[autopilot]
    except KeyError:
        known = ", ".join(sorted(AUTOPILOTS))
        raise MissionError(
            f"no safety parameter table for autopilot {autopilot!r}; use {known}"
        ) from None
    out = []
    for rule in table:
        value = rule.value(config)
        if value is None:
            continue
        value = float(value)
        if rule.type.is_integer and not math.isclose(value, round(value)):
            raise ValueError(f"{rule.name} is an integer parameter but derives to {value}")
        out.append(Setting(rule.name, value, rule.type, rule.unit, rule.reason,
                           rule.verify_only, rule.aliases))  # fmt: skip
    return out


def fence_radius_m(district: District, launch_xy: tuple[float, float], slack_m: float = 50.0):
    """FENCE_RADIUS for a launch site: the circle must hold the whole district, so the polygon
    fence is the one that bites and the circle only backs it up (ArduPilot centres it on home)."""
    xy = np.asarray(district.boundary.exterior.coords)
    far = float(np.max(np.hypot(xy[:, 0] - launch_xy[0], xy[:, 1] - launch_xy[1])))
    return float(min(max(math.ceil(far + slack_m), 30), 10000))


def safety_config_for(
    mission: Mission,
    district: District,
    *,
    ceiling_m: float = 120.0,
    reserve: float = 0.20,
    gcs_timeout_s: float = 5.0,
    battery: BatteryConfig | None = None,
    sysid: int | None = None,
) -> SafetyConfig:
    """The safety parameters of one sortie: RTL at its own layer, the fence circle round its
    launch site (its home) holding the whole district, the ceiling and the endurance reserve."""
    home = mission.home
    if home is None or not (home.lat or home.lon):
        raise MissionError("the mission has no home (launch site); plan it with gridpatrol plan")
    x, y = district.frame.to_metric(home.lon, home.lat)
    return SafetyConfig(
        ceiling_m=ceiling_m,
        rtl_alt_m=mission_layer_m(mission),
        fence_radius_m=fence_radius_m(district, (float(x), float(y))),
        gcs_timeout_s=gcs_timeout_s,
        reserve=reserve,
        battery=battery or BatteryConfig(),
        sysid=sysid,
    )
