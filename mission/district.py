"""Which grid cell a point is in, for many points at once.

Telemetry tags every position and alerts route to a cell's ground team, so the lookup runs on
arrays: one pyproj call to metres, then one STRtree query for all points.
"""

from __future__ import annotations

import numpy as np
import shapely

from mission.model import Cell, District

__all__ = ["CellIndex"]


class CellIndex:
    """Point-to-cell lookup over a district's cells; 0 means "in no cell"."""

    def __init__(self, district: District):
        self.district = district
        self._cells = district.cells
        self._ids = np.array([c.id for c in district.cells], dtype=np.int64)
        self._tree = shapely.STRtree([c.shape for c in district.cells])

    def lookup(self, lon, lat) -> np.ndarray:
        """Cell ids for WGS84 points (scalars or arrays of degrees)."""
        x, y = self.district.frame.to_metric(np.asarray(lon, float), np.asarray(lat, float))
        return self.lookup_xy(x, y)

    def lookup_xy(self, x, y) -> np.ndarray:
        """Cell ids for points in the district's local metres."""
        points = shapely.points(np.atleast_1d(x), np.atleast_1d(y))
        none = np.iinfo(np.int64).max
        result = np.full(len(points), none, dtype=np.int64)
        if len(self._ids):
            point_idx, cell_idx = self._tree.query(points, predicate="intersects")
            # A point on a shared edge matches two cells; the lower id wins, deterministically.
            np.minimum.at(result, point_idx, self._ids[cell_idx])
        result[result == none] = 0
        return result

    def cell_at(self, lon: float, lat: float) -> Cell | None:
        cid = int(self.lookup(lon, lat)[0])
        return self.district.cell(cid) if cid else None
