"""Bounds on a district file before any geometry work: size, nesting, vertex count and extent.

A district file may come from anyone (a mail attachment, a download), and validation does real
geometry (validity, coverage, overlaps) whose cost grows with the vertices. These checks are cheap
(no per-vertex work beyond counting ring lengths) and run first, so a hostile or broken file is
refused in one line within a second instead of a traceback or minutes of work. The limits are
far above any real subdistrict: the sample Xiyuan file is 27 kB with about 700 vertices.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mission.errors import DistrictError
from mission.text import N_

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_VERTICES",
    "MAX_FEATURES",
    "MAX_EXTENT_KM",
    "MAX_DEPTH",
    "check_file_size",
    "check_bounds",
]

MAX_FILE_BYTES = 20 * 1024 * 1024
"""20 MB: hundreds of times the sample, still parsed in well under a second."""
MAX_VERTICES = 100_000
"""Positions in all polygon rings together; validation stays within a few seconds."""
MAX_FEATURES = 10_000
MAX_DEPTH = 32
"""GeoJSON needs about 7 levels (collection, features, feature, geometry, rings, ring, position);
32 leaves room for nested properties and stays far below Python's recursion limit."""
MAX_EXTENT_KM = 50.0
"""A subdistrict is a few km across; 50 km catches degrees typed as something else, a wrong CRS
or a boundary drawn around a whole province."""
EARTH_KM_PER_DEG = 111.32


def check_file_size(size: int, source: str) -> None:
    """Refuse a file larger than ``MAX_FILE_BYTES`` before reading it."""
    if size > MAX_FILE_BYTES:
        raise DistrictError(
            N_(
                "{source}: {size:.1f} MB is larger than a district file can be "
                "({max_file_bytes:.0f} MB); simplify the geometry (e.g. mapshaper -simplify)",
                source=source,
                size=size / 2**20,
                max_file_bytes=MAX_FILE_BYTES / 2**20,
            )
        )


def _rings(geometry: Any) -> list[Any]:
    if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
        return []
    coords = geometry.get("coordinates")
    return [r for r in coords if isinstance(r, list)] if isinstance(coords, list) else []


def check_bounds(data: dict, source: str) -> None:
    """Refuse too many features or vertices, and a district boundary too large or off the globe.

    Only counts here; the shape of each feature is validated afterwards, one line per problem.
    """
    features = data.get("features")
    if not isinstance(features, list):
        return
    if len(features) > MAX_FEATURES:
        raise DistrictError(
            N_(
                "{source}: {n_features} features is more than a district file holds "
                "({max_features}); split it or merge cells",
                source=source,
                n_features=len(features),
                max_features=MAX_FEATURES,
            )
        )
    vertices = 0
    district_ring: list[Any] | None = None
    for feature in features:
        if not isinstance(feature, dict):
            continue
        rings = _rings(feature.get("geometry"))
        vertices += sum(len(r) for r in rings)
        props = feature.get("properties")
        if isinstance(props, dict) and props.get("kind") == "district" and rings:
            district_ring = district_ring or rings[0]
    if vertices > MAX_VERTICES:
        raise DistrictError(
            N_(
                "{source}: {vertices} polygon vertices is more than a district needs "
                "({max_vertices}); simplify the geometry to about 1 m (e.g. mapshaper -simplify)",
                source=source,
                vertices=vertices,
                max_vertices=MAX_VERTICES,
            )
        )
    _check_depth(data, source)
    if district_ring:
        _check_extent(district_ring, source)


def _check_depth(data: Any, source: str) -> None:
    """Without recursion, so the check itself cannot overflow the stack it protects."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DistrictError(
                N_(
                    "{source}: JSON nested more than {max_depth} levels deep, far deeper than "
                    "GeoJSON ever is; this is not a district file",
                    source=source,
                    max_depth=MAX_DEPTH,
                )
            )
        children = node.values() if type(node) is dict else node
        stack.extend((c, depth + 1) for c in children if type(c) in (dict, list))


def _check_extent(ring: list[Any], source: str) -> None:
    try:
        points = np.asarray([p[:2] for p in ring], dtype=float)
    except (TypeError, ValueError, IndexError):
        return  # the position check names the bad position
    if points.ndim != 2 or points.shape[1] != 2 or not np.isfinite(points).all():
        return
    lons, lats = points[:, 0], points[:, 1]
    if np.abs(lats).max() > 90 or np.abs(lons).max() > 180:
        return
    mid_lat = math.radians((lats.max() + lats.min()) / 2)
    across_km = max(
        float(np.ptp(lats)) * EARTH_KM_PER_DEG,
        float(np.ptp(lons)) * EARTH_KM_PER_DEG * math.cos(mid_lat),
    )
    if across_km > MAX_EXTENT_KM:
        raise DistrictError(
            N_(
                "{source}: the district boundary is {across_km:.0f} km across, more than a "
                "patrol district can be ({max_extent_km:.0f} km); check its coordinates and crs",
                source=source,
                across_km=across_km,
                max_extent_km=MAX_EXTENT_KM,
            )
        )
