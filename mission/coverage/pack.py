"""Packing a sweep into battery-sized blocks, each flown out and back from its nearest launch site.

Why: cutting one long sweep path into sorties by time makes every sortie fly out to where the
last one stopped and home from wherever its battery ran low; on the sample district that was
41 % camera-off flight and 1.39 times the lower bound (area / spacing). Here the sweep lines are
cut where they cross the launch sites (a line perpendicular to the sweep through their mean), so
every line has a near end by the sites. The lines of each boustrophedon block form one chain
(out along the lines on one side of the cut, back along the other side), and each sortie takes
the next lines of a chain, as many as fill its battery, preferring to stop where it ends by a
launch site; it flies from whichever site makes its transits shortest. Sorties all start and end
at a site, so their order does not change the distance; they are listed chain by chain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mission.coverage.base import SweepPath
from mission.coverage.boustrophedon import _append_block, _append_transit
from mission.coverage.freespace import FreeSpace
from mission.coverage.swaths import Swaths, math_angle, rotate, swaths
from mission.errors import PlanError
from mission.flight_model import FlightModel
from mission.sortie import CameraTrigger, Route, Waypoint
from mission.text import N_

__all__ = ["Site", "pack_sweep"]

SAFETY = 0.98  # as split.py: metres in the local frame against the checker's geodesic distances
FIXED_ITEMS = 5  # takeoff, camera on, camera off, land, and home (seq 0) on the vehicle


@dataclass(frozen=True)
class Site:
    id: str
    xy: tuple[float, float]


@dataclass(frozen=True)
class _Line:
    near: np.ndarray  # end by the cut (the launch sites), original frame
    far: np.ndarray
    length: float


def _chains(sw: Swaths, cut_x: float | None) -> list[list[_Line]]:
    """Each boustrophedon block of ``sw`` cut at rotated x = ``cut_x`` into a chain of lines:
    the lines before the cut in order, then those after it in reverse, so that the chain turns
    round at the cut (each line given with its end nearer the cut first)."""
    out: list[list[_Line]] = []
    for block in sw.blocks:
        sides: dict[int, list[_Line]] = {0: [], 1: []}
        for k in block:
            x0, x1, y = float(sw.x0[k]), float(sw.x1[k]), float(sw.y[k])
            pieces = [(x0, x1)]
            if cut_x is not None and x0 < cut_x < x1:
                pieces = [(x0, cut_x), (cut_x, x1)]
            for a, b in pieces:
                if b - a <= 0.5:
                    continue
                side = 0 if cut_x is None or b <= cut_x + 1e-6 else 1
                near_x, far_x = (b, a) if side == 0 and cut_x is not None else (a, b)
                ends = rotate(np.array([[near_x, y], [far_x, y]]), sw.theta)
                sides[side].append(_Line(ends[0], ends[1], b - a))
        chain = sides[0] + sides[1][::-1]
        if chain:
            out.append(chain)
    return out


def _run(lines: list[_Line], flip: bool) -> np.ndarray:
    """Points flying ``lines`` in order, each from the end nearer the previous line's exit; the
    first from its near end (its far end if ``flip``)."""
    first = lines[0]
    pts = [first.far, first.near] if flip else [first.near, first.far]
    for ln in lines[1:]:
        pos = pts[-1]
        if math.dist(pos, ln.near) <= math.dist(pos, ln.far):
            pts += [ln.near, ln.far]
        else:
            pts += [ln.far, ln.near]
    return np.array(pts)


def _cost_s(run: np.ndarray, sites: list[Site], fm: FlightModel) -> tuple[float, Site]:
    """Straight-line estimate of a block's flight time from its best site (climb/descent apart)."""
    work = fm.path_s(run)
    best = min(
        sites,
        key=lambda s: math.dist(s.xy, run[0]) + math.dist(run[-1], s.xy),
    )
    legs = (math.dist(best.xy, run[0]) + math.dist(run[-1], best.xy)) / fm.cruise_mps
    return work + legs + 2 * fm.stop_s, best


def _take(lines: list[_Line], start: int, budget: float, sites, fm, max_lines: int) -> int:
    """How many lines from ``start`` one battery flies (straight-line estimate), stopping by a
    launch site rather than at the far end of a line where that costs one line."""
    count, exits = 0, {}
    pts = [lines[start].near, lines[start].far]
    work_s = fm.path_s(pts)
    for n in range(1, min(len(lines) - start, max_lines) + 1):
        if n > 1:
            ln = lines[start + n - 1]
            a, b = (ln.near, ln.far)
            if math.dist(pts[-1], b) < math.dist(pts[-1], a):
                a, b = b, a
            work_s += (math.dist(pts[-1], a) + math.dist(a, b)) / fm.cruise_mps + 2 * fm.stop_s
            pts += [a, b]
        home = min(math.dist(s.xy, pts[0]) + math.dist(pts[-1], s.xy) for s in sites)
        if work_s + home / fm.cruise_mps + 2 * fm.stop_s > budget:
            break
        count = n
        exits[n] = min(math.dist(pts[-1], s.xy) for s in sites)
    if count > 1 and start + count < len(lines) and exits[count - 1] < exits[count]:
        count -= 1
    return count


