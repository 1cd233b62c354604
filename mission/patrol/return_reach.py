"""How long a low-battery return is from each part of a patrol, for each launch site.

A patrol sortie returns to its own launch site (only that rally point is uploaded), and
``mission.checks.failsafe_returns`` refuses a sortie from some point of which the return's cruise
is longer than the window the reserve leaves before the critical battery failsafe
(``FlightModel.return_budget_s``). The planner must not build such sorties. A re-plan that
shortens the drones' endurance, because flights run long, shrinks that window: on a 24 h soak the
window fell under the 1,781 m from ls-west to riverbank-3's entry, and from then every re-plan
failed its own check, so none of the day's trouble was planned round.

So the worst return from every leg of the network (the shortest path between two of its nodes)
and from every area's own path is measured once per site, on the check's own return space (the
way home round the zones), and the planner offers an area to a sortie only where both fit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from mission.checks import return_fix
from mission.errors import PlanError
from mission.failsafe_return import return_space
from mission.failsafe_survey import SAMPLE_STEP_M
from mission.flight_model import FlightModel
from mission.model import District
from mission.sortie import Orbit, Step
from mission.text import N_

if TYPE_CHECKING:  # the network holds a ReturnReach; this module only reads it
    from mission.patrol.base import Network

__all__ = ["ReturnReach", "return_reach", "reach_check"]

_ORBIT_POINTS = 16  # round an orbit; its radius is tens of metres


class ReturnReach:
    """``leg_m[s, i, j]``: the longest return to site s from the path between nodes i and j;
    ``service_m[s, a]``: the same from area a's own path (orbit or sweep)."""

    def __init__(self, leg_m: np.ndarray, service_m: np.ndarray):
        self.leg_m, self.service_m = leg_m, service_m

    def worst_m(self, site: int, start: int, entry: int, area: int) -> float:
        """The longest return to ``site`` while flying from node ``start`` to ``entry`` and
        serving ``area`` there (the flight home from its exit is the return itself)."""
        return max(float(self.leg_m[site, start, entry]), float(self.service_m[site, area]))


def _polyline(points: Sequence[tuple[float, float]], step: float) -> np.ndarray:
    """Points at most ``step`` apart along a polyline, its vertices included."""
    xy = np.asarray(points, float).reshape(-1, 2)
    out = [xy[:1]]
    for a, b in zip(xy[:-1], xy[1:], strict=True):
        n = max(1, math.ceil(float(np.hypot(*(b - a))) / step))
        out.append(a + (b - a) * (np.arange(1, n + 1)[:, None] / n))
    return np.concatenate(out)


def _service_points(steps: Sequence[Step], step: float) -> np.ndarray:
    pts = []
    for st in steps:
        if isinstance(st, Orbit):
            ang = np.linspace(0.0, 2 * math.pi, _ORBIT_POINTS, endpoint=False)
            pts.append(np.column_stack([st.x + st.radius_m * np.cos(ang),
                                        st.y + st.radius_m * np.sin(ang)]))  # fmt: skip
    ways = [(st.x, st.y) for st in steps if not isinstance(st, Orbit)]
    if ways:
        pts.append(_polyline(ways, step))
    return np.concatenate(pts) if pts else np.empty((0, 2))


def return_reach(
    district: District,
    margin_m: float,
    site_xy: Sequence[tuple[float, float]],
    paths: dict[tuple[int, int], Sequence[tuple[float, float]]],
    n_nodes: int,
    services: Sequence[Sequence[Step]],
    step_m: float = SAMPLE_STEP_M,
) -> ReturnReach:
    """Measure, for every site, the longest return from each leg and each area's path (metres;
    ``inf`` where some point has no way home)."""
    space = return_space(district, margin_m)
    keys = [k for k in paths if k[0] != k[1]]
    legs = [_polyline(paths[k], step_m) for k in keys]
    serv = [_service_points(s, step_m) for s in services]
    chunks = legs + serv
    bounds = np.cumsum([0] + [len(c) for c in chunks])
    everything = np.concatenate(chunks) if chunks else np.empty((0, 2))
    leg_m = np.zeros((len(site_xy), n_nodes, n_nodes))
    service_m = np.zeros((len(site_xy), len(services)))
    for s, xy in enumerate(site_xy):
        lengths = space.lengths(everything, xy)
        worst = [
            float(np.max(lengths[a:b])) if b > a else 0.0
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        for (i, j), w in zip(keys, worst[: len(keys)], strict=True):
            leg_m[s, i, j] = w
        service_m[s] = worst[len(keys) :]
    return ReturnReach(leg_m, service_m)


def reach_check(net: Network, flight_model: FlightModel) -> None:
    """Refuse a day with a key area whose way home, from every site, is longer than the reserve
    flies: no sortie could serve it. Named with the nearest site and the fix."""
    if net.reach is None:
        return
    fm = flight_model
    for a, area in enumerate(net.areas):
        metres, s = min(
            (net.reach.worst_m(s, s, net.entry(a), a), s) for s in range(len(net.sites))
        )
        if metres > fm.return_budget_m:
            cruise_s = metres / fm.cruise_mps
            raise PlanError(
                N_(
                    "key area {id}: a low-battery return from it flies {metres:.0f} m to the "
                    "nearest launch site, {site} ({minutes:.1f} min), but a {reserve:.0%} reserve "
                    "leaves {budget:.1f} min before the critical battery failsafe lands the copter "
                    "where it is; {fix}",
                    id=area.id,
                    metres=metres,
                    site=net.sites[s],
                    minutes=cruise_s / 60.0,
                    reserve=fm.reserve,
                    budget=fm.return_budget_s / 60.0,
                    fix=return_fix(fm, cruise_s),
                )
            )
