"""Cutting a sweep into sorties that each fit one battery and the vehicle's item limit.

Each sortie takes off at the launch site, flies (shortest path) to where the last one stopped,
sweeps on while the way home still fits in the usable battery, returns and lands. Times use the
same ``FlightModel`` the checker uses, with a small safety factor for the metres-vs-geodesic
difference.
"""

from __future__ import annotations

import numpy as np

from mission.coverage.base import SweepPath
from mission.coverage.freespace import FreeSpace
from mission.errors import PlanError
from mission.flight_model import FlightModel
from mission.limits import ITEM_LIMIT
from mission.sortie import CameraTrigger, Route, Waypoint
from mission.text import N_

__all__ = ["split_sweep"]

SAFETY = 0.98
# takeoff, camera on, camera off, land, and home (seq 0) on the vehicle
FIXED_ITEMS = 5


def split_sweep(
    path: SweepPath,
    launch_site: str,
    launch: tuple[float, float],
    free: FreeSpace,
    fm: FlightModel,
    alt_m: float,
    item_limit: int = ITEM_LIMIT,
    trigger_m: float = 0.0,
) -> list[Route]:
    pts = path.points
    n = len(pts)
    # each leg as flown along the whole sweep, plus a stop's worth for the two ends of a piece,
    # which join the ways in and out at other angles than the sweep's
    cum = np.concatenate([[0.0], np.cumsum(fm.legs_along(pts))])
    home_lb = np.hypot(*(pts - np.asarray(launch)).T) / fm.cruise_mps
    budget = fm.usable_s * SAFETY - fm.takeoff_s(alt_m) - fm.landing_s(alt_m) - fm.stop_s
    routes: list[Route] = []
    s = 0
    while s < n - 1:
        way_in = free.path(launch, tuple(pts[s]))
        t_in = fm.path_s(way_in)
        items_left = item_limit - FIXED_ITEMS - (len(way_in) - 1)
        e_max = min(n - 1, s + items_left)
        ok = np.nonzero(
            t_in + cum[s + 1 : e_max + 1] - cum[s] + home_lb[s + 1 : e_max + 1] <= budget
        )[0]
        end, way_out = None, None
        for e in (s + 1 + ok)[::-1]:
            way_out = free.path(tuple(pts[e]), launch)
            extra = len(way_out) - 2
            if e + extra > s + items_left:
                continue
            if t_in + cum[e] - cum[s] + fm.path_s(way_out, halt_before_last=True) <= budget:
                end = int(e)
                break
        if end is None:
            raise PlanError(
                N_(
                    "one leg of the sweep does not fit in a battery (usable {usable_s:.1f} min) from "
                    "launch site {launch_site}; pick a nearer launch site, a smaller area or a "
                    "longer --endurance-min",
                    usable_s=fm.usable_s / 60,
                    launch_site=launch_site,
                )
            )
        steps: list = [Waypoint(*p) for p in way_in[1:]]
        if trigger_m > 0:
            steps.append(CameraTrigger(trigger_m))
        steps += [Waypoint(*p) for p in pts[s + 1 : end + 1]]
        if trigger_m > 0:
            steps.append(CameraTrigger(0.0))
        steps += [Waypoint(*p) for p in way_out[1:-1]]
        routes.append(Route(launch_site, tuple(map(float, launch)), tuple(steps)))
        s = end
        while s < n - 1 and not path.work[s]:
            s += 1
    return routes