def pack_sweep(
    target,
    free: FreeSpace,
    sites: list[Site],
    spacing_m: float,
    bearing_deg: float,
    fm: FlightModel,
    alt_m: float,
    item_limit: int = 700,
    trigger_m: float = 0.0,
    join: bool = False,
) -> tuple[list[Route], SweepPath]:
    """Sorties that together fly every sweep line of ``target`` at ``bearing_deg``, and the
    flown path (breaks between sorties) for coverage and length figures. With ``join`` the
    chains of all blocks form one sequence, so a sortie that finishes a chain goes on to the
    next one instead of landing half-full (fewer sorties, a little more transit)."""
    theta = math_angle(bearing_deg)
    sw = swaths(target, theta, spacing_m)
    if len(sw.x0) == 0:
        raise PlanError(N_("no sweep line fits in the area; use a smaller --spacing"))
    cut_x = float(np.mean([rotate(np.array([s.xy]), -theta)[0, 0] for s in sites]))
    budget = fm.usable_s * SAFETY - fm.takeoff_s(alt_m) - fm.landing_s(alt_m)
    max_lines = max(1, (item_limit - FIXED_ITEMS - 8) // 2)
    routes: list[Route] = []
    points: list[np.ndarray] = []
    work: list[bool] = []
    breaks: list[int] = []
    chains = _chains(sw, cut_x)
    for strip in [[ln for chain in chains for ln in chain]] if join else chains:
        s = 0
        while s < len(strip):
            n = _take(strip, s, budget, sites, fm, max_lines)
            while n >= 1:
                built = _build(strip[s : s + n], free, sites, fm, budget, item_limit, trigger_m)
                if built is not None:
                    break
                n -= 1
            if n < 1 or built is None:
                raise PlanError(
                    N_(
                        "one sweep line does not fit in a battery (usable {usable_s:.1f} min) from any "
                        "launch site; add a nearer launch site, sweep a smaller area or give a longer "
                        "--endurance-min",
                        usable_s=fm.usable_s / 60,
                    )
                )
            route, pts, flags = built
            if points:
                breaks.append(len(points) - 1)
                work.append(False)
            points += list(pts)
            work += flags
            routes.append(route)
            s += n
    path = SweepPath(np.array(points), np.array(work, bool), float(bearing_deg % 360.0),
                     float(spacing_m), tuple(breaks))  # fmt: skip
    return routes, path


def _build(lines, free: FreeSpace, sites, fm, budget, item_limit, trigger_m):
    """The sortie over ``lines`` from the entry and site that make it shortest, if it fits."""
    best = None
    for flip in (False, True):
        run = _run(lines, flip)
        block: list[np.ndarray] = [run[0]]
        block_flags: list[bool] = []
        _append_block(block, block_flags, run, free)
        _, site = _cost_s(run, sites, fm)
        way_in = free.path(site.xy, tuple(run[0]))
        pts: list[np.ndarray] = [np.asarray(way_in[0], float)]
        flags: list[bool] = []
        _append_transit(pts, flags, way_in)
        n_in = len(pts)
        pts += block[1:]
        flags += block_flags
        n_block = len(pts)
        _append_transit(pts, flags, free.path(tuple(run[-1]), site.xy))
        t = fm.path_s(np.array(pts), halt_before_last=True)
        if t > budget or FIXED_ITEMS + len(pts) - 2 > item_limit:
            continue
        if best is None or t < best[0]:
            best = (t, site, pts, flags, n_in, n_block)
    if best is None:
        return None
    _, site, pts, flags, n_in, n_block = best
    steps: list = [Waypoint(*map(float, p)) for p in pts[1:n_in]]
    if trigger_m > 0:
        steps.append(CameraTrigger(trigger_m))
    steps += [Waypoint(*map(float, p)) for p in pts[n_in:n_block]]
    if trigger_m > 0:
        steps.append(CameraTrigger(0.0))
    steps += [Waypoint(*map(float, p)) for p in pts[n_block:-1]]
    return Route(site.id, tuple(map(float, site.xy)), tuple(steps)), pts, flags
