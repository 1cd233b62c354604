"""The vehicle-side safety settings every sortie flies with, as one table per autopilot.

The planner's checks keep a mission inside the district, under the ceiling and within the
battery; these parameters make the vehicle itself enforce the same limits when something goes
wrong in flight: the geofence (polygon, circle, altitude) with RTL on breach, RTL at the sortie's
own altitude layer, a two-stage battery failsafe (low -> RTL, critical -> LAND) derived from the
endurance model's reserve, and RTL when the ground link is lost.

Each row names the parameter as the autopilot spells it, its MAVLink type and unit, how the
value is derived and where that comes from; each autopilot keeps its own table in its description
(``vehicle.autopilots``). Another autopilot is one more description there; neither this
derivation nor the protocol in ``vehicle.params`` changes.
"""

from __future__ import annotations

import math

import numpy as np

from mission.errors import MissionError
from mission.limits import CEILING_M, GCS_TIMEOUT_S, RESERVE
from mission.model import District, Mission
from mission.sortie import mission_layer_m
from mission.text import N_
from vehicle.autopilots.registry import KNOWN, autopilot_named
from vehicle.safety_model import (
    BatteryConfig,
    ParamRule,
    ParamType,
    SafetyConfig,
    Setting,
    resting_cell_voltage,
)

__all__ = [
    "ParamType",
    "BatteryConfig",
    "SafetyConfig",
    "ParamRule",
    "Setting",
    "safety_settings",
    "resting_cell_voltage",
    "fence_radius_m",
    "safety_config_for",
    "boot_time_params",
]


def safety_settings(config: SafetyConfig, autopilot: str = "ardupilot") -> list[Setting]:
    """The parameter values one sortie needs on ``autopilot``; rows without a value are left out."""
    table = autopilot_named(autopilot).safety_rules
    if not table:
        known = ", ".join(sorted(name for name, a in KNOWN.items() if a.safety_rules))
        raise MissionError(
            N_(
                "no safety parameter table for autopilot {autopilot}; use {known}",
                autopilot=repr(autopilot),
                known=known,
            )
        )
    out = []
    for rule in table:
        value = rule.value(config)
        if value is None:
            continue
        value = float(value)
        if rule.type.is_integer and not math.isclose(value, round(value)):
            raise ValueError(f"{rule.name} is an integer parameter but derives to {value}")
        out.append(Setting(rule.name, value, rule.type, rule.unit, rule.reason,
                           rule.verify_only, rule.aliases, rule.reboot))  # fmt: skip
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
    ceiling_m: float = CEILING_M,
    reserve: float = RESERVE,
    gcs_timeout_s: float = GCS_TIMEOUT_S,
    battery: BatteryConfig | None = None,
    sysid: int | None = None,
) -> SafetyConfig:
    """The safety parameters of one sortie: RTL at its own layer, the fence circle holding the
    whole district, the ceiling and the endurance reserve.

    ArduPilot centres the circle on the vehicle's home, the site where it armed, which is not
    always the mission's home item: a sortie diverted in the air starts where the drone held. So
    the radius holds the district round the mission's home and round every launch site."""
    home = mission.home
    if home is None or not (home.lat or home.lon):
        raise MissionError(
            N_("the mission has no home (launch site); plan it with gridpatrol plan")
        )
    x, y = district.frame.to_metric(home.lon, home.lat)
    centres = [(float(x), float(y)), *((s.position.x, s.position.y) for s in district.launch_sites)]
    return SafetyConfig(
        ceiling_m=ceiling_m,
        rtl_alt_m=mission_layer_m(mission),
        fence_radius_m=max(fence_radius_m(district, c) for c in centres),
        gcs_timeout_s=gcs_timeout_s,
        reserve=reserve,
        battery=battery or BatteryConfig(),
        sysid=sysid,
    )


def boot_time_params(autopilot: str = "ardupilot") -> dict[str, float]:
    """The safety table's boot-time parameters (``OA_TYPE``) with their values: what a vehicle
    in service holds since its first upload restarted it. They do not depend on the sortie."""
    return {s.name: s.value for s in safety_settings(SafetyConfig(), autopilot) if s.reboot}
