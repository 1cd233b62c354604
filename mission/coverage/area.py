"""What to sweep and where transits may fly, cut from the district.

``--area`` names a key area, a set of cells (``cells:1-5,9``) or the whole district. No-fly zones
are grown by the safety margin and cut out of both the target and the transit space; the area's
own holes are cut out of the transit space too, so transits never cross them.
"""

from __future__ import annotations

import re

import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from mission.errors import PlanError
from mission.limits import MAX_MARGIN_M
from mission.model import District
from mission.text import N_

__all__ = ["resolve_area", "grown_no_fly", "sweep_regions", "parse_cells"]

# Mitred corners keep the grown zone a superset of the true buffer with only a few vertices.
MITRE = {"join_style": "mitre", "mitre_limit": 2.0}


def parse_cells(spec: str) -> list[int]:
    ids: list[int] = []
    for part in spec.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m:
            raise PlanError(
                N_("cannot read cell list {spec}; write it like cells:1-5,9", spec=repr(spec))
            )
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        ids.extend(range(min(lo, hi), max(lo, hi) + 1))
    return ids


def resolve_area(district: District, spec: str) -> tuple[str, BaseGeometry]:
    """(label, shape in metres) for an ``--area`` value."""
    if spec == "district":
        return district.name, district.boundary
    if spec.startswith("cells:"):
        ids = parse_cells(spec[len("cells:") :])
        known = {c.id: c for c in district.cells}
        missing = [i for i in ids if i not in known]
        if missing:
            raise PlanError(
                N_(
                    "no cell {missing} in {name}; cells are numbered {min_known}-{max_known}",
                    missing=missing[0],
                    name=district.name,
                    min_known=min(known, default=0),
                    max_known=max(known, default=0),
                )
            )
        return spec, shapely.union_all([known[i].shape for i in ids])
    try:
        return spec, district.key_area(spec).shape
    except KeyError:
        ids = ", ".join(a.id for a in district.key_areas) or "none"
        raise PlanError(
            N_(
                "no key area {spec} in {name}; use one of: {ids}, or cells:1-5, or district",
                spec=repr(spec),
                name=district.name,
                ids=ids,
            )
        ) from None


def grown_no_fly(district: District, margin_m: float) -> BaseGeometry:
    if not 0 <= margin_m <= MAX_MARGIN_M:
        raise PlanError(N_("--margin {margin_m:g} must be in 0-{most:g} m", margin_m=margin_m,
                           most=MAX_MARGIN_M))  # fmt: skip
    zones = [z.shape.buffer(margin_m, **MITRE) if margin_m else z.shape for z in district.no_fly]
    return shapely.union_all(zones) if zones else Polygon()


def _holes(shape: BaseGeometry) -> BaseGeometry:
    polys = getattr(shape, "geoms", [shape])
    holes = [Polygon(r) for p in polys if isinstance(p, Polygon) for r in p.interiors]
    return shapely.union_all(holes) if holes else Polygon()


def sweep_regions(
    district: District, shape: BaseGeometry, margin_m: float
) -> tuple[BaseGeometry, BaseGeometry]:
    """(target to sweep, space transits may use), both in metres."""
    nofly = grown_no_fly(district, margin_m)
    target = shape.intersection(district.boundary).difference(nofly)
    transit = district.boundary.difference(nofly).difference(_holes(shape))
    return target, transit
