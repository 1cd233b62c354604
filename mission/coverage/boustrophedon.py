"""Boustrophedon (lawnmower) coverage of concave regions with holes.

Intervals are grouped into blocks that are flown back and forth; blocks are visited greedily,
nearest entry corner first. Every connecting leg that would leave the flyable region is replaced
by the shortest path through it (``FreeSpace``), so neither sweep lines nor transits cross a hole
or a grown no-fly zone, and transits stay inside the district.
"""

from __future__ import annotations

import math

import numpy as np

from mission.coverage.angle import best_bearing
from mission.coverage.base import SweepPath
from mission.coverage.freespace import FreeSpace
from mission.coverage.swaths import Swaths, math_angle, swaths
from mission.errors import PlanError
from mission.text import N_

__all__ = ["Boustrophedon", "check_lines", "MIN_SPACING_M", "MAX_SPACING_M"]

MIN_SPACING_M = 1.0
MAX_SPACING_M = 1000.0


def check_lines(spacing_m: float, angle_deg: float | None) -> None:
    """Refuse a line spacing or bearing no sweep can be planned with (raises ``PlanError``).

    Under a metre the lines outnumber what memory holds (a side overlap of 0.9999999 was killed
    for it); over a kilometre a "sweep" of a city district is a single line."""
    if not MIN_SPACING_M <= spacing_m <= MAX_SPACING_M:
        raise PlanError(
            N_(
                "line spacing {spacing_m:g} m is outside {lo:g}-{hi:g} m; fix --spacing, or "
                "the camera and side overlap it comes from",
                spacing_m=spacing_m,
                lo=MIN_SPACING_M,
                hi=MAX_SPACING_M,
            )
        )
    if angle_deg is not None and not math.isfinite(angle_deg):
        raise PlanError(N_("sweep bearing {angle:g} is not a number of degrees; fix --angle",
                           angle=angle_deg))  # fmt: skip


class Boustrophedon:
    """Lawnmower planner; ``free`` is where transits may fly (default: the region itself)."""

    def __init__(self, free: FreeSpace | None = None, turn_cost_m: float = 40.0):
        self.free = free
        self.turn_cost_m = turn_cost_m

    def plan(
        self,
        region,
        spacing_m: float,
        angle_deg: float | None = None,
        start: tuple[float, float] | None = None,
    ) -> SweepPath:
        check_lines(spacing_m, angle_deg)
        if region.is_empty or region.area <= 0:
            raise PlanError(
                N_(
                    "the area to sweep is empty once holes and no-fly zones (grown by the margin) "
                    "are cut out; pick another area or reduce --margin"
                )
            )
        bearing = (
            angle_deg
            if angle_deg is not None
            else best_bearing(region, spacing_m, self.turn_cost_m)
        )
        sw = swaths(region, math_angle(bearing), spacing_m)
        if len(sw.x0) == 0:
            raise PlanError(N_("no sweep line fits in the area; use a smaller --spacing"))
        free = self.free or FreeSpace(region)
        pts, work = _route(sw, free, start)
        return SweepPath(pts, work, float(bearing % 360.0), float(spacing_m))


def _block_runs(sw: Swaths, block: tuple[int, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The four ways to fly a block: (points, closing flags) for each entry corner."""
    ends = [sw.endpoints(k) for k in block]
    runs = []
    for order in (ends, ends[::-1]):
        for start_left in (True, False):
            pts = []
            for i, (left, right) in enumerate(order):
                forward = (i % 2 == 0) == start_left
                pts.extend([left, right] if forward else [right, left])
            runs.append(np.array(pts))
    return runs


def _route(sw: Swaths, free: FreeSpace, start) -> tuple[np.ndarray, np.ndarray]:
    runs = {b: _block_runs(sw, blk) for b, blk in enumerate(sw.blocks)}
    left = set(runs)
    pos = None if start is None else np.asarray(start, float)
    out: list[np.ndarray] = []
    work: list[bool] = []
    while left:
        cands = [(b, r) for b in sorted(left) for r in range(4)]
        entries = np.array([runs[b][r][0] for b, r in cands])
        if pos is None:
            pick = int(np.argmin(entries[:, 0] + entries[:, 1]))
        else:
            pick = int(np.argmin(np.hypot(*(entries - pos).T)))
        b, r = cands[pick]
        left.discard(b)
        run = runs[b][r]
        if out:
            _append_transit(out, work, free.path(tuple(pos), tuple(run[0])))
        else:
            out.append(run[0])
        _append_block(out, work, run, free)
        pos = run[-1]
    return np.array(out), np.array(work, bool)


def _append_transit(out: list, work: list, path: list) -> None:
    for p in path[1:]:
        if math.hypot(p[0] - out[-1][0], p[1] - out[-1][1]) > 1e-6:
            out.append(np.asarray(p, float))
            work.append(False)


def _append_block(out: list, work: list, run: np.ndarray, free: FreeSpace) -> None:
    """Sweep lines are run[0:2], run[2:4], ...; the legs between them are checked and rerouted."""
    a, b = run[1:-1:2], run[2::2]
    ok = free.visible_many(a, b) if len(a) else np.zeros(0, bool)
    for i in range(0, len(run), 2):
        if i:
            link = (
                [tuple(run[i - 1]), tuple(run[i])]
                if ok[i // 2 - 1]
                else free.path(tuple(run[i - 1]), tuple(run[i]))
            )
            _append_transit(out, work, link)
        out.append(run[i + 1])
        work.append(True)
