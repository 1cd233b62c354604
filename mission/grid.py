"""Splitting a district into N grid cells of near-equal area, numbered row by row from the NW.

Cells are cut as equal-area horizontal strips, each split into equal-area columns, so every cell
gets ``area / N`` by construction even in a concave district. Where a cut leaves a cell in several
pieces (a bay of a concave boundary), the smaller pieces are slivers merged into the neighbour they
share the longest edge with, so every cell is one polygon and the union still equals the district.
"""

from __future__ import annotations

import math

import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from mission.errors import DistrictError

__all__ = ["grid_cells"]

_BISECT_STEPS = 60


def grid_cells(boundary: Polygon, n: int) -> list[Polygon]:
    """N cells tiling ``boundary`` (metres), ordered row by row from the north-west."""
    if n < 1:
        raise DistrictError(f"--cells {n}: the number of cells must be at least 1")
    if boundary.is_empty or boundary.area <= 0:
        raise DistrictError("the district boundary has no area; check its coordinates")
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
    return _merge_slivers(cells)


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
    raise DistrictError("could not make every grid cell a single polygon; try another --cells")


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
