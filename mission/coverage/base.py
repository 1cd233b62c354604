"""The coverage planner interface and the sweep path it returns.

Planners are interchangeable (Fields2Cover style): each takes a target region in local metres, a
line spacing and an optional angle, and returns a ``SweepPath`` whose legs are flagged as work
(camera on, over the area) or transit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = ["SweepPath", "CoveragePlanner"]


@dataclass(frozen=True)
class SweepPath:
    """Waypoints in local metres; ``work[i]`` tells whether leg i→i+1 is a sweep line.

    ``breaks`` lists the legs i→i+1 that are not flown: the gap between one sortie's landing and
    the next one's take-off, when the path holds several sorties (each from launch to launch).
    """

    points: np.ndarray
    work: np.ndarray
    angle_deg: float
    spacing_m: float
    breaks: tuple[int, ...] = ()

    @property
    def length_m(self) -> float:
        if len(self.points) < 2:
            return 0.0
        legs = np.hypot(*np.diff(self.points, axis=0).T)
        legs[list(self.breaks)] = 0.0
        return float(legs.sum())

    def pieces(self) -> list[np.ndarray]:
        """The flown polylines: the whole path, or one per sortie when it has breaks."""
        cuts = [0, *(b + 1 for b in self.breaks), len(self.points)]
        return [self.points[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if b - a >= 2]

    @property
    def turns(self) -> int:
        return max(len(self.points) - 2, 0)

    @property
    def lines(self) -> int:
        return int(np.count_nonzero(self.work))


class CoveragePlanner(Protocol):
    def plan(
        self,
        region,
        spacing_m: float,
        angle_deg: float | None = None,
        start: tuple[float, float] | None = None,
    ) -> SweepPath:
        """Cover ``region`` (shapely, metres) with lines ``spacing_m`` apart."""
        ...
