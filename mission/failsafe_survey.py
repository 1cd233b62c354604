"""Where a failsafe return starts and how long the longest one is: a mission's route sampled.

The return itself (closest rally point, the way round the zones) is ``mission.failsafe_return``.
Here a mission's route is walked as the vehicle flies it (every ``SAMPLE_STEP_M`` along each
leg, every vertex, points round each orbit; a DO_JUMP loop once; nothing after an RTL item), the
return from every sample is found, and the survey says which have none and which is longest, so
``mission.checks`` can name the item and ``bench/failsafe_returns.py`` can set the longest
against the battery reserve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mission.errors import MissionError
from mission.failsafe_return import Point2, as_point, closest_targets, return_space
from mission.flight_model import FlightModel
from mission.flight_steps import has_position, launch_place, nav_steps, on_the_globe
from mission.geo import LocalFrame
from mission.limits import NO_FLY_MARGIN_M
from mission.model import Cmd, District, Mission, RallyPoint
from mission.sortie import mission_layer_m

__all__ = [
    "SAMPLE_STEP_M",
    "ReturnSurvey",
    "return_targets",
    "route_samples",
    "survey_returns",
    "return_time_s",
    "site_at",
]

# Along a leg, 2.5 s at cruise: the return from between two samples is at most this longer.
SAMPLE_STEP_M = 25.0


def return_targets(mission: Mission, frame: LocalFrame) -> tuple[list[Point2], Point2 | None]:
    """The mission's rally points and its home in ``frame`` metres, as ArduPilot holds them:
    a rally point at 0, 0 or off the globe is skipped (``AP_Rally`` does), and home is None
    when the mission does not name it."""
    rally = [as_point(frame.to_metric(r.lon, r.lat)) for _n, r in _valid_rally(mission)]
    place = launch_place(mission)
    home = None if place is None else as_point(frame.to_metric(place[1], place[0]))
    return rally, home


def _valid_rally(mission: Mission) -> list[tuple[int, RallyPoint]]:
    """The rally points ArduPilot uses, with their number in the mission (1-based)."""
    return [
        (n, r)
        for n, r in enumerate(mission.rally, start=1)
        if (r.lat or r.lon) and on_the_globe(r.lat, r.lon)
    ]


def route_samples(
    mission: Mission,
    frame: LocalFrame,
    step_m: float = SAMPLE_STEP_M,
    within: tuple[float, float, float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Where the copter can be when a failsafe strikes, in ``frame`` metres, with the item
    (``seq``, home 0) each point belongs to: every positioned item, points at most ``step_m``
    apart along each leg flown (as the autopilot walks the mission: a DO_JUMP loop once; a leg
    belongs to the item it flies to) and round each orbit. The walk starts at home and stops at
    a return to launch (that return is the failsafe's own). Items off the globe are skipped (the
    well-formed check names them).

    ``within`` (min x, min y, max x, max y; the district's bounds) keeps only what lies in that
    box, so a leg to a waypoint 1000 km away (a typo) costs no more than one across the box."""
    steps, _ = nav_steps(mission, mission.cruise_mps)
    chain: list[tuple[int, float, float, float]] = []  # (seq, lon, lat, orbit radius)
    for st in steps:
        it = st.item
        if it.command == Cmd.NAV_RETURN_TO_LAUNCH:
            break
        if not has_position(it) or not on_the_globe(it.lat, it.lon):
            continue
        radius = 0.0
        if it.command == Cmd.NAV_LOITER_TURNS and math.isfinite(it.param3):
            radius = abs(it.param3)
        chain.append((st.index + 1, it.lon, it.lat, radius))
    place = launch_place(mission)
    if place is not None:
        chain.insert(0, (0, place[1], place[0], 0.0))
    if not chain:
        return np.empty((0, 2)), np.empty(0, int)
    x, y = frame.to_metric(np.array([c[1] for c in chain]), np.array([c[2] for c in chain]))
    xy = np.column_stack([x, y])
    box = within if within is not None else (-np.inf, -np.inf, np.inf, np.inf)
    step = step_m if math.isfinite(step_m) and step_m > 0 else SAMPLE_STEP_M
    placed = np.isfinite(xy).all(axis=1)
    pts: list[np.ndarray] = [xy[placed]]
    seqs: list[np.ndarray] = [np.array([c[0] for c in chain])[placed]]
    flown: set[tuple[int, int]] = set()
    for k, (seq, _lon, _lat, radius) in enumerate(chain):
        if not placed[k]:
            continue
        if k and placed[k - 1] and (chain[k - 1][0], seq) not in flown:
            flown.add((chain[k - 1][0], seq))
            a, b = xy[k - 1], xy[k]
            span = _clip(a, b, box)
            n = 0 if span is None else math.ceil(math.hypot(*(b - a)) * (span[1] - span[0]) / step)
            if n > 1:  # the points between the ends (the vertices are in already)
                f = span[0] + (span[1] - span[0]) * np.arange(1, n)[:, None] / n
                pts.append(a + f * (b - a))
                seqs.append(np.full(n - 1, seq))
        if radius > 0 and (seq, seq) not in flown:
            flown.add((seq, seq))
            n = min(max(8, math.ceil(2 * math.pi * radius / step)), _MOST_ON_ORBIT)
            ang = np.linspace(0.0, 2 * math.pi, n, endpoint=False)
            pts.append(xy[k] + radius * np.column_stack([np.cos(ang), np.sin(ang)]))
            seqs.append(np.full(n, seq))
    out, seq_out = np.concatenate(pts), np.concatenate(seqs).astype(int)
    x, y = out[:, 0], out[:, 1]
    inside = (x >= box[0]) & (y >= box[1]) & (x <= box[2]) & (y <= box[3])
    return out[inside], seq_out[inside]


