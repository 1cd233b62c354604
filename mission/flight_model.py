"""How long a multicopter takes to fly a mission, and how much of its battery it may use.

Calibrated on ArduCopter (SITL 4.7, default parameters: ``bench/flight_model_sitl.py
--calibrate``) and kept conservative, since the battery check rests on it. A leg is flown at
cruise speed, braking into a corner and accelerating out of it at a constant rate; the speed
through a corner falls with its turn angle (straight on costs nothing, a reversal is a full stop,
and so is every loiter, take-off and landing). Climbs and descents go at their rates; the
take-off adds its spool-up, the landing its slow final metres; an orbit goes at the speed the
autopilot holds on the circle. ``path_s`` (the planners) and ``mission_time_s`` (the checks, the
endurance budget, the trajectory) share these numbers, so the planner and the checker agree on
what "fits" means.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mission.flight_steps import (
    FOREVER,
    POSITIONAL,
    NavStep,
    has_position,
    haversine_m,
    launch_place,
    nav_steps,
    places,
    turn_angles,
    turn_deg,
)
from mission.limits import (
    CLIMB_MPS,
    CRITICAL_SHARE,
    CRUISE_MPS,
    DESCENT_MPS,
    ENDURANCE_MIN,
    RESERVE,
    SWAP_MIN,
)
from mission.model import Cmd, Frame, Mission, MissionItem

__all__ = ["FlightModel", "haversine_m", "has_position", "POSITIONAL", "FOREVER"]

# Measured on ArduCopter SITL at 10 m/s (WPNAV_SPEED 1000) with default parameters, by
# ``bench/flight_model_sitl.py --calibrate``: runs of four equal corners between 150 m legs. Time
# lost per corner (the largest of three flights; the timing resolves 0.2 s per run of four):
# 0 deg 0.0-0.04 s, 30 deg 0.83 s, 60 deg 2.06 s, 90 deg 2.65 s, 120 deg 3.05 s, 135 deg 3.31 s,
# 150 deg 3.49 s, 165 deg 3.71 s, 180 deg 3.84 s. At ACCEL_MPS2 a full stop and restart costs
# cruise / accel = 4.0 s (over the 3.84 s measured); the corner speeds below, as fractions of the
# cruise speed, give the measured cost of each angle at that rate, rounded down (slower corners
# cost more), and interpolating between them covers 120, 150 and 165 deg.
ACCEL_MPS2 = 2.5  # horizontal braking and acceleration (ArduCopter WPNAV_ACCEL default)
# ArduCopter's S-curves limit jerk, so a leg too short to reach cruise speed gains speed more
# slowly: SITL flew the 27 m between two 90 deg corners of a sweep in 5.6-5.8 s, which a triangle
# profile gives at 2.05 m/s^2. A leg takes at least that triangle's time at SHORT_ACCEL_MPS2.
SHORT_ACCEL_MPS2 = 2.0
TURN_DEG = (0.0, 30.0, 60.0, 90.0, 135.0, 180.0)
CORNER_SPEED = (1.0, 0.54, 0.28, 0.18, 0.09, 0.0)
# Armed to the first leg under way, beyond the climb at CLIMB_MPS: motors spooling up (2.5 s),
# easing into and out of the climb, settling at the top; SITL took 7.2 s over climb_s(60 m) plus
# the first leg from a hover.
TAKEOFF_S = 7.5
# The landing: ArduCopter descends at its descent rate to LAND_ALT_LOW (10 m), then at LAND_SPEED
# (0.5 m/s) to the ground. Around that, SITL spent 7.8-8.8 s more than the model's braking and
# descent (last leg and landing of two planned sweeps): it creeps the last metres onto the
# landing point, pauses 1 s before descending, and disarms 2 s after touch-down.
LAND_LOW_ALT_M = 10.0
LAND_LOW_MPS = 0.5
LAND_SETTLE_S = 9.5
RTL_LOITER_S = 5.0  # RTL hovers over home this long before it lands (RTL_LOIT_TIME default)
# Orbits (NAV_LOITER_TURNS): the copter circles no faster than its lateral acceleration allows
# (SITL held 5.8 m/s on a 30 m circle: 1.1 m/s^2) and than CIRCLE_RATE (20 deg/s default), and
# eases in and out of the circle (2.0 s measured, 2.5 s here). Radius 0 means CIRCLE_RADIUS.
ORBIT_ACCEL_MPS2 = 1.1
ORBIT_RATE_DEG_S = 20.0
ORBIT_SETTLE_S = 2.5
LOITER_RADIUS_DEFAULT_M = 10.0


def _triangle_s(length_m: float, v_in: float, v_out: float, accel: float) -> float:
    """Accelerate from ``v_in``, brake to ``v_out`` over ``length_m``, with no cruise between."""
    peak = math.sqrt(max((2 * accel * length_m + v_in * v_in + v_out * v_out) / 2, 0.0))
    if peak < max(v_in, v_out):  # cannot change speed that much here: at best the mean speed
        return 2 * length_m / max(v_in + v_out, 1e-9)
    return (2 * peak - v_in - v_out) / accel


@dataclass(frozen=True)
class FlightModel:
    """Endurance and speeds of one drone; ``usable_s`` is what a sortie may take, reserve kept."""

    endurance_min: float = ENDURANCE_MIN
    reserve: float = RESERVE
    cruise_mps: float = CRUISE_MPS
    climb_mps: float = CLIMB_MPS
    descent_mps: float = DESCENT_MPS
    swap_min: float = SWAP_MIN
    accel_mps2: float = ACCEL_MPS2

    @property
    def usable_s(self) -> float:
        return self.endurance_min * 60.0 * (1.0 - self.reserve)

    @property
    def return_budget_s(self) -> float:
        """Flight time a failsafe return may cruise: from the low-battery failsafe (the whole
        reserve left: RTL) to the critical one (``CRITICAL_SHARE`` of it: land where it is)."""
        return self.endurance_min * 60.0 * self.reserve * (1.0 - CRITICAL_SHARE)

    @property
    def return_budget_m(self) -> float:
        """The same as a distance at cruise: how far a planned route may be from home."""
        return self.return_budget_s * self.cruise_mps

    def reserve_for_return(self, cruise_s: float) -> float:
        """The smallest reserve whose ``return_budget_s`` covers a return of ``cruise_s``."""
        return cruise_s / (self.endurance_min * 60.0 * (1.0 - CRITICAL_SHARE))

    @property
    def swap_s(self) -> float:
        return self.swap_min * 60.0

    @property
    def stop_s(self) -> float:
        """A full stop and restart at the slower rate of short legs: more than any corner adds,
        so that ``length / cruise + stop_s`` bounds any leg, however short (coarse estimates)."""
        return self.cruise_mps / min(SHORT_ACCEL_MPS2, self.accel_mps2)

    def corner_speed_mps(self, turn: float, speed_mps: float | None = None) -> float:
        """The speed through a corner of ``turn`` degrees (0 straight on, 180 reversal)."""
        speed = self.cruise_mps if speed_mps is None else speed_mps
        if not math.isfinite(turn):
            return 0.0
        return speed * float(np.interp(min(abs(turn), 180.0), TURN_DEG, CORNER_SPEED))

    def corner_cost_s(self, turn: float) -> float:
        """Time a corner of ``turn`` degrees adds between long legs at cruise speed."""
        v = self.cruise_mps
        return (v - self.corner_speed_mps(turn)) ** 2 / (self.accel_mps2 * v)

    def leg_s(self, length_m: float, v_in: float, v_out: float, speed_mps: float) -> float:
        """A leg of ``length_m`` entered at ``v_in`` and left at ``v_out``: accelerate, cruise at
        ``speed_mps``, brake; a leg too short to reach cruise peaks lower (triangle profile), and
        takes no less than that triangle at the slower rate of short legs."""
        if not length_m > 0.0:
            return 0.0
        a, v = self.accel_mps2, speed_mps
        v_in, v_out = min(v_in, v), min(v_out, v)
        ramps = (v * v - v_in * v_in + v * v - v_out * v_out) / (2 * a)
        if length_m >= ramps:
            t = length_m / v + ((v - v_in) ** 2 + (v - v_out) ** 2) / (2 * a * v)
        else:
            t = _triangle_s(length_m, v_in, v_out, a)
        return max(t, _triangle_s(length_m, v_in, v_out, min(SHORT_ACCEL_MPS2, a)))

    def legs_s(
        self, lengths: Sequence[float], speeds: Sequence[float], caps: Sequence[float]
    ) -> list[float]:
        """Times of consecutive legs (``lengths`` metres at ``speeds``), given the most speed
        each vertex allows (``caps``, one more than legs: 0 where the copter stops). A vertex is
        passed no faster than the legs around it let the copter brake or accelerate to."""
        a = self.accel_mps2
        v = [float(c) for c in caps]
        for k in range(1, len(v)):
            v[k] = min(v[k], math.sqrt(v[k - 1] ** 2 + 2 * a * lengths[k - 1]))
        for k in range(len(v) - 2, -1, -1):
            v[k] = min(v[k], math.sqrt(v[k + 1] ** 2 + 2 * a * lengths[k]))
        return [self.leg_s(lengths[k], v[k], v[k + 1], speeds[k]) for k in range(len(lengths))]

    def path_s(self, points, halt_before_last: bool = False) -> float:
        """Time along a polyline of (x, y) metres flown from a stop to a stop, turning through
        its vertices; repeated points are one vertex. ``inf`` for non-finite points.

        ``halt_before_last``: the path ends at a loiter or a landing, and ArduCopter stops at
        the waypoint before those too."""
        return float(self.legs_along(points, halt_before_last).sum())

    def legs_along(self, points, halt_before_last: bool = False) -> np.ndarray:
        """Each leg's time along a polyline of (x, y) metres flown from a stop to a stop (a
        repeated point is a leg of no time; the turn there is between the legs around it)."""
        a = np.asarray(points, float).reshape(-1, 2)
        if len(a) < 2:
            return np.zeros(0)
        if not np.isfinite(a).all():
            return np.full(len(a) - 1, FOREVER)
        d = np.diff(a, axis=0)
        lengths = np.hypot(*d.T)
        moved = np.flatnonzero(lengths > 1e-6)
        caps = [0.0]
        for k in range(1, len(a) - 1):
            before, after = moved[moved <= k - 1], moved[moved >= k]
            if len(before) and len(after):
                turn = turn_deg(tuple(d[before[-1]]), tuple(d[after[0]]))
                caps.append(self.corner_speed_mps(turn))
            else:
                caps.append(0.0)
        caps.append(0.0)
        if halt_before_last:
            caps[-2] = 0.0
        speeds = [self.cruise_mps] * len(lengths)
        return np.asarray(self.legs_s(lengths, speeds, caps))

    def climb_s(self, height_m: float) -> float:
        return max(height_m, 0.0) / self.climb_mps

    def descent_s(self, height_m: float) -> float:
        return max(height_m, 0.0) / self.descent_mps

    def takeoff_s(self, height_m: float) -> float:
        """From arming to the top of the climb, ready for the first leg."""
        return TAKEOFF_S + self.climb_s(height_m)

    def landing_s(self, height_m: float) -> float:
        """From a hover ``height_m`` over the landing point to disarmed on the ground."""
        h = max(height_m, 0.0) if math.isfinite(height_m) else 0.0
        low = min(h, LAND_LOW_ALT_M)
        return self.descent_s(h - low) + low / LAND_LOW_MPS + LAND_SETTLE_S

    def orbit_s(self, radius_m: float, turns: float = 1.0, speed_mps: float | None = None) -> float:
        """Round a circle ``turns`` times from a stop at its centre's leg to a stop (the legs to
        and from it are counted to its centre, which bounds the way to and from its edge)."""
        r = abs(radius_m) if math.isfinite(radius_m) and radius_m else LOITER_RADIUS_DEFAULT_M
        if not math.isfinite(turns):
            return FOREVER
        turns = max(turns, 0.0)
        speed = self.cruise_mps if speed_mps is None else speed_mps
        v = min(speed, math.sqrt(ORBIT_ACCEL_MPS2 * r), r * math.radians(ORBIT_RATE_DEG_S))
        return 2 * math.pi * r * turns / v + ORBIT_SETTLE_S

    def horizontal_s(
        self,
        steps: list[NavStep],
        start: tuple[float, float] | None,
        lengths: Sequence[float] | None = None,
    ) -> list[float]:
        """For each step, the time of the horizontal leg that ends there (0 without one).

        ``lengths`` (metres, one per step) replace the great-circle lengths for a caller that
        measures the legs in its own projection, so its positions and times agree."""
        if not steps:  # a mission with no navigation item has no legs
            return []
        where = places(steps, start)
        turns = turn_angles(steps, where)
        caps = [0.0]
        if lengths is None:
            lengths = [
                haversine_m(*p, *q) if p is not None and q is not None else 0.0
                for p, q in zip([start, *where[:-1]], where, strict=True)
            ]
        for k in range(len(steps)):
            nxt = steps[k + 1].speed_mps if k + 1 < len(steps) else 0.0
            turn = turns[k]
            caps.append(
                0.0 if turn is None else self.corner_speed_mps(turn, min(steps[k].speed_mps, nxt))
            )
        return self.legs_s(lengths, [s.speed_mps for s in steps], caps)

    def mission_time_s(self, mission: Mission, launch_alt_m: float = 0.0) -> float:
        """Estimated time from arming to disarmed on the ground; ``math.inf`` for missions that
        never end.

        Follows DO_JUMP repeats the way the autopilot does. Altitudes are taken as relative to the
        launch site (AMSL items are converted through the home altitude when there is one).
        """
        steps, ends = nav_steps(mission, self.cruise_mps)
        if not ends or not all(math.isfinite(s.item.lat + s.item.lon) for s in steps):
            return FOREVER  # never ends, or goes to no place: nothing can promise it fits
        home = mission.home
        home_alt = home.alt if home is not None and home.frame == Frame.GLOBAL else None
        total = sum(self.horizontal_s(steps, launch_place(mission)))
        alt = launch_alt_m
        if alt <= 0.0:
            total += TAKEOFF_S
        for st in steps:
            it, cmd = st.item, st.item.command
            if cmd == Cmd.NAV_RETURN_TO_LAUNCH:
                total += RTL_LOITER_S + self.landing_s(alt)
                break
            if cmd == Cmd.NAV_LAND:
                total += self.landing_s(alt)
                alt = 0.0
                continue
            target_alt = self._relative_alt(it, home_alt)
            if target_alt is not None:
                dz = target_alt - alt
                total += self.climb_s(dz) if dz > 0 else self.descent_s(-dz)
                alt = target_alt
            if cmd == Cmd.NAV_LOITER_TURNS:
                total += self.orbit_s(it.param3, it.param1, st.speed_mps)
            elif cmd in (Cmd.NAV_LOITER_TIME, Cmd.NAV_WAYPOINT, Cmd.NAV_SPLINE_WAYPOINT):
                total += max(it.param1, 0.0) if math.isfinite(it.param1) else 0.0
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
