"""Reading one district feature's geometry and properties, each failure one line with the fix.

The district file comes from outside: every position, ring and property is checked before any
geometry work, and a bad one is named with its feature and what to write instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import shapely
from shapely.geometry import Point, Polygon
from shapely.validation import explain_validity

from mission.errors import DistrictError
from mission.text import N_

__all__ = ["FeatureReader", "GEOMETRY_BY_KIND"]

GEOMETRY_BY_KIND = {
    "district": ("Polygon",),
    "cell": ("Polygon",),
    "key_area": ("Polygon", "Point"),
    "no_fly": ("Polygon",),
    "launch_site": ("Point",),
    "privacy_zone": ("Polygon",),
}


class FeatureReader:
    """Checked reads of a feature's geometry and properties; ``fail`` builds the one-line error."""

    def __init__(self, source: str, crs: str):
        self.source = source
        self.crs = crs

    def fail(self, where: str, problem: str) -> DistrictError:
        return DistrictError(
            N_("{source}: {where}: {problem}", source=self.source, where=where, problem=problem)
        )

    # -- geometry -------------------------------------------------------------------------

    def geometry(self, where: str, kind: str, geom: Any):
        if not isinstance(geom, dict) or "type" not in geom:
            raise self.fail(where, "missing geometry; add a GeoJSON geometry object")
        allowed = GEOMETRY_BY_KIND[kind]
        if geom["type"] not in allowed:
            raise self.fail(
                where,
                f"geometry {geom['type']} is not allowed for {kind}; use {' or '.join(allowed)}",
            )
        coords = geom.get("coordinates")
        if geom["type"] == "Point":
            self.position(where, coords)
            return Point(coords[0], coords[1])
        if not isinstance(coords, list) or not coords:
            raise self.fail(where, "polygon has no rings; give [[lon, lat], ...] rings")
        for ring_no, ring in enumerate(coords):
            label = "outer ring" if ring_no == 0 else f"hole {ring_no}"
            if not isinstance(ring, list) or len(ring) < 4:
                raise self.fail(where, f"{label} needs at least 4 positions (a closed triangle)")
            for pos in ring:
                self.position(where, pos)
            if list(ring[0][:2]) != list(ring[-1][:2]):
                raise self.fail(
                    where, f"{label} is not closed; repeat the first position at the end"
                )
        # from the positions checked above, in 2-D: a third value on some positions only (or a
        # fourth) would make shapely raise on the ragged array
        flat = [[(float(pos[0]), float(pos[1])) for pos in ring] for ring in coords]
        poly = Polygon(flat[0], flat[1:])
        if not poly.is_valid:
            reason = explain_validity(poly)
            if "Self-intersection" in reason or "Ring Self-intersection" in reason:
                problem = f"ring is self-intersecting ({reason}); redraw it so edges do not cross"
            else:
                problem = f"invalid polygon ({reason}); redraw it"
            raise self.fail(where, problem)
        return poly

    def position(self, where: str, pos: Any) -> None:
        if (
            not isinstance(pos, list)
            or len(pos) < 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos[:3])
            or not all(math.isfinite(v) for v in pos[:2])
        ):
            raise self.fail(where, f"bad position {pos!r}; positions are [lon, lat] numbers")
        lon, lat = pos[0], pos[1]
        if abs(lat) > 90 and abs(lon) <= 90:
            raise self.fail(where, "coordinates look like lat,lon; GeoJSON wants lon,lat")
        if abs(lat) > 90 or abs(lon) > 180:
            raise self.fail(where, f"position {pos!r} is off the globe; use [lon, lat] degrees")

    def check_swapped(self, where: str, geom, district_lonlat) -> None:
        """A feature far outside the district that lands inside once swapped was typed lat,lon."""
        if district_lonlat.intersects(geom):
            return
        swapped = shapely.transform(geom, lambda c: c[:, ::-1])
        if district_lonlat.intersects(swapped):
            raise self.fail(where, "coordinates look like lat,lon; GeoJSON wants lon,lat")

    # -- properties -----------------------------------------------------------------------

    def text(self, where: str, props: dict, key: str) -> str:
        value = props.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"missing property '{key}' (a non-empty string); add it")
        return value

    def number(self, where: str, props: dict, key: str, *, required: bool = True) -> float | None:
        value = props.get(key)
        if value is None and not required:
            return None
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            raise self.fail(where, f"missing or non-numeric property '{key}'; give a number")
        return float(value)

    def ident(self, where: str, props: dict) -> str:
        value = props.get("id")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "missing property 'id' (a non-empty string); add it")
        return value

    def in_range(
        self, where: str, props: dict, key: str, ok: Callable[[float], bool], rule: str
    ) -> float:
        value = self.number(where, props, key)
        if not ok(value):
            raise self.fail(where, f"property '{key}' = {props[key]!r} is out of range; {rule}")
        return value
