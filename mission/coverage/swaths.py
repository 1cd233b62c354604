"""Parallel sweep lines clipped to a region, and their grouping into boustrophedon blocks.

The region is rotated so that sweep lines are horizontal; one vectorised ``shapely.intersection``
clips every line at once. Consecutive intervals that overlap one-to-one form a block that can be
flown back and forth without a long transit (a boustrophedon cell).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["Swaths", "rotate", "swaths", "math_angle"]

MIN_INTERVAL_M = 0.5


def math_angle(bearing_deg: float) -> float:
    """Sweep bearing (clockwise from north, as QGC's survey angle) -> radians from +x."""
    return math.radians(90.0 - bearing_deg)


def rotate(pts: np.ndarray, theta: float) -> np.ndarray:
    """Rotate points counter-clockwise by ``theta`` radians about the origin."""
    c, s = math.cos(theta), math.sin(theta)
    return np.asarray(pts, float) @ np.array([[c, s], [-s, c]])


@dataclass(frozen=True)
class Swaths:
    """Intervals [x0, x1] on horizontal lines ``y`` of the rotated frame, grouped into blocks."""

    theta: float
    y: np.ndarray
    x0: np.ndarray
    x1: np.ndarray
    line: np.ndarray
    blocks: tuple[tuple[int, ...], ...]

    @property
    def total_length(self) -> float:
        return float((self.x1 - self.x0).sum())

    def endpoints(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Left and right ends of interval k in the original (unrotated) frame."""
        pts = np.array([[self.x0[k], self.y[k]], [self.x1[k], self.y[k]]])
        left, right = rotate(pts, self.theta)
        return left, right


def swaths(region, theta: float, spacing_m: float) -> Swaths:
    """The fewest lines at most ``spacing_m`` apart across ``region``, spread evenly, the outer
    ones half a gap from its edge; the spare width goes into overlap, not into an extra line."""
    rot = shapely.transform(region, lambda c: rotate(c, -theta))
    xmin, ymin, xmax, ymax = rot.bounds
    height = ymax - ymin
    n = max(1, math.ceil(height / spacing_m - 1e-9))
    ys = ymin + (np.arange(n) + 0.5) * (height / n)  # evenly spread: no gap wider than asked
    coords = np.empty((n, 2, 2))
    coords[:, 0, 0], coords[:, 1, 0] = xmin - 1.0, xmax + 1.0
    coords[:, :, 1] = ys[:, None]
    clipped = shapely.intersection(shapely.linestrings(coords), rot)
    parts, idx = shapely.get_parts(clipped, return_index=True)
    keep = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > MIN_INTERVAL_M)
    parts, idx = parts[keep], idx[keep]
    b = shapely.bounds(parts)
    order = np.lexsort((b[:, 0], idx))
    idx, x0, x1 = idx[order], b[order, 0], b[order, 2]
    return Swaths(theta, ys[idx], x0, x1, idx, _blocks(idx, x0, x1))


def _blocks(line: np.ndarray, x0: np.ndarray, x1: np.ndarray) -> tuple[tuple[int, ...], ...]:
    """Chain intervals whose neighbours on the next line overlap them one-to-one."""
    m = len(line)
    starts = np.searchsorted(line, np.arange(line.max() + 2)) if m else np.zeros(1, int)
    nxt = np.full(m, -1)
    n_prev = np.zeros(m, int)
    n_next = np.zeros(m, int)
    cand_next: list[list[int]] = [[] for _ in range(m)]
    for k in range(m):
        j0, j1 = starts[line[k] + 1], starts[min(line[k] + 2, len(starts) - 1)]
        for j in range(j0, j1):
            if x0[j] < x1[k] and x0[k] < x1[j]:
                cand_next[k].append(j)
                n_prev[j] += 1
        n_next[k] = len(cand_next[k])
    has_prev = np.zeros(m, bool)
    for k in range(m):
        if n_next[k] == 1 and n_prev[cand_next[k][0]] == 1:
            nxt[k] = cand_next[k][0]
            has_prev[nxt[k]] = True
    blocks = []
    for k in range(m):
        if has_prev[k]:
            continue
        chain = [k]
        while nxt[chain[-1]] != -1:
            chain.append(int(nxt[chain[-1]]))
        blocks.append(tuple(chain))
    return tuple(blocks)
