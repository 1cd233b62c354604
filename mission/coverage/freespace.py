"""Shortest flyable paths inside a region: the district minus grown no-fly zones and holes.

A visibility graph over the region's reflex corners gives exact Euclidean shortest paths in a
polygonal domain. Visibility is tested with one vectorised ``shapely.covers`` call per batch, so
building the graph for a district with a few no-fly zones takes milliseconds.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.polygon import orient

from mission.errors import PlanError
from mission.text import N_

__all__ = ["FreeSpace"]

Point2 = tuple[float, float]


def _polygons(region) -> list[Polygon]:
    if isinstance(region, Polygon):
        return [] if region.is_empty else [region]
    if isinstance(region, MultiPolygon):
        return [p for p in region.geoms if not p.is_empty]
    return [g for g in getattr(region, "geoms", []) if isinstance(g, Polygon) and not g.is_empty]


def reflex_corners(region) -> np.ndarray:
    """Corners where the free space turns more than 180°: the only places shortest paths bend."""
    out = []
    for poly in _polygons(region):
        poly = orient(poly, 1.0)
        for ring in (poly.exterior, *poly.interiors):
            pts = np.asarray(ring.coords)[:-1]
            if len(pts) < 3:
                continue
            prev, nxt = np.roll(pts, 1, axis=0), np.roll(pts, -1, axis=0)
            a, b = pts - prev, nxt - pts
            cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
            out.append(pts[cross < -1e-9])
    return np.concatenate(out) if out else np.empty((0, 2))


class FreeSpace:
    """Paths that stay inside ``region``; ``tolerance_m`` absorbs float noise along its edges."""

    def __init__(self, region, tolerance_m: float = 0.5):
        self.region = region
        self._inside = region.buffer(tolerance_m)
        shapely.prepare(self._inside)
        self.nodes = reflex_corners(region)
        n = len(self.nodes)
        self._adj = np.full((n, n), np.inf)
        if n:
            i, j = np.triu_indices(n, 1)
            ok = self.visible_many(self.nodes[i], self.nodes[j])
            d = np.hypot(*(self.nodes[i] - self.nodes[j]).T)
            self._adj[i[ok], j[ok]] = d[ok]
            self._adj[j[ok], i[ok]] = d[ok]

    def contains(self, p: Point2) -> bool:
        return bool(shapely.covers(self._inside, shapely.points(p)))

    def contains_many(self, points: np.ndarray) -> np.ndarray:
        """For each finite (x, y) row, whether it lies in the region (False for the others)."""
        p = np.asarray(points, float).reshape(-1, 2)
        out = np.zeros(len(p), bool)
        ok = np.isfinite(p).all(axis=1)
        out[ok] = shapely.covers(self._inside, shapely.points(p[ok]))
        return out

    def visible_many(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """For each row, whether the straight segment a→b stays in the region."""
        a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
        if len(a) == 0:
            return np.zeros(0, bool)
        same = np.all(np.abs(a - b) < 1e-9, axis=1)
        lines = shapely.linestrings(np.stack([a, np.where(same[:, None], b + 1e-6, b)], axis=1))
        return shapely.covers(self._inside, lines)

    def visible(self, a: Point2, b: Point2) -> bool:
        return bool(self.visible_many(np.array([a]), np.array([b]))[0])

    def path(self, a: Point2, b: Point2) -> list[Point2]:
        """Shortest path a→b as a list of points (both ends included)."""
        a, b = (float(a[0]), float(a[1])), (float(b[0]), float(b[1]))
        if self.visible(a, b):
            return [a, b]
        paths, _ = self._from(a, [b])
        return paths[0]

    def length(self, a: Point2, b: Point2) -> float:
        pts = np.asarray(self.path(a, b))
        return float(np.hypot(*np.diff(pts, axis=0).T).sum())

    def all_pairs(self, points: list[Point2]) -> tuple[np.ndarray, dict[tuple[int, int], list]]:
        """Distance matrix and paths between every pair of ``points`` (used for patrol routing)."""
        m = len(points)
        dist = np.zeros((m, m))
        paths: dict[tuple[int, int], list[Point2]] = {}
        for s in range(m):
            ps, ds = self._from(points[s], points)
            for t in range(m):
                dist[s, t] = ds[t]
                paths[(s, t)] = ps[t]
        return dist, paths

    def spread(self, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Dijkstra over the corners from ``seeds`` (each corner's distance from a source that
        sees it, ``inf`` where it does not): every corner's shortest distance from the source and
        the corner before it on that path (-1: straight from the source, or unreached).

        A caller that judges what the source sees by other rules seeds it itself; the graph
        between corners is always this region's."""
        n = len(self.nodes)
        dist = np.array(seeds, float).reshape(n)
        prev = np.full(n, -1)
        done = np.zeros(n, bool)
        for _ in range(n):
            cand = np.where(done, np.inf, dist)
            u = int(np.argmin(cand))
            if not np.isfinite(cand[u]):
                break
            done[u] = True
            alt = dist[u] + self._adj[u]
            better = alt < dist
            dist[better] = alt[better]
            prev[better] = u
        return dist, prev

    def _from(self, a: Point2, targets: list[Point2]) -> tuple[list[list[Point2]], list[float]]:
        """Dijkstra from ``a`` over the corners to each target (dense, the graph is small)."""
        n = len(self.nodes)
        tgt = np.asarray(targets, float).reshape(-1, 2)
        src = np.asarray(a, float)[None, :]
        if not self.contains(a):
            raise PlanError(
                N_(
                    "point ({x:.0f}, {y:.0f}) m is outside the flyable area; move it inside the "
                    "district and away from no-fly zones",
                    x=a[0],
                    y=a[1],
                )
            )
        src_vis = self.visible_many(np.repeat(src, n, 0), self.nodes) if n else np.zeros(0, bool)
        dist, prev = self.spread(np.where(src_vis, np.hypot(*(self.nodes - src).T), np.inf))
        paths, lengths = [], []
        for t in tgt:
            tp = (float(t[0]), float(t[1]))
            direct = np.hypot(*(t - src[0]))
            if direct < 1e-9 or self.visible(a, tp):
                paths.append([a, tp])
                lengths.append(float(direct))
                continue
            vis = self.visible_many(self.nodes, np.repeat(t[None, :], n, 0)) if n else []
            best, via = np.inf, -1
            if n:
                total = dist + np.where(vis, np.hypot(*(self.nodes - t).T), np.inf)
                via = int(np.argmin(total))
                best = total[via]
            if not np.isfinite(best):
                raise PlanError(
                    N_(
                        "no flyable path from ({x:.0f}, {y:.0f}) to ({to_x:.0f}, {to_y:.0f}) m: no-fly "
                        "zones cut the area apart; reduce --margin or pick another launch site",
                        x=a[0],
                        y=a[1],
                        to_x=tp[0],
                        to_y=tp[1],
                    )
                )
            chain = []
            while via != -1:
                chain.append((float(self.nodes[via][0]), float(self.nodes[via][1])))
                via = prev[via]
            paths.append([a, *reversed(chain), tp])
            lengths.append(float(best))
        return paths, lengths
