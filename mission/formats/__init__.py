"""Mission and district files; the only file I/O of the mission package.

``read_mission``/``write_mission`` pick the format by suffix: ``.plan`` (QGroundControl),
``.waypoints``/``.txt`` (Mission Planner), ``.geojson`` (flight path); ``.png`` writes a picture.
"""

from __future__ import annotations

from pathlib import Path

from mission.crs import WGS84, normalise_crs
from mission.errors import FormatError
from mission.model import District, Mission
from mission.text import N_

__all__ = ["read_mission", "write_mission", "MISSION_SUFFIXES"]

MISSION_SUFFIXES = (".plan", ".waypoints", ".txt", ".geojson")


def _suffix(path: Path, allowed: tuple[str, ...]) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise FormatError(
            N_(
                "{name}: unknown mission format {suffix}; use one of {allowed}",
                name=path.name,
                suffix=repr(suffix or "(none)"),
                allowed=", ".join(allowed),
            )
        )
    return suffix


def read_mission(path: str | Path) -> Mission:
    path = Path(path)
    suffix = _suffix(path, MISSION_SUFFIXES)
    if suffix == ".plan":
        from mission.formats.qgc_plan import read_plan

        return read_plan(path)
    if suffix == ".geojson":
        from mission.formats.path_geojson import read_path_geojson

        return read_path_geojson(path)
    from mission.formats.waypoints import read_waypoints

    return read_waypoints(path)


def write_mission(
    mission: Mission, path: str | Path, district: District | None = None, output_crs: str = "wgs84"
) -> None:
    """``output_crs`` applies to .geojson only: files a vehicle can fly are always WGS-84."""
    path = Path(path)
    suffix = _suffix(path, (*MISSION_SUFFIXES, ".png"))
    if suffix != ".geojson" and normalise_crs(output_crs) != WGS84:
        raise FormatError(
            N_(
                "{name}: --output-crs {output_crs} is for .geojson exports only; mission files "
                "for vehicles are always wgs84",
                name=path.name,
                output_crs=output_crs,
            )
        )
    if suffix == ".plan":
        from mission.formats.qgc_plan import write_plan

        write_plan(mission, path)
    elif suffix == ".geojson":
        from mission.formats.path_geojson import write_path_geojson

        write_path_geojson(mission, path, output_crs)
    elif suffix == ".png":
        from mission.formats.plan_picture import write_plan_picture

        write_plan_picture(mission, path, district)
    else:
        from mission.formats.waypoints import write_waypoints

        write_waypoints(mission, path)
