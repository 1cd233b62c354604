"""WGS84 longitude/latitude <-> local metres in the district's UTM zone.

All planning geometry is metric: distances, spacings and areas are wrong in raw degrees. One
``LocalFrame`` is chosen per district and shared by everything that plans or measures in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

__all__ = ["LocalFrame", "utm_epsg"]


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS84 UTM zone that contains the point."""
    zone = int(math.floor((lon + 180.0) / 6.0)) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


@dataclass(frozen=True)
class LocalFrame:
    """A metric projection (UTM) for one district; converts arrays at pyproj's vectorised speed."""

    epsg: int
    _fwd: Transformer = field(init=False, repr=False, compare=False)
    _inv: Transformer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        crs = CRS.from_epsg(self.epsg)
        object.__setattr__(self, "_fwd", Transformer.from_crs(4326, crs, always_xy=True))
        object.__setattr__(self, "_inv", Transformer.from_crs(crs, 4326, always_xy=True))

    @classmethod
    def around(cls, lon: float, lat: float) -> LocalFrame:
        return cls(utm_epsg(lon, lat))

    def to_metric(self, lon, lat):
        """(lon, lat) degrees -> (x, y) metres; scalars or numpy arrays."""
        return self._fwd.transform(lon, lat)

    def to_lonlat(self, x, y):
        """(x, y) metres -> (lon, lat) degrees; scalars or numpy arrays."""
        return self._inv.transform(x, y)

    def geom_to_metric(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, self._transform_fwd)

    def geom_to_lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, self._transform_inv)

    def _transform_fwd(self, coords: np.ndarray) -> np.ndarray:
        x, y = self._fwd.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def _transform_inv(self, coords: np.ndarray) -> np.ndarray:
        lon, lat = self._inv.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])
