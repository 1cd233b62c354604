"""Choosing the sweep bearing that minimises flight time.

Total line length is nearly the same at every angle (area ÷ spacing); what changes is the number
of lines (each costs two corners and a connecting leg) and the number of separate blocks (each
costs a transit). For a convex area the optimum is parallel to an edge of its convex hull, so the
hull's edge directions are always candidates, next to a coarse fan of bearings.
"""

from __future__ import annotations

import math

import numpy as np
from shapely.geometry.base import BaseGeometry

from mission.coverage.swaths import swaths

__all__ = ["candidate_bearings", "sweep_cost_m", "best_bearing"]


def candidate_bearings(region: BaseGeometry, fan_step_deg: float = 15.0) -> list[float]:
    hull = np.asarray(region.convex_hull.exterior.coords) if region.area > 0 else np.zeros((0, 2))
    d = np.diff(hull, axis=0)
    edge = [90.0 - math.degrees(math.atan2(dy, dx)) for dx, dy in d if math.hypot(dx, dy) > 1.0]
    fan = list(np.arange(0.0, 180.0, fan_step_deg))
    seen: dict[float, float] = {}
    for b in edge + fan:
        b = b % 180.0
        seen.setdefault(round(b, 1), b)
    return sorted(seen.values())


def sweep_cost_m(
    region: BaseGeometry, bearing_deg: float, spacing_m: float, turn_cost_m: float
) -> float:
    """Line length + a cost per line + a transit per block, all in metres of flight."""
    sw = swaths(region, math.radians(90.0 - bearing_deg), spacing_m)
    n = len(sw.x0)
    if n == 0:
        return math.inf
    block_cost = math.sqrt(region.area) / 2
    return sw.total_length + n * (turn_cost_m + spacing_m) + len(sw.blocks) * block_cost


def best_bearing(region: BaseGeometry, spacing_m: float, turn_cost_m: float) -> float:
    cands = candidate_bearings(region)
    costs = [sweep_cost_m(region, b, spacing_m, turn_cost_m) for b in cands]
    return float(cands[int(np.argmin(costs))])
