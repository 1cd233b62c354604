"""The failsafe return: the way ArduCopter flies home when the ground link or the battery fails.

RTL goes to the closest rally point by straight-line distance (``AP_Rally``:
``RALLY_LIMIT_KM = 0``; home instead when it is strictly closer, as ``RALLY_INCL_HOME`` defaults
to 1 on Copter, or when there is no rally point). With ``OA_TYPE = 2`` it flies Dijkstra's
shortest path round the fence's exclusion polygons (``AP_OADijkstra`` through ``AC_WPNav_OA``),
which is longer than the straight line, and there may be none at all. The low-battery failsafe
fires at the reserve, so that path must fit in what the reserve flies.

This module models that path in district metres (``district.frame``), the way the planner's own
legs are checked:

- the free space is the district shrunk by the margin, less the no-fly zones and the district's
  holes grown by it (mitred, as ``coverage.area.grown_no_fly``: few vertices, and a superset of
  the round buffer). Shortest paths in it come from ``coverage.freespace.FreeSpace``, a
  visibility graph over its reflex corners with Dijkstra; the straight line when that is clear.
- ArduPilot's graph differs a little: it moves each zone vertex out by the margin along its
  bisector and tests legs against the zones themselves, so it cuts corners (10.6 m from a zone
  in SITL, 15 m x cos 45 deg) and flies straight past a zone it only grazes. The path here keeps
  the whole margin, so it is as long as the flown one or a little longer: the safe side for a
  reserve check.
- an end of the return inside a margin (a route point near the district edge, a launch site near
  a zone) joins the graph as ArduPilot joins it: by legs that stay in the district and cross no
  zone itself. So a rally point inside a zone's margin is reached.
- an end inside a no-fly zone itself, or outside the district, has no return: every leg out of it
  crosses the fence, Dijkstra reports "could not find path", and the copter stops and hovers
  where it is (``AC_WPNav_OA`` on ``OA_ERROR``). That includes a rally point placed inside a
  zone: ArduPilot still picks it when it is the closest one.

The free space and the distances from each rally point are built once per district geometry and
margin and kept (a small cache keyed by the geometry itself, so a plan's hundred sorties share
it); after that the returns from a sortie's few hundred route points cost a few vectorised
``shapely.covers`` calls (about 2 ms).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from mission.coverage.area import MITRE, grown_no_fly
from mission.coverage.freespace import FreeSpace
from mission.limits import NO_FLY_MARGIN_M
from mission.model import District

__all__ = [
    "Point2",
    "as_point",
    "ReturnSpace",
    "FailsafeReturn",
    "return_space",
    "shortest_path",
    "closest_target",
    "closest_targets",
    "failsafe_return",
]

Point2 = tuple[float, float]

TOLERANCE_M = 0.5  # float noise along the free space's edges (as FreeSpace's own)
_CACHED = 8  # districts x margins kept; a plan uses one
_TARGETS = 64  # prepared targets kept per space


@dataclass(frozen=True)
class _Target:
    """One return target, prepared: where it is, whether a return can end there, and every
    corner's shortest distance to it (with the next corner on the way, -1: straight there)."""

    xy: np.ndarray
    reachable: bool
    in_free: bool
    dist: np.ndarray
    prev: np.ndarray


