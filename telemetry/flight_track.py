"""The tracks of a recorded flight: each vehicle's GPS fixes in a .tlog, as GeoJSON."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telemetry.link_health import skipped_summary
from telemetry.vehicle_names import vehicle_id
from vehicle.link import open_link

__all__ = ["track_geojson"]


def track_geojson(tlog: Path) -> tuple[dict[str, Any], str]:
    """One WGS-84 LineString per vehicle (sysid) from the GLOBAL_POSITION_INT fixes of a .tlog,
    and what was skipped on the way ("" when nothing was).

    Positions are [lon, lat, alt AMSL m]; a message at 0,0 is no fix and is left out. A vehicle
    with a single fix gets a Point. Fixes are put in the order of their tlog times (a file
    pieced together out of order would draw a zigzag), and a fix recorded twice is drawn once;
    both are counted.
    """
    tracks: dict[int, list[tuple[float, list[float]]]] = {}
    seen: set[tuple[int, int, int, int, int]] = set()
    repeated = reordered = 0
    last_ts: dict[int, float] = {}
    with open_link(str(tlog), pace="fast") as link:
        while (msg := link.recv(1.0)) is not None:
            if msg.get_type() != "GLOBAL_POSITION_INT" or (msg.lat == 0 and msg.lon == 0):
                continue
            sysid = msg.get_srcSystem()
            key = (sysid, msg.time_boot_ms, msg.lat, msg.lon, msg.alt)
            if key in seen:
                repeated += 1
                continue
            seen.add(key)
            reordered += msg._timestamp < last_ts.get(sysid, -math.inf)
            last_ts[sysid] = max(msg._timestamp, last_ts.get(sysid, -math.inf))
            point = [msg.lon / 1e7, msg.lat / 1e7, msg.alt / 1000.0]
            tracks.setdefault(sysid, []).append((msg._timestamp, point))
        stats = link.stats()
    skipped = skipped_summary(
        [stats],
        [(reordered, "fixes out of time order (put in order)"), (repeated, "repeated fixes")],
    )
    features = []
    for sysid, fixes in sorted(tracks.items()):
        fixes.sort(key=lambda f: f[0])
        coords = [p for _, p in fixes]
        kind = "LineString" if len(coords) >= 2 else "Point"
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": kind,
                    "coordinates": coords if len(coords) >= 2 else coords[0],
                },
                "properties": {
                    "vehicle": vehicle_id(sysid),
                    "sysid": sysid,
                    "points": len(coords),
                    "start": _iso(fixes[0][0]),
                    "end": _iso(fixes[-1][0]),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}, skipped


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
