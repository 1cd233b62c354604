"""The district and alerts as the map page draws them: plain JSON in WGS84 lon/lat.

``alerts_geojson`` is the same alerts as a GeoJSON export (``gridpatrol alerts export``).

The page projects lon/lat itself (equirectangular about the district's centre, under 0.1 % off
over a few kilometres), so live telemetry and alert coordinates reach it unconverted and the
static report reuses the same drawing code.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from centre.store import StoredAlert
from mission.model import District

__all__ = ["district_json", "alert_view", "alerts_geojson"]

_DIGITS = 6  # about 0.1 m: finer than any shape in the file


def _rings(geom: BaseGeometry) -> list[list[list[float]]]:
    polygons = list(getattr(geom, "geoms", [geom]))
    rings = []
    for poly in polygons:
        if isinstance(poly, Polygon):
            for ring in (poly.exterior, *poly.interiors):
                rings.append([[round(x, _DIGITS), round(y, _DIGITS)] for x, y in ring.coords])
    return rings


def _point(geom: BaseGeometry) -> list[float]:
    return [round(geom.x, _DIGITS), round(geom.y, _DIGITS)]


def district_json(district: District) -> dict[str, Any]:
    """Every shape converted back to lon/lat; cell labels at a point inside each cell."""
    ll = district.frame.geom_to_lonlat
    return {
        "name": district.name,
        "name_zh": district.name_zh,
        "boundary": _rings(ll(district.boundary)),
        "cells": [
            {
                "id": c.id,
                "team": c.team,
                "community": c.community,
                "rings": _rings(ll(c.shape)),
                "label": _point(ll(c.shape.representative_point())),
            }
            for c in district.cells
        ],
        "key_areas": [
            {
                "id": a.id,
                "name": a.name,
                "name_zh": a.name_zh,
                "priority": a.priority,
                "rings": _rings(ll(a.shape)),
            }
            for a in district.key_areas
        ],
        "no_fly": [
            {"id": z.id, "name": z.name, "name_zh": z.name_zh, "rings": _rings(ll(z.shape))}
            for z in district.no_fly
        ],
        "privacy": [
            {"id": z.id, "name": z.name, "name_zh": z.name_zh, "rings": _rings(ll(z.shape))}
            for z in district.privacy_zones
        ],
        "launch_sites": [
            {"id": s.id, "name": s.name, "name_zh": s.name_zh, "point": _point(ll(s.position))}
            for s in district.launch_sites
        ],
    }


def alert_view(alert: StoredAlert, evidence_src: dict[str, str]) -> dict[str, Any]:
    """What the page shows of an alert; ``evidence_src`` maps crop/frame to an image URL."""
    return {
        "id": alert.id,
        "cell": alert.cell,
        "team": alert.team,
        "code": alert.code,
        "detector": alert.detector,
        "vehicle": alert.vehicle,
        "score": alert.score,
        "lat": alert.lat,
        "lon": alert.lon,
        "uncertainty_m": alert.uncertainty_m,
        "created": alert.created,
        "status": "open" if alert.is_open else ("acked" if alert.acked_by else alert.status),
        "acked_by": alert.acked_by,
        "acked_at": alert.acked_at,
        "footprint": alert.footprint,
        "evidence": evidence_src,
    }


_EXPORTED = ("id", "code", "detector", "score", "cell", "team", "vehicle", "created", "status")


def alerts_geojson(alerts: list[StoredAlert]) -> dict[str, Any]:
    """A WGS-84 FeatureCollection: one Point per alert (null geometry without a position).

    Properties are what the page lists, without evidence images or footprint.
    """
    features = []
    for alert in alerts:
        view = alert_view(alert, {})
        props = {key: view[key] for key in _EXPORTED}
        props.update(
            uncertainty_m=alert.uncertainty_m, acked_by=alert.acked_by, acked_at=alert.acked_at
        )
        geometry = None
        if alert.lat is not None and alert.lon is not None:
            geometry = {"type": "Point", "coordinates": [alert.lon, alert.lat]}
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features}