class ReturnSpace:
    """Where failsafe returns fly in one district at one margin: the free space's visibility
    graph, the fence ArduPilot tests the ends of a return against, and prepared targets."""

    def __init__(self, district: District, margin_m: float = NO_FLY_MARGIN_M):
        grown = grown_no_fly(district, margin_m)  # refuses a margin out of range
        inner = district.boundary.buffer(-margin_m, **MITRE) if margin_m else district.boundary
        self.margin_m = float(margin_m)
        self.free = FreeSpace(inner.difference(grown), TOLERANCE_M)
        zones = [z.shape for z in district.no_fly]
        fence = (
            district.boundary.difference(shapely.union_all(zones)) if zones else district.boundary
        )
        self.fence = FreeSpace(fence, TOLERANCE_M)  # for legs with an end inside a margin
        self._targets: dict[Point2, _Target] = {}
        self._lock = threading.Lock()

    @property
    def corners(self) -> np.ndarray:
        """The graph's vertices: reflex corners of the free space, (n, 2) metres."""
        return self.free.nodes

    def in_free(self, points) -> np.ndarray:
        """Per point: inside the free space (the district less every margin)."""
        return self.free.contains_many(_points(points))

    def placed(self, points) -> np.ndarray:
        """Per point: a place a return can start from or end at (finite, inside the district,
        outside every no-fly zone itself; a margin is allowed)."""
        return self.fence.contains_many(_points(points))

    def lengths(self, starts, target: Point2) -> np.ndarray:
        """Length of the shortest return from each start to ``target`` (metres); ``inf`` where
        there is none."""
        return self._solve(_points(starts), self._target(target))[0]

    def path(self, start: Point2, target: Point2) -> tuple[Point2, ...] | None:
        """The shortest return from ``start`` to ``target`` (both ends included), or None when
        there is none. Exactly the straight line when that is clear."""
        t = self._target(target)
        p = _points([start])
        lengths, via = self._solve(p, t)
        if not math.isfinite(lengths[0]):
            return None
        a, b = as_point(p[0]), as_point(t.xy)
        chain = []
        k = int(via[0])
        while k >= 0:
            chain.append(as_point(self.free.nodes[k]))
            k = int(t.prev[k])
        return (a, *chain, b)

    def _target(self, target: Point2) -> _Target:
        key = (float(target[0]), float(target[1]))
        with self._lock:
            known = self._targets.get(key)
        if known is not None:
            return known
        xy = np.asarray(key)
        nodes = self.free.nodes
        n = len(nodes)
        reachable = bool(self.placed([key])[0])
        in_free = bool(self.in_free([key])[0])
        seeds = np.full(n, np.inf)
        if reachable and n:
            sees = self._visible(np.repeat(xy[None, :], n, 0), nodes, np.full(n, in_free))
            seeds[sees] = np.hypot(*(nodes[sees] - xy).T)
        dist, prev = self.free.spread(seeds)
        made = _Target(xy, reachable, in_free, dist, prev)
        with self._lock:
            if len(self._targets) >= _TARGETS:  # rally points repeat; arbitrary targets need not
                self._targets.clear()
            self._targets[key] = made
        return made

    def _visible(self, a: np.ndarray, b: np.ndarray, free: np.ndarray) -> np.ndarray:
        """Per row, whether the leg a→b may be flown: through the free space where ``free``, else
        (an end inside a margin) inside the district and across no zone itself, as ArduPilot
        tests it."""
        out = np.zeros(len(a), bool)
        if free.any():
            out[free] = self.free.visible_many(a[free], b[free])
        if (~free).any():
            out[~free] = self.fence.visible_many(a[~free], b[~free])
        return out

    def _solve(self, p: np.ndarray, t: _Target) -> tuple[np.ndarray, np.ndarray]:
        """Lengths from each start to ``t`` and the first corner on the way (-1: straight)."""
        m = len(p)
        lengths = np.full(m, np.inf)
        via = np.full(m, -1)
        if not t.reachable or m == 0:
            return lengths, via
        ok = self.placed(p)
        free = self.in_free(p)
        rows = np.flatnonzero(ok)
        straight = np.hypot(*(p[rows] - t.xy).T)
        direct = self._visible(p[rows], np.repeat(t.xy[None, :], len(rows), 0),
                               free[rows] & t.in_free)  # fmt: skip
        lengths[rows[direct]] = straight[direct]
        rest = rows[~direct]
        nodes = self.free.nodes
        n = len(nodes)
        if not len(rest) or not n:
            return lengths, via
        # Through the corner that minimises leg + corner's distance to the target, among those
        # the start sees: try each start's corners in that order, and the first one it sees
        # is the best (usually the first or second, so few legs are tested).
        legs = np.hypot(p[rest, None, 0] - nodes[None, :, 0], p[rest, None, 1] - nodes[None, :, 1])
        total = legs + t.dist[None, :]
        order = np.argsort(total, axis=1)
        open_ = np.arange(len(rest))
        for r in range(n):
            j = order[open_, r]
            cost = total[open_, j]
            live = np.isfinite(cost)
            open_, j, cost = open_[live], j[live], cost[live]
            if not len(open_):
                break
            sees = self._visible(p[rest[open_]], nodes[j], free[rest[open_]])
            lengths[rest[open_[sees]]] = cost[sees]
            via[rest[open_[sees]]] = j[sees]
            open_ = open_[~sees]
        return lengths, via


def _points(points) -> np.ndarray:
    return np.asarray(points, float).reshape(-1, 2)


def as_point(p) -> Point2:
    """``p``'s first two coordinates as floats."""
    return (float(p[0]), float(p[1]))


