"""Safety limits and planning defaults, defined once for the planner, the vehicle and the CLI.

The district's rules (120 m above ground, a battery reserve, clearance from no-fly zones) and the
copter's default speeds are policy, not code: every check, every safety parameter and every
command-line default reads them from here, so changing one changes it everywhere.
"""

from __future__ import annotations

__all__ = [
    "CEILING_M",
    "NO_FLY_MARGIN_M",
    "PATROL_ALT_M",
    "RESERVE",
    "CRITICAL_SHARE",
    "ENDURANCE_MIN",
    "CRUISE_MPS",
    "CLIMB_MPS",
    "DESCENT_MPS",
    "SWAP_MIN",
    "LAYER_SPACING_M",
    "LAYER_MARGIN_M",
    "GCS_TIMEOUT_S",
    "ITEM_LIMIT",
    "reserve_fraction",
]

CEILING_M = 120.0  # altitude ceiling above the launch site (ground)
NO_FLY_MARGIN_M = 15.0  # clearance kept from no-fly zones
MAX_CEILING_M = 1000.0  # a ceiling above this is not an altitude limit but a typo
MAX_MARGIN_M = 10_000.0
PATROL_ALT_M = 60.0  # planned cruise altitude above the launch site
RESERVE = 0.25  # share of the battery endurance never planned into a sortie (see CRITICAL_SHARE)
# Share of the reserve still left when the critical battery failsafe lands the copter where it is
# (BATT_CRT_MAH); the low one (BATT_LOW_MAH, the whole reserve) sends it home, so a failsafe
# return must reach its rally point on the other part of the reserve.
CRITICAL_SHARE = 0.5
ENDURANCE_MIN = 25.0
CRUISE_MPS = 10.0
CLIMB_MPS = 2.5
DESCENT_MPS = 1.5
SWAP_MIN = 5.0  # battery swap between sorties of one drone
LAYER_SPACING_M = 10.0  # between altitude layers of concurrent sorties
LAYER_MARGIN_M = 5.0  # top layer kept under the ceiling (ArduPilot's FENCE_MARGIN bites there)
GCS_TIMEOUT_S = 5.0  # ground link silent this long -> RTL
ITEM_LIMIT = 700  # mission items a vehicle holds when it does not say (ArduCopter SD card)


def reserve_fraction(value: float) -> float:
    """A battery reserve as a fraction: 0.2 stays 0.2, and 20 (percent) becomes 0.2. Values
    outside both readings are returned unchanged for the caller's range check to refuse."""
    return value / 100.0 if 1.0 <= value < 100.0 else value
