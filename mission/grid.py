"""Splitting a district into N grid cells of near-equal area, numbered row by row from the NW.

Cells are cut as equal-area horizontal strips, each split into equal-area columns, so every cell
gets ``area / N`` by construction even in a concave district. Where a cut leaves a cell in several
pieces (a bay of a concave boundary, a hole), the smaller pieces are merged into the neighbour they
share the longest edge with, so every cell is one polygon and the union still equals the district.

Those merges make cells unequal (up to 4x on concave districts with holes), so a last pass evens
them out: the most unequal pair of neighbours is re-cut along a straight line into two halves of
their union, as long as both halves stay single polygons, until the largest cell is within
``BALANCE`` times the smallest. A re-cut only moves the boundary the two cells share, so the union
is still the district and no two cells overlap.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from mission.errors import DistrictError
from mission.text import N_

__all__ = ["grid_cells"]

_BISECT_STEPS = 60
MAX_CELLS = 1000
BALANCE = 1.5  # the pass stops once max/min cell area is at most this (the promise is 2.0)
_CUT_TURNS_DEG = (0.0, 30.0, -30.0, 60.0, -60.0, 90.0)


def grid_cells(boundary: Polygon, n: int) -> list[Polygon]:
    """N cells tiling ``boundary`` (metres), ordered row by row from the north-west."""
    if not 1 <= n <= MAX_CELLS:  # each cell is cut by bisection: 100000 ran for hours
        raise DistrictError(N_("--cells {n}: the number of cells must be in 1..{most}", n=n,
                               most=MAX_CELLS))  # fmt: skip
    if boundary.is_empty or boundary.area <= 0:
        raise DistrictError(N_("the district boundary has no area; check its coordinates"))
    minx, miny, maxx, maxy = boundary.bounds
    width, height = maxx - minx, maxy - miny
    rows = max(1, min(n, round(math.sqrt(n * height / width))))
    per_row = [n // rows + (1 if r < n % rows else 0) for r in range(rows)]

    cells: list[Polygon | MultiPolygon] = []
    strip_cuts = _equal_area_cuts(boundary, [k / n for k in _cumulative(per_row)], axis=1)
    # Strips run north to south: y cuts are taken from the top down.
    for r, count in enumerate(per_row):
        top, bottom = strip_cuts[r], strip_cuts[r + 1]
        strip = boundary.intersection(box(minx - 1, bottom, maxx + 1, top))
        col_cuts = _equal_area_cuts(strip, [(k + 1) / count for k in range(count - 1)], axis=0)
        for c in range(count):
            left, right = col_cuts[c], col_cuts[c + 1]
            cells.append(_polygonal(strip.intersection(box(left, bottom - 1, right, top + 1))))
    return _balance(_merge_slivers(cells))


def _cumulative(counts: list[int]) -> list[int]:
    total, out = 0, []
    for c in counts[:-1]:
        total += c
        out.append(total)
    return out


def _equal_area_cuts(geom, fractions: list[float], axis: int) -> list[float]:
    """Cut positions along ``axis`` so each slab holds the given cumulative area fractions.

    For axis 1 (y) the slabs are taken from the north: positions come out descending.
    """
    minx, miny, maxx, maxy = geom.bounds
    total = geom.area
    lo_bound, hi_bound = (minx, maxx) if axis == 0 else (miny, maxy)

    def area_before(pos: float) -> float:
        if axis == 0:
            slab = box(minx - 1, miny - 1, pos, maxy + 1)
        else:
            slab = box(minx - 1, pos, maxx + 1, maxy + 1)
        return geom.intersection(slab).area

    cuts = []
    for frac in fractions:
        target = frac * total
        lo, hi = lo_bound, hi_bound
        for _ in range(_BISECT_STEPS):
            mid = 0.5 * (lo + hi)
            before = area_before(mid)
            grows_with_pos = axis == 0
            if (before < target) == grows_with_pos:
                lo = mid
            else:
                hi = mid
        cuts.append(0.5 * (lo + hi))
    if axis == 0:
        return [lo_bound - 1, *cuts, hi_bound + 1]
    return [hi_bound + 1, *cuts, lo_bound - 1]


def _polygonal(geom) -> Polygon | MultiPolygon:
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon) and g.area > 0]
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


def _merge_slivers(cells: list[Polygon | MultiPolygon]) -> list[Polygon]:
    """Give every piece but the largest of a cell to the neighbour sharing the longest edge."""
    for _ in range(len(cells) + 1):
        moved = False
        for i, cell in enumerate(cells):
            if isinstance(cell, Polygon):
                continue
            parts = sorted(shapely.get_parts(cell), key=lambda p: p.area, reverse=True)
            cells[i] = parts[0]
            for piece in parts[1:]:
                target = _best_neighbour(piece, cells, exclude=i)
                if target is None:
                    cells[i] = _polygonal(shapely.union(cells[i], piece))
                    continue
                cells[target] = _polygonal(shapely.union(cells[target], piece))
            moved = True
        if not moved:
            return [c for c in cells if not c.is_empty]
    raise DistrictError(N_("could not make every grid cell a single polygon; try another --cells"))


def _best_neighbour(piece: Polygon, cells, exclude: int) -> int | None:
    best, best_len = None, 0.0
    edge = piece.boundary
    for j, other in enumerate(cells):
        if j == exclude or other.is_empty:
            continue
        shared = edge.intersection(other.buffer(1e-6)).length
        if shared > best_len:
            best, best_len = j, shared
    return best


def _balance(cells: list[Polygon]) -> list[Polygon]:
    """Re-cut unequal neighbours into equal halves until max/min area is within ``BALANCE``."""
    if len(cells) < 2:
        return cells
    tree = shapely.STRtree(cells)
    left, right = tree.query(cells, predicate="intersects")
    pairs = [
        (int(i), int(j))
        for i, j in zip(left, right, strict=True)
        if i < j and _shared_length(cells[int(i)], cells[int(j)]) > 1e-6
    ]
    failed: set[tuple[int, int]] = set()
    for _ in range(40 * len(cells)):
        areas = [c.area for c in cells]
        if max(areas) <= BALANCE * min(areas):
            break
        candidates = sorted(
            (p for p in pairs if p not in failed),
            key=lambda p: max(areas[p[0]], areas[p[1]]) / min(areas[p[0]], areas[p[1]]),
            reverse=True,
        )
        for i, j in candidates:
            ratio = max(areas[i], areas[j]) / min(areas[i], areas[j])
            if ratio <= 1.05:
                return cells
            halves = _halve(cells[i], cells[j])
            if halves is None:
                failed.add((i, j))
                continue
            cells[i], cells[j] = halves
            failed.clear()
            break
        else:
            break
    return cells


def _shared_length(a: Polygon, b: Polygon) -> float:
    return a.boundary.intersection(b.boundary).length


def _halve(a: Polygon, b: Polygon) -> tuple[Polygon, Polygon] | None:
    """``a`` and ``b`` re-cut by a straight line into two single polygons of equal area, the
    half nearer ``a``'s centroid for ``a``; None if no tried direction keeps both in one piece."""
    union = shapely.union(a, b)
    ca, cb = np.array(a.centroid.coords[0]), np.array(b.centroid.coords[0])
    base = math.atan2(*(cb - ca)[::-1]) if np.linalg.norm(cb - ca) > 1e-9 else 0.0
    for turn in _CUT_TURNS_DEG:
        angle = base + math.radians(turn)
        d = np.array([math.cos(angle), math.sin(angle)])
        near = _half_plane_cut(union, d)
        far = _polygonal(union.difference(near))
        near = _polygonal(near)
        if isinstance(near, Polygon) and isinstance(far, Polygon) and _tiles(union, near, far):
            if np.dot(np.array(near.centroid.coords[0]) - ca, d) > np.dot(
                np.array(far.centroid.coords[0]) - ca, d
            ):
                near, far = far, near
            return near, far
    return None


