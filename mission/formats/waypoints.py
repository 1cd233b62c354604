"""Mission Planner ``.waypoints`` files (``QGC WPL 110``): one tab-separated row per item.

In version 110 row 0 is home; in the older ``QGC WPL 120`` (early QGroundControl) there is no
home row and every row is an item. Rows have 12 fields: seq, current, frame, command, param1-4,
lat, lon, alt, autocontinue. Both CRLF and LF files are read; files are written as 110 with the
field layout and precision Mission Planner uses, which pymavlink's ``mavwp.MAVWPLoader`` loads
unchanged. The format has no fence or rally points: those are lost in a conversion to it.

It has no "unknown" value either, so nothing is written as ``nan``: a null yaw (param4) of the
commands ArduPilot ignores it in is written as 0, as Mission Planner does; any other missing
value, and a QGroundControl "calculated above terrain" altitude whose AMSL value is not known
yet, is refused with one line naming the item.
"""

from __future__ import annotations

import math
from pathlib import Path

from mission.errors import FormatError
from mission.model import Frame, Mission, MissionItem
from mission.text import N_

__all__ = ["read_waypoints", "write_waypoints", "parse_waypoints", "waypoints_text"]

HEADER = "QGC WPL 110"
VERSIONS = {"QGC WPL 110": True, "QGC WPL 120": False}  # header -> has a home row
# (MAV_CMD, param index 1-4) that ArduPilot ignores, where QGC writes null (NaN) for "default":
# the yaw of NAV_WAYPOINT, NAV_LAND, NAV_TAKEOFF and NAV_SPLINE_WAYPOINT.
UNUSED_WHEN_NULL = {(16, 4), (21, 4), (22, 4), (82, 4)}
ARDUPILOT = 3  # QGC firmwareType


def _row(fields: list[str], where: str) -> tuple[int, MissionItem]:
    if len(fields) != 12:
        raise FormatError(
            N_(
                "{where}: {n_fields} fields, expected 12 (seq, current, frame, command, 4 "
                "params, lat, lon, alt, autocontinue); fix the row",
                where=where,
                n_fields=len(fields),
            )
        )
    try:
        seq, _current, frame, command = (int(float(v)) for v in fields[:4])
        p = [float(v) for v in fields[4:11]]
        auto = bool(int(float(fields[11])))
    except (ValueError, OverflowError):  # OverflowError: inf in an integer field
        raise FormatError(
            N_("{where}: a field is not a number; fix the row", where=where)
        ) from None
    return seq, MissionItem(command, frame, p[0], p[1], p[2], p[3], p[4], p[5], p[6], auto)


def parse_waypoints(text: str, source: str = "waypoints") -> Mission:
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    header = " ".join(lines[0].split()) if lines else ""
    if header not in VERSIONS:
        raise FormatError(
            N_(
                "{source}: first line is {header}, not 'QGC WPL 110' or 'QGC WPL 120'; this is "
                "not a Mission Planner waypoint file",
                source=source,
                header=repr(header[:40]),
            )
        )
    rows = [_row(ln.split(), f"{source}: line {n}") for n, ln in enumerate(lines[1:], start=2)]
    first = 1 if rows and not VERSIONS[header] and rows[0][0] == 1 else 0  # 120 may count from 1
    for n, (seq, _) in enumerate(rows):
        if seq != first + n:
            raise FormatError(
                N_(
                    "{source}: row {n} has seq {seq}, expected {first}; renumber the rows from 0",
                    source=source,
                    n=n + 2,
                    seq=seq,
                    first=first + n,
                )
            )
    items = tuple(it for _, it in rows)
    if not VERSIONS[header]:
        return Mission(items=items)
    if not rows:
        return Mission(items=())
    return Mission(items=items[1:], home=items[0])


def read_waypoints(path: str | Path) -> Mission:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormatError(N_("{path}: no such file; check the path", path=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(
            N_("{path}: cannot read the file ({exc}); check the path", path=path, exc=exc)
        ) from None
    return parse_waypoints(text, path.name)


def _f(v: float, digits: int) -> str:
    return f"{v:.{digits}f}"


def _refuse_uncomputed_terrain(mission: Mission, source: str) -> None:
    """A "calculated above terrain" height has no AMSL value until QGroundControl derives it."""
    for seq, it in enumerate(mission.items, start=1):
        if it.above_terrain_m is not None and not math.isfinite(it.alt):
            raise FormatError(
                N_(
                    "{source}: item {seq} (MAV_CMD {command}): its altitude is {above_terrain_m:g} m "
                    "'calculated above terrain' and QGroundControl has not computed the AMSL value "
                    "yet, which a .waypoints file cannot hold; open the plan in QGroundControl to "
                    "compute it, or set the item to terrain frame (10) or relative altitude",
                    source=source,
                    seq=seq,
                    command=int(it.command),
                    above_terrain_m=it.above_terrain_m,
                )
            )


def _fields(it: MissionItem, seq: int, firmware: int, source: str) -> list[float]:
    """The item's 7 params as written: refused in one line where the format cannot say it."""
    values = [it.param1, it.param2, it.param3, it.param4, it.lat, it.lon, it.alt]
    out = []
    for k, v in enumerate(values, start=1):
        v = float(v)
        if math.isnan(v) and (int(it.command), k) in UNUSED_WHEN_NULL and firmware == ARDUPILOT:
            v = 0.0
        elif not math.isfinite(v):
            raise FormatError(
                N_(
                    "{source}: item {seq} (MAV_CMD {command}): param{index} is {value} (null in the plan), "
                    "which a .waypoints file cannot hold; set it in the plan, or keep the mission as "
                    ".plan",
                    source=source,
                    seq=seq,
                    command=int(it.command),
                    index=k,
                    value=v,
                )
            )
        out.append(v)
    return out


def waypoints_text(mission: Mission, source: str = "waypoints") -> str:
    home = mission.home
    if home is None:
        first = next((i for i in mission.items if i.lat or i.lon), None)
        home = MissionItem(
            16, Frame.GLOBAL, lat=first.lat if first else 0.0, lon=first.lon if first else 0.0
        )
    _refuse_uncomputed_terrain(mission, source)
    out = [HEADER]
    for seq, it in enumerate((home, *mission.items)):
        p = _fields(it, seq, mission.firmware, source)
        out.append(
            "\t".join(
                [
                    str(seq),
                    "1" if seq == 0 else "0",
                    str(int(it.frame)),
                    str(int(it.command)),
                    *(_f(v, 8) for v in p[:6]),
                    _f(p[6], 6),
                    "1" if it.autocontinue else "0",
                ]
            )
        )
    return "\n".join(out) + "\n"


def write_waypoints(mission: Mission, path: str | Path) -> None:
    text = waypoints_text(mission, Path(path).name)
    try:
        Path(path).write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise FormatError(
            N_("{path}: cannot write ({exc}); check the folder", path=path, exc=exc)
        ) from None
