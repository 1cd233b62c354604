"""How long a multicopter takes to fly a mission, and how much of its battery it may use.

Deliberately simple and conservative: straight legs at cruise speed, vertical legs at climb or
descent speed, a fixed cost per corner, orbits at their circumference. The planner splits sorties
and the checker refuses missions with the same numbers, so both agree on what "fits" means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mission.limits import (
    CLIMB_MPS,
    CRUISE_MPS,
    DESCENT_MPS,
    ENDURANCE_MIN,
    RESERVE,
    SWAP_MIN,
)
from mission.model import Cmd, Frame, Mission, MissionItem

__all__ = ["FlightModel", "haversine_m", "has_position", "POSITIONAL"]

EARTH_RADIUS_M = 6_371_008.8
# Commands that fly to a place; their lat/lon 0/0 means "where the vehicle is now".
POSITIONAL = {
    int(c)
    for c in (
        Cmd.NAV_WAYPOINT,
        Cmd.NAV_LOITER_UNLIM,
        Cmd.NAV_LOITER_TURNS,
        Cmd.NAV_LOITER_TIME,
        Cmd.NAV_LAND,
        Cmd.NAV_TAKEOFF,
        Cmd.NAV_SPLINE_WAYPOINT,
    )
}
# An unbounded DO_JUMP or LOITER_UNLIM never ends; estimates report this instead of a number.
FOREVER = math.inf


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def has_position(item: MissionItem) -> bool:
    """True when the item names a place to fly to (0/0 means "here" for most NAV commands)."""
    if item.command not in POSITIONAL:
        return False
    return not (item.lat == 0.0 and item.lon == 0.0)


@dataclass(frozen=True)
class FlightModel:
    """Endurance and speeds of one drone; ``usable_s`` is what a sortie may take, reserve kept."""

    endurance_min: float = ENDURANCE_MIN
    reserve: float = RESERVE
    cruise_mps: float = CRUISE_MPS
    climb_mps: float = CLIMB_MPS
    descent_mps: float = DESCENT_MPS
    swap_min: float = SWAP_MIN
    corner_s: float = 2.0

    @property
    def usable_s(self) -> float:
        return self.endurance_min * 60.0 * (1.0 - self.reserve)

    @property
    def swap_s(self) -> float:
        return self.swap_min * 60.0

    def path_s(self, points) -> float:
        """Time along a polyline of (x, y) metres, one corner per vertex after the first."""
        a = np.asarray(points, float).reshape(-1, 2)
        return float((np.hypot(*np.diff(a, axis=0).T) / self.cruise_mps + self.corner_s).sum())

    def climb_s(self, height_m: float) -> float:
        return max(height_m, 0.0) / self.climb_mps

    def descent_s(self, height_m: float) -> float:
        return max(height_m, 0.0) / self.descent_mps

    def orbit_s(self, radius_m: float, turns: float = 1.0) -> float:
        """Out to the circle, round it ``turns`` times, back to its centre line."""
        return (2 * math.pi * radius_m * turns + 2 * radius_m) / self.cruise_mps

    def mission_time_s(self, mission: Mission, launch_alt_m: float = 0.0) -> float:
        """Estimated time from takeoff to touchdown; ``math.inf`` for missions that never end.

        Follows DO_JUMP repeats the way the autopilot does. Altitudes are taken as relative to the
        launch site (AMSL items are converted through the home altitude when there is one).
        """
        items = mission.items
        home = mission.home
        home_alt = home.alt if home is not None and home.frame == Frame.GLOBAL else None
        pos: tuple[float, float] | None = None
        if home is not None and (home.lat or home.lon):
            pos = (home.lat, home.lon)
        alt = launch_alt_m
        speed = self.cruise_mps
        total = 0.0
        jumps_left: dict[int, int] = {}
        i, steps = 0, 0
        while i < len(items):
            steps += 1
            if steps > 100_000:
                return FOREVER
            it = items[i]
            cmd = it.command
            if cmd == Cmd.DO_JUMP:
                repeat = int(it.param2)
                if repeat < 0:
                    return FOREVER
                left = jumps_left.setdefault(i, repeat)
                if left > 0:
                    jumps_left[i] = left - 1
                    i = max(int(it.param1) - 1, 0)
                    continue
                i += 1
                continue
            if cmd == Cmd.DO_CHANGE_SPEED and it.param2 > 0:
                speed = float(it.param2)
            elif cmd == Cmd.NAV_LOITER_UNLIM:
                return FOREVER
            target_alt = self._relative_alt(it, home_alt)
            if cmd == Cmd.NAV_RETURN_TO_LAUNCH:
                if pos is not None and home is not None and (home.lat or home.lon):
                    total += haversine_m(*pos, home.lat, home.lon) / speed + self.corner_s
                total += self.descent_s(alt)
                alt = 0.0
                i += 1
                continue
            if cmd in POSITIONAL:
                if has_position(it):
                    if pos is not None:
                        total += haversine_m(*pos, it.lat, it.lon) / speed + self.corner_s
                    pos = (it.lat, it.lon)
                if cmd == Cmd.NAV_LAND:
                    total += self.descent_s(alt)
                    alt = 0.0
                else:
                    if target_alt is not None:
                        dz = target_alt - alt
                        total += self.climb_s(dz) if dz > 0 else self.descent_s(-dz)
                        alt = target_alt
                    if cmd == Cmd.NAV_LOITER_TURNS:
                        total += self.orbit_s(abs(it.param3), max(it.param1, 0.0)) * (
                            self.cruise_mps / speed
                        )
                    elif cmd == Cmd.NAV_LOITER_TIME:
                        total += max(it.param1, 0.0)
            i += 1
        return total

    @staticmethod
    def _relative_alt(item: MissionItem, home_alt: float | None) -> float | None:
        if not math.isfinite(item.alt):
            return None
        if item.frame == Frame.GLOBAL:
            return item.alt - home_alt if home_alt is not None else None
        if item.frame in (Frame.GLOBAL_RELATIVE_ALT, Frame.GLOBAL_TERRAIN_ALT):
            return item.alt
        return None
