"""The flight path as GeoJSON (RFC 7946, lon/lat/alt): for GIS tools and the command platform.

The file is also a complete mission: every item is a feature carrying its command, frame and
params (positionless items have a null geometry), next to the path line, home, fence and rally
points, so ``plan convert`` round trips through it without loss.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from mission.crs import WGS84, require_wgs84, write_geojson
from mission.errors import FormatError
from mission.flight_model import has_position
from mission.model import (
    Cmd,
    Fence,
    FenceCircle,
    FencePolygon,
    Mission,
    MissionItem,
    RallyPoint,
)
from mission.text import N_

__all__ = ["read_path_geojson", "write_path_geojson", "path_geojson"]


def _n(v: float) -> float | None:
    return None if math.isnan(v) else v


def _f(v: Any) -> float:
    return math.nan if v is None else float(v)


def _cmd_name(command: int) -> str:
    try:
        return Cmd(command).name
    except ValueError:
        return f"MAV_CMD_{command}"


def _item_feature(it: MissionItem, seq: int, kind: str = "item") -> dict:
    geom = None
    if it.lat or it.lon:
        geom = {"type": "Point", "coordinates": [it.lon, it.lat, _n(it.alt)]}
    return {
        "type": "Feature",
        "geometry": geom,
        "properties": {
            "kind": kind,
            "seq": seq,
            "command": int(it.command),
            "name": _cmd_name(it.command),
            "frame": int(it.frame),
            "params": [_n(float(p)) for p in (it.param1, it.param2, it.param3, it.param4)],
            "alt": _n(float(it.alt)),
            "autocontinue": bool(it.autocontinue),
            **({} if it.above_terrain_m is None else {"above_terrain_m": it.above_terrain_m}),
        },
    }


def path_geojson(mission: Mission) -> dict:
    feats: list[dict] = []
    line = [[it.lon, it.lat, _n(it.alt)] for it in mission.items if has_position(it)]
    if len(line) >= 2:
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": line},
                "properties": {"kind": "path"},
            }
        )
    if mission.home is not None:
        feats.append(_item_feature(mission.home, 0, "home"))
    feats += [_item_feature(it, n) for n, it in enumerate(mission.items, start=1)]
    for p in mission.fence.polygons:
        ring = [[lon, lat] for lat, lon in p.vertices]
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]},
                "properties": {"kind": "fence", "inclusion": p.inclusion},
            }
        )
    for c in mission.fence.circles:
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
                "properties": {"kind": "fence", "inclusion": c.inclusion, "radius_m": c.radius_m},
            }
        )
    for r in mission.rally:
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [r.lon, r.lat, r.alt]},
                "properties": {"kind": "rally"},
            }
        )
    return {
        "type": "FeatureCollection",
        "mission": {
            "cruise_mps": mission.cruise_mps,
            "hover_mps": mission.hover_mps,
            "firmware": mission.firmware,
            "vehicle": mission.vehicle,
        },
        "features": feats,
    }


def _parse_item(f: dict) -> MissionItem:
    p = f["properties"]
    geom = f.get("geometry")
    lon, lat = (geom["coordinates"][0], geom["coordinates"][1]) if geom else (0.0, 0.0)
    params = [_f(v) for v in p["params"]]
    return MissionItem(
        int(p["command"]),
        int(p["frame"]),
        *params,
        lat=float(lat),
        lon=float(lon),
        alt=_f(p.get("alt")),
        autocontinue=p["autocontinue"],
        above_terrain_m=None if p.get("above_terrain_m") is None else float(p["above_terrain_m"]),
    )


def parse_path_geojson(data: Any, source: str = "geojson") -> Mission:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise FormatError(
            N_(
                "{source}: not a GeoJSON FeatureCollection; give a file written by gridpatrol plan",
                source=source,
            )
        )
    require_wgs84(data, source)
    items: list[tuple[int, MissionItem]] = []
    home = None
    polys, circles, rally = [], [], []
    try:
        for f in data.get("features", []):
            kind = (f.get("properties") or {}).get("kind")
            if kind == "item":
                items.append((int(f["properties"]["seq"]), _parse_item(f)))
            elif kind == "home":
                home = _parse_item(f)
            elif kind == "fence" and f["geometry"]["type"] == "Polygon":
                ring = f["geometry"]["coordinates"][0][:-1]
                polys.append(
                    FencePolygon(
                        tuple((float(la), float(lo)) for lo, la in ring),
                        bool(f["properties"]["inclusion"]),
                    )
                )
            elif kind == "fence":
                lon, lat = f["geometry"]["coordinates"][:2]
                circles.append(
                    FenceCircle(
                        float(lat),
                        float(lon),
                        float(f["properties"]["radius_m"]),
                        bool(f["properties"]["inclusion"]),
                    )
                )
            elif kind == "rally":
                lon, lat, alt = f["geometry"]["coordinates"][:3]
                rally.append(RallyPoint(float(lat), float(lon), float(alt)))
    except (KeyError, TypeError, ValueError, IndexError):
        raise FormatError(
            N_(
                "{source}: a feature lacks the mission properties gridpatrol writes; convert "
                "from the .plan instead",
                source=source,
            )
        ) from None
    if not items and home is None and not polys and not circles:
        raise FormatError(
            N_(
                "{source}: no mission item, home or fence features; this GeoJSON does not hold a "
                "mission",
                source=source,
            )
        )
    meta = data.get("mission") or {}
    return Mission(
        items=tuple(it for _, it in sorted(items, key=lambda t: t[0])),
        home=home,
        fence=Fence(tuple(polys), tuple(circles)),
        rally=tuple(rally),
        cruise_mps=float(meta.get("cruise_mps", 10.0)),
        hover_mps=float(meta.get("hover_mps", 5.0)),
        firmware=int(meta.get("firmware", 3)),
        vehicle=int(meta.get("vehicle", 2)),
    )


def read_path_geojson(path: str | Path) -> Mission:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError(N_("{path}: no such file; check the path", path=path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(
            N_("{name}: cannot read GeoJSON ({exc}); check the file", name=path.name, exc=exc)
        ) from None
    return parse_path_geojson(data, path.name)


def write_path_geojson(mission: Mission, path: str | Path, output_crs: str = WGS84) -> None:
    """``output_crs`` gcj02/bd09 is for Chinese map apps: such a file is refused as a mission."""
    write_geojson(path_geojson(mission), path, output_crs)