_SPACES: OrderedDict[tuple, ReturnSpace] = OrderedDict()
_SPACES_LOCK = threading.Lock()


def return_space(district: District, margin_m: float = NO_FLY_MARGIN_M) -> ReturnSpace:
    """The district's ``ReturnSpace`` at ``margin_m``, built once per geometry: every sortie of a
    plan checks its returns against the same graph. Keyed by the boundary and zones themselves
    (WKB), so an equal district read twice shares it and a changed one never does."""
    key = (
        float(margin_m),
        shapely.to_wkb(district.boundary),
        tuple(shapely.to_wkb(z.shape) for z in district.no_fly),
    )
    with _SPACES_LOCK:
        space = _SPACES.get(key)
        if space is not None:
            _SPACES.move_to_end(key)
            return space
    space = ReturnSpace(district, margin_m)
    with _SPACES_LOCK:
        _SPACES[key] = space
        while len(_SPACES) > _CACHED:
            _SPACES.popitem(last=False)
    return space


def shortest_path(
    district: District, start: Point2, target: Point2, *, margin_m: float = NO_FLY_MARGIN_M
) -> tuple[Point2, ...] | None:
    """The shortest way from ``start`` to ``target`` (metres) that keeps ``margin_m`` from every
    no-fly zone and hole and stays that far inside the district (ends inside a margin join it as
    ArduPilot joins them); None when there is none, or an end is not a finite place."""
    return return_space(district, margin_m).path(start, target)


def closest_target(start: Point2, rally: Sequence[Point2], home: Point2 | None = None) -> int:
    """Which return target ArduPilot picks from ``start``: the index of the closest rally point
    by straight distance (the first of equals), or ``len(rally)`` for home when it is strictly
    closer or there is no rally point; -1 when there is neither, or ``start`` is not finite."""
    return int(closest_targets([start], rally, home)[0])


def closest_targets(starts, rally: Sequence[Point2], home: Point2 | None = None) -> np.ndarray:
    """``closest_target`` for many starts at once, (n, 2) metres."""
    p = _points(starts)
    out = np.full(len(p), -1)
    ok = np.isfinite(p).all(axis=1)
    r = _points(rally)
    nearest = np.full(len(p), np.inf)
    if len(r):
        d = np.hypot(p[:, None, 0] - r[None, :, 0], p[:, None, 1] - r[None, :, 1])
        d = np.where(np.isfinite(d), d, np.inf)  # a rally point that is no place is never picked
        best = np.argmin(d, axis=1)  # the first of equals, as AP_Rally's strict "<"
        nearest = d[np.arange(len(p)), best]
        picked = ok & np.isfinite(nearest)
        out[picked] = best[picked]
    if home is not None and math.isfinite(home[0]) and math.isfinite(home[1]):
        to_home = np.hypot(p[:, 0] - home[0], p[:, 1] - home[1])
        out[ok & (to_home < nearest)] = len(r)
    return out


@dataclass(frozen=True)
class FailsafeReturn:
    """The return ArduPilot flies from ``start``: to ``targets[target]`` along ``path``."""

    start: Point2
    target: int
    path: tuple[Point2, ...]
    length_m: float
    straight_m: float

    @property
    def detour_m(self) -> float:
        """What the way round the zones adds to the straight line."""
        return self.length_m - self.straight_m


def failsafe_return(
    district: District,
    start: Point2,
    rally: Sequence[Point2],
    *,
    home: Point2 | None = None,
    margin_m: float = NO_FLY_MARGIN_M,
) -> FailsafeReturn | None:
    """The failsafe return from ``start``: the closest of ``rally`` (or ``home``, see
    ``closest_target``) by straight distance, as ArduPilot chooses it, and the shortest path
    round the zones to it. None when there is no path (the copter would stop and hover), when
    there is nowhere to return to, or when ``start`` is not a finite place. ``target`` indexes
    ``[*rally, home]``."""
    k = closest_target(start, rally, home)
    if k < 0:
        return None
    target = tuple(rally[k]) if k < len(rally) else home
    path = return_space(district, margin_m).path(start, target)
    if path is None:
        return None
    pts = np.asarray(path)
    length = float(np.hypot(*np.diff(pts, axis=0).T).sum())
    straight = math.hypot(target[0] - start[0], target[1] - start[1])
    return FailsafeReturn(as_point(start), k, path, length, straight)
