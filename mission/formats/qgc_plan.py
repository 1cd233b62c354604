"""QGroundControl ``.plan`` files (JSON, version 1): mission, geofence and rally points.

Reads what QGroundControl writes today and what it wrote before: SimpleItems with 7 params or
with the legacy ``coordinate`` array, ComplexItems through their generated ``Items``, GeoFence
v1 and v2 (polygons and circles), ``null`` params (NaN). Writes SimpleItems only, in the layout
QGroundControl saves, so it opens them as they are.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from mission.errors import FormatError
from mission.model import (
    Fence,
    FenceCircle,
    FencePolygon,
    Frame,
    Mission,
    MissionItem,
    RallyPoint,
)
from mission.text import N_

__all__ = ["read_plan", "write_plan", "parse_plan", "plan_json"]

# QGC's AltitudeMode per MAV_FRAME: relative 1, absolute (AMSL) 2, terrain frame 4; mode 3 is
# "calculated above terrain" (frame 0, AMSL derived by QGC from ``Altitude`` over its terrain).
ALTITUDE_MODE = {Frame.GLOBAL_RELATIVE_ALT: 1, Frame.GLOBAL: 2, Frame.GLOBAL_TERRAIN_ALT: 4}
CALC_ABOVE_TERRAIN = 3


def _num(value: Any, where: str) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError(
            N_(
                "{where}: expected a number, found {found}; fix the file",
                where=where,
                found=repr(value),
            )
        )
    return float(value)


def _finite(value: Any) -> float:
    """A finite number of a fence or rally point; ValueError (the section is malformed) else."""
    number = float(value)
    if isinstance(value, bool) or not math.isfinite(number):
        raise ValueError(value)
    return number


def _simple(obj: dict, where: str) -> MissionItem:
    try:
        command, frame = int(obj["command"]), int(obj.get("frame", Frame.GLOBAL_RELATIVE_ALT))
        params = list(obj.get("params", []))
    except (KeyError, TypeError, ValueError, OverflowError):  # OverflowError: an infinite int
        raise FormatError(
            N_(
                "{where}: a SimpleItem needs 'command', 'frame' and 'params'; fix or re-save the "
                "plan in QGroundControl",
                where=where,
            )
        ) from None
    if "coordinate" in obj:
        coord = obj["coordinate"]
        if not isinstance(coord, list) or len(coord) != 3:
            raise FormatError(
                N_("{where}: 'coordinate' must be [lat, lon, alt]; fix the file", where=where)
            )
        params = (params + [0.0] * 4)[:4] + coord
    if len(params) != 7:
        raise FormatError(
            N_(
                "{where}: 'params' has {n_params} values, expected 7; fix the file",
                where=where,
                n_params=len(params),
            )
        )
    p = [_num(v, where) for v in params]
    lat = 0.0 if math.isnan(p[4]) else p[4]
    lon = 0.0 if math.isnan(p[5]) else p[5]
    return MissionItem(
        command,
        frame,
        *p[:4],
        lat,
        lon,
        p[6],
        bool(obj.get("autoContinue", True)),
        _above_terrain(obj, frame, where),
    )


def _above_terrain(obj: dict, frame: int, where: str) -> float | None:
    """The height over terrain of a "calculated above terrain" item, else None."""
    if obj.get("AltitudeMode") != CALC_ABOVE_TERRAIN:
        return None
    height = _num(obj.get("Altitude"), where)
    if frame != Frame.GLOBAL or not math.isfinite(height):
        raise FormatError(
            N_(
                "{where}: AltitudeMode 3 (calculated above terrain) needs frame 0 and a finite "
                "'Altitude'; re-save the plan in QGroundControl",
                where=where,
            )
        )
    return height


def _items(raw: list, source: str) -> list[MissionItem]:
    if not isinstance(raw, list):
        raise FormatError(
            N_("{source}: mission.items is not a list; re-save the plan in QGroundControl",
               source=source)
        )  # fmt: skip
    out: list[MissionItem] = []
    for n, obj in enumerate(raw, start=1):
        where = f"{source}: mission item {n}"
        if not isinstance(obj, dict):
            raise FormatError(N_("{where} is not an object; fix the file", where=where))
        kind = obj.get("type", "SimpleItem")
        if kind == "SimpleItem":
            out.append(_simple(obj, where))
            continue
        if kind != "ComplexItem":
            raise FormatError(
                N_(
                    "{where} has unknown type {kind}; re-save it in QGroundControl",
                    where=where,
                    kind=repr(kind),
                )
            )
        complex_type = obj.get("complexItemType", "?")
        transect = obj.get("TransectStyleComplexItem")
        generated = transect.get("Items") if isinstance(transect, dict) else None
        if not isinstance(generated, list):
            raise FormatError(
                N_(
                    "{where} is a {complex_type} ComplexItem without generated waypoints, which "
                    "gridpatrol cannot fly as it is; replace it with a Survey or waypoints in "
                    "QGroundControl",
                    where=where,
                    complex_type=complex_type,
                )
            )
        out.extend(_simple(g, f"{where} ({complex_type})") for g in generated)
    return out


def _fence(raw: Any, source: str) -> Fence:
    if not raw:
        return Fence()
    polys: list[FencePolygon] = []
    circles: list[FenceCircle] = []
    try:
        if raw.get("version", 2) == 1 or "polygon" in raw:
            pts = raw.get("polygon") or []
            if pts:
                polys.append(FencePolygon(tuple((_finite(a), _finite(b)) for a, b in pts), True))
        for p in raw.get("polygons", []):
            verts = tuple((_finite(a), _finite(b)) for a, b in p["polygon"])
            polys.append(FencePolygon(verts, bool(p.get("inclusion", True))))
        for c in raw.get("circles", []):
            lat, lon = c["circle"]["center"]
            circles.append(
                FenceCircle(
                    _finite(lat),
                    _finite(lon),
                    _finite(c["circle"]["radius"]),
                    bool(c.get("inclusion", True)),
                )
            )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise FormatError(
            N_(
                "{source}: the geoFence section is malformed; re-save the plan in QGroundControl",
                source=source,
            )
        ) from None
    return Fence(tuple(polys), tuple(circles))


def _rally(raw: Any, source: str) -> tuple[RallyPoint, ...]:
    try:
        return tuple(
            RallyPoint(_finite(p[0]), _finite(p[1]), _finite(p[2]))
            for p in (raw or {}).get("points", [])
        )
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        raise FormatError(
            N_(
                "{source}: the rallyPoints section is malformed; each point must be [lat, lon, "
                "alt]",
                source=source,
            )
        ) from None


def parse_plan(data: Any, source: str = "plan") -> Mission:
    if not isinstance(data, dict) or data.get("fileType") != "Plan":
        raise FormatError(
            N_(
                "{source}: not a QGroundControl plan (fileType is not 'Plan'); export the "
                "mission from QGroundControl as .plan",
                source=source,
            )
        )
    mission = data.get("mission") or {}
    if not isinstance(mission, dict):
        raise FormatError(
            N_("{source}: the mission section is not an object; re-save the plan in "
               "QGroundControl", source=source)
        )  # fmt: skip
    home = None
    php = mission.get("plannedHomePosition")
    if isinstance(php, list) and len(php) == 3 and None not in php[:2]:
        where = f"{source}: plannedHomePosition"
        home = MissionItem(
            16,
            Frame.GLOBAL,
            lat=_num(php[0], where),
            lon=_num(php[1], where),
            alt=_num(php[2], where),
        )
    return Mission(
        items=tuple(_items(mission.get("items") or [], source)),
        home=home,
        fence=_fence(data.get("geoFence"), source),
        rally=_rally(data.get("rallyPoints"), source),
        cruise_mps=_setting(mission, "cruiseSpeed", 10.0, source),
        hover_mps=_setting(mission, "hoverSpeed", 5.0, source),
        firmware=int(_setting(mission, "firmwareType", 3, source)),
        vehicle=int(_setting(mission, "vehicleType", 2, source)),
    )


def _setting(mission: dict, key: str, default: float, source: str) -> float:
    """A number of the mission section, finite, or its default when absent."""
    if key not in mission:
        return float(default)
    where = f"{source}: mission.{key}"
    value = _num(mission[key], where)
    if not math.isfinite(value) or abs(value) > 1e6:
        raise FormatError(
            N_("{where}: {value} is not a usable number; fix the file", where=where,
               value=repr(mission[key]))
        )  # fmt: skip
    return value


def read_plan(path: str | Path) -> Mission:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError(N_("{path}: no such file; check the path", path=path)) from None
    except json.JSONDecodeError as exc:
        raise FormatError(
            N_(
                "{name}: malformed JSON at line {lineno} column {colno}; re-save the plan in "
                "QGroundControl",
                name=path.name,
                lineno=exc.lineno,
                colno=exc.colno,
            )
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(
            N_("{path}: cannot read the file ({exc}); check the path", path=path, exc=exc)
        ) from None
    return parse_plan(data, path.name)


def _json_num(v: float) -> float | int | None:
    if math.isnan(v):
        return None
    return int(v) if v.is_integer() and abs(v) < 1e15 else v


def _item_json(item: MissionItem, seq: int) -> dict:
    params = [item.param1, item.param2, item.param3, item.param4, item.lat, item.lon, item.alt]
    out: dict[str, Any] = {
        "autoContinue": bool(item.autocontinue),
        "command": int(item.command),
        "doJumpId": seq,
        "frame": int(item.frame),
        "params": [_json_num(float(v)) for v in params],
        "type": "SimpleItem",
    }
    if item.above_terrain_m is not None:
        amsl = _json_num(float(item.alt))
        out.update(AMSLAltAboveTerrain=amsl, Altitude=_json_num(float(item.above_terrain_m)),
                   AltitudeMode=CALC_ABOVE_TERRAIN)  # fmt: skip
        return out
    mode = ALTITUDE_MODE.get(item.frame)
    if mode is not None:
        out.update(AMSLAltAboveTerrain=None, Altitude=_json_num(float(item.alt)), AltitudeMode=mode)
    return out


def plan_json(mission: Mission) -> dict:
    home = mission.home
    if home is None:
        first = next((i for i in mission.items if i.lat or i.lon), None)
        home_pos = [first.lat, first.lon, 0] if first else [0, 0, 0]
    else:
        home_pos = [home.lat, home.lon, _json_num(float(home.alt))]
    fence = {
        "circles": [
            {
                "circle": {"center": [c.lat, c.lon], "radius": c.radius_m},
                "inclusion": c.inclusion,
                "version": 1,
            }
            for c in mission.fence.circles
        ],
        "polygons": [
            {"inclusion": p.inclusion, "polygon": [list(v) for v in p.vertices], "version": 1}
            for p in mission.fence.polygons
        ],
        "version": 2,
    }
    return {
        "fileType": "Plan",
        "geoFence": fence,
        "groundStation": "QGroundControl",
        "mission": {
            "cruiseSpeed": mission.cruise_mps,
            "firmwareType": mission.firmware,
            "globalPlanAltitudeMode": 1,
            "hoverSpeed": mission.hover_mps,
            "items": [_item_json(it, n) for n, it in enumerate(mission.items, start=1)],
            "plannedHomePosition": home_pos,
            "vehicleType": mission.vehicle,
            "version": 2,
        },
        "rallyPoints": {"points": [[r.lat, r.lon, r.alt] for r in mission.rally], "version": 2},
        "version": 1,
    }


def write_plan(mission: Mission, path: str | Path) -> None:
    text = json.dumps(plan_json(mission), indent=4, sort_keys=True) + "\n"
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise FormatError(
            N_("{path}: cannot write the plan ({exc}); check the folder", path=path, exc=exc)
        ) from None
