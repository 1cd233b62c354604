"""What a sortie's vehicle-side safety settings are made of: parameter types, the pack, the config.

These are the data shared by the derivation (``vehicle.safety_params``), by each autopilot's
table of parameter rules (``vehicle.autopilots``) and by the parameter protocol
(``vehicle.params``); keeping them here lets each autopilot describe itself without importing
the code that uses the description.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from pydantic import BaseModel, ConfigDict, Field

from mission.limits import CEILING_M, GCS_TIMEOUT_S, NO_FLY_MARGIN_M, RESERVE

GCS_TIMEOUT_RANGE_S = (2.0, 120.0)  # ArduCopter's FS_GCS_TIMEOUT range
MAX_CELLS = 14  # the most cells in series a BATT_ pack describes here

__all__ = [
    "ParamType",
    "BatteryConfig",
    "SafetyConfig",
    "ParamRule",
    "Setting",
    "resting_cell_voltage",
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

    cells: int = Field(3, ge=1, le=MAX_CELLS)
    capacity_mah: float = Field(3300.0, gt=0)


class SafetyConfig(BaseModel):
    """What one sortie's safety parameters are derived from."""

    model_config = ConfigDict(frozen=True)

    ceiling_m: float = Field(CEILING_M, gt=0, description="altitude ceiling above the launch site")
    rtl_alt_m: float = Field(60.0, gt=0, description="the sortie's altitude layer")
    fence_radius_m: float = Field(3000.0, ge=30, le=10000, description="circle round home")
    gcs_timeout_s: float = Field(
        GCS_TIMEOUT_S, ge=GCS_TIMEOUT_RANGE_S[0], le=GCS_TIMEOUT_RANGE_S[1],
        description="ground link loss -> RTL",
    )  # fmt: skip
    reserve: float = Field(RESERVE, gt=0, lt=1, description="FlightModel.reserve")
    battery: BatteryConfig = BatteryConfig()
    sysid: int | None = Field(None, ge=1, le=255, description="expected MAVLink system id")
    no_fly_margin_m: float = Field(
        NO_FLY_MARGIN_M,
        ge=0.1,
        le=100,
        description="clearance a failsafe return keeps from no-fly zones",
    )


@dataclass(frozen=True)
class ParamRule:
    """One row of an autopilot's table: name, type, unit, how the value is derived, and why.

    ``verify_only`` rows are read and compared, never written: the system id (writing it would
    move the vehicle to another address mid-session) and the pack capacity (a property of the
    airframe; thresholds derived from another pack would be wrong). ``aliases`` are older
    firmware's names. ``reboot`` rows take effect only when the autopilot next boots: a write
    that changes one is followed by a restart before the sortie may fly.
    """

    name: str
    type: ParamType
    unit: str
    value: Callable[[SafetyConfig], float | None]
    reason: str
    source: str
    verify_only: bool = False
    aliases: tuple[str, ...] = ()
    reboot: bool = False


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
    reboot: bool = False