def _tiles(whole: Polygon, a: Polygon, b: Polygon) -> bool:
    """``a`` and ``b`` cover ``whole`` without overlapping. GEOS's overlay can get this wrong: a
    star-shaped district's pair once came back as two halves overlapping by the whole of one."""
    slack = 1e-9 * whole.area + 1e-6
    return a.intersection(b).area <= slack and abs(a.area + b.area - whole.area) <= slack


def _half_plane_cut(geom, d: np.ndarray):
    """The part of ``geom`` with ``p . d <= t``, where ``t`` halves its area."""
    coords = shapely.get_coordinates(geom)
    proj = coords @ d
    lo, hi = float(proj.min()), float(proj.max())
    e = np.array([-d[1], d[0]])
    reach = float(np.abs(coords - coords.mean(axis=0)).max()) * 4 + 10.0
    mid = coords.mean(axis=0)

    def half(t: float):
        c0 = mid + d * (t - float(mid @ d))
        quad = [c0 + e * reach, c0 - e * reach, c0 - e * reach - d * reach * 2,
                c0 + e * reach - d * reach * 2]  # fmt: skip
        return geom.intersection(Polygon(quad))

    target = geom.area / 2
    for _ in range(_BISECT_STEPS):
        t = 0.5 * (lo + hi)
        if half(t).area < target:
            lo = t
        else:
            hi = t
    return half(0.5 * (lo + hi))