_MOST_ON_ORBIT = 1000  # an orbit that needs more (over 25 km round) fails the geofence anyway


def _clip(a: np.ndarray, b: np.ndarray, box) -> tuple[float, float] | None:
    """The part [t0, t1] of the segment a + t (b - a), 0 <= t <= 1, inside ``box``, or None."""
    t0, t1 = 0.0, 1.0
    d = b - a
    for axis in (0, 1):
        lo, hi = box[axis], box[axis + 2]
        if abs(d[axis]) < 1e-12:
            if not lo <= a[axis] <= hi:
                return None
            continue
        u, v = (lo - a[axis]) / d[axis], (hi - a[axis]) / d[axis]
        t0, t1 = max(t0, min(u, v)), min(t1, max(u, v))
    return (t0, t1) if t0 <= t1 else None


@dataclass(frozen=True)
class ReturnSurvey:
    """The failsafe returns from a mission's route: per sampled point (``xy``, item ``seq``), the
    target chosen (index into ``targets``: the rally points, then home; ``numbers`` gives each
    target's rally point number in the mission, 0 for home; ``reachable`` is False for one inside
    a zone or outside the district), the return's length (``inf``: no path) and the straight
    distance; ``alt_m`` is the sortie's altitude. ``sampled`` counts the route points before
    those outside the district or inside a zone itself were left out: the geofence check names
    them, and no return starts there."""

    xy: np.ndarray
    seq: np.ndarray
    target: np.ndarray
    length_m: np.ndarray
    straight_m: np.ndarray
    targets: tuple[Point2, ...]
    numbers: tuple[int, ...]
    reachable: tuple[bool, ...]
    sampled: int
    alt_m: float = 0.0

    def time_s(self, i: int, flight_model: FlightModel) -> float:
        """How long the return from point ``i`` takes, down from the sortie's altitude
        (``alt_m``, its layer: RTL returns at it) to the ground (``return_time_s``)."""
        return return_time_s(float(self.length_m[i]), self.alt_m, flight_model)

    @property
    def stranded(self) -> np.ndarray:
        """Indices of the points with no return path."""
        return np.flatnonzero(~np.isfinite(self.length_m))

    @property
    def detour_m(self) -> np.ndarray:
        """Per point, what the way round the zones adds (``inf`` where there is no path)."""
        return self.length_m - self.straight_m

    def longest(self) -> int | None:
        """Index of the point with the longest return that exists, or None."""
        ok = np.flatnonzero(np.isfinite(self.length_m))
        return int(ok[np.argmax(self.length_m[ok])]) if len(ok) else None


def survey_returns(
    mission: Mission,
    district: District,
    *,
    margin_m: float = NO_FLY_MARGIN_M,
    step_m: float = SAMPLE_STEP_M,
) -> ReturnSurvey:
    """The failsafe return from every point of the mission's route (``route_samples``), to the
    target ArduPilot would pick from there (``closest_target``). With nowhere to return to (no
    rally point and no home) there are no returns to survey: every array is empty."""
    xy, seq = route_samples(mission, district.frame, step_m, district.boundary.bounds)
    rally, home = return_targets(mission, district.frame)
    targets = tuple(rally) + ((home,) if home is not None else ())
    numbers = tuple(n for n, _r in _valid_rally(mission)) + ((0,) if home is not None else ())
    space = return_space(district, margin_m)
    keep = space.placed(xy) if targets else np.zeros(len(xy), bool)
    chosen = closest_targets(xy, rally, home)
    keep &= chosen >= 0  # a rally point the projection cannot place is never chosen
    xy, seq, chosen = xy[keep], seq[keep], chosen[keep]
    t = np.asarray(targets, float).reshape(-1, 2)
    straight = np.hypot(*(xy - t[chosen]).T) if len(xy) else np.zeros(0)
    lengths = np.full(len(xy), np.inf)
    for k in np.unique(chosen):
        rows = chosen == k
        lengths[rows] = space.lengths(xy[rows], targets[k])
    reachable = tuple(bool(b) for b in space.placed(t))
    try:
        alt = mission_layer_m(mission)
    except MissionError:  # no flown altitude: the well-formed and altitude checks say so
        alt = 0.0
    return ReturnSurvey(
        xy, seq, chosen, lengths, straight, targets, numbers, reachable, int(len(keep)), alt
    )


def return_time_s(length_m: float, alt_m: float, flight_model: FlightModel) -> float:
    """Time of a failsafe return: ``length_m`` at cruise speed, then the descent from ``alt_m``
    at the descent rate (what the reserve must fly once the low-battery failsafe fires);
    ``inf`` when there is no path or the model has no speed."""
    fm = flight_model
    if not (fm.cruise_mps > 0 and fm.descent_mps > 0) or not math.isfinite(length_m):
        return math.inf
    alt = alt_m if math.isfinite(alt_m) else 0.0
    return length_m / fm.cruise_mps + fm.descent_s(alt)


def site_at(district: District, xy: Point2, within_m: float = 1.0) -> str | None:
    """The id of the launch site at ``xy`` (within ``within_m``), or None: a rally point that
    ``route_to_mission`` wrote sits on one, and a message names it by that id."""
    for s in district.launch_sites:
        if math.hypot(s.position.x - xy[0], s.position.y - xy[1]) <= within_m:
            return s.id
    return None
