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


# Metres of flight charged per metre of sweep that a missed sliver would take to re-fly.
REFLY = 10.0


def _links_and_slivers(sw, block: tuple[int, ...], spacing_m: float) -> tuple[float, float]:
    """Length of the legs joining a block's lines (they alternate between right and left ends),
    and the area left uncovered at the ends that are not joined.

    Where a line ends on an edge that meets it at a shallow angle, the wedge between its end and
    the next line's footprint is missed unless a leg runs along the edge there; only every other
    pair of ends gets such a leg. The wedge is integrated numerically (footprint = one spacing).
    """
    if len(block) < 2:
        return 0.0, 0.0
    k = np.asarray(block)
    gap = np.abs(np.diff(sw.y[k]))
    dl, dr = np.abs(np.diff(sw.x0[k])), np.abs(np.diff(sw.x1[k]))
    left, right = np.hypot(dl, gap), np.hypot(dr, gap)
    even = np.arange(len(gap)) % 2 == 0
    best = None
    for links, open_dx in (
        (np.where(even, right, left), np.where(even, dl, dr)),
        (np.where(even, left, right), np.where(even, dr, dl)),
    ):
        cost = (float(links.sum()), _wedges(open_dx, gap, spacing_m))
        if best is None or cost[0] + cost[1] * REFLY / spacing_m < best[0] + best[1] * REFLY / (
            spacing_m
        ):
            best = cost
    return best


def _wedges(dx: np.ndarray, gap: np.ndarray, spacing_m: float, samples: int = 8) -> float:
    half = spacing_m / 2
    top = np.clip(gap - half, 0.0, None)  # above this the next line's footprint covers
    u = (np.arange(samples) + 0.5) / samples
    y = top[:, None] * u[None, :]
    reach = dx[:, None] * y / np.where(gap > 0, gap, 1.0)[:, None]
    missed = np.clip(reach - np.sqrt(np.clip(half**2 - y**2, 0.0, None)), 0.0, None)
    return float((missed.mean(axis=1) * top).sum())


def sweep_cost_m(
    region: BaseGeometry, bearing_deg: float, spacing_m: float, turn_cost_m: float
) -> float:
    """Lines + joining legs + a cost per line + a transit per block + re-flying missed wedges."""
    sw = swaths(region, math.radians(90.0 - bearing_deg), spacing_m)
    n = len(sw.x0)
    if n == 0:
        return math.inf
    block_cost = math.sqrt(region.area) / 2
    links = wedges = 0.0
    for b in sw.blocks:
        lk, wd = _links_and_slivers(sw, b, spacing_m)
        links += lk
        wedges += wd
    return (
        sw.total_length
        + links
        + n * turn_cost_m
        + len(sw.blocks) * block_cost
        + wedges * REFLY / spacing_m
    )


def best_bearing(region: BaseGeometry, spacing_m: float, turn_cost_m: float) -> float:
    """Coarse candidates first, then a finer scan round the best few: tilting a few degrees off
    an edge can make the last line pay for itself (the line count is an integer)."""

    def cost(b: float) -> float:
        return sweep_cost_m(region, b, spacing_m, turn_cost_m)

    scored = {round(b % 180.0, 2): cost(b) for b in candidate_bearings(region)}
    for step, reach, keep in ((1.0, 8, 3), (0.25, 3, 1)):
        best = sorted(scored, key=scored.get)[:keep]
        for b in best:
            for k in range(-reach, reach + 1):
                c = round((b + k * step) % 180.0, 2)
                if c not in scored:
                    scored[c] = cost(c)
    return float(min(scored, key=scored.get))
