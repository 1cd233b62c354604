"""Mission Planner ``.waypoints`` files (``QGC WPL 110``): one tab-separated row per item.

Row 0 is home. Rows have 12 fields: seq, current, frame, command, param1-4, lat, lon, alt,
autocontinue. Both CRLF and LF files are read; files are written with the field layout and
precision Mission Planner uses, which pymavlink's ``mavwp.MAVWPLoader`` loads unchanged. The
format has no fence or rally points: those are lost in a conversion to it.
"""

from __future__ import annotations

import math
from pathlib import Path

from mission.errors import FormatError
from mission.model import Frame, Mission, MissionItem

__all__ = ["read_waypoints", "write_waypoints", "parse_waypoints", "waypoints_text"]

HEADER = "QGC WPL 110"


def _row(fields: list[str], where: str) -> tuple[int, MissionItem]:
    if len(fields) != 12:
        raise FormatError(
            f"{where}: {len(fields)} fields, expected 12 (seq, current, frame, "
            "command, 4 params, lat, lon, alt, autocontinue); fix the row"
        )
    try:
        seq, _current, frame, command = (int(float(v)) for v in fields[:4])
        p = [float(v) for v in fields[4:11]]
        auto = bool(int(float(fields[11])))
    except ValueError:
        raise FormatError(f"{where}: a field is not a number; fix the row") from None
    return seq, MissionItem(command, frame, p[0], p[1], p[2], p[3], p[4], p[5], p[6], auto)


def parse_waypoints(text: str, source: str = "waypoints") -> Mission:
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines or not lines[0].startswith("QGC WPL"):
        raise FormatError(
            f"{source}: first line is not 'QGC WPL 110'; this is not a Mission "
            "Planner waypoint file"
        )
    rows = [_row(ln.split(), f"{source}: line {n}") for n, ln in enumerate(lines[1:], start=2)]
    for expected, (seq, _) in enumerate(rows):
        if seq != expected:
            raise FormatError(
                f"{source}: row {expected + 2} has seq {seq}, expected {expected};"
                " renumber the rows from 0"
            )
    if not rows:
        return Mission(items=())
    return Mission(items=tuple(it for _, it in rows[1:]), home=rows[0][1])


def read_waypoints(path: str | Path) -> Mission:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot read the file ({exc}); check the path") from None
    return parse_waypoints(text, path.name)


def _f(v: float, digits: int) -> str:
    return "nan" if math.isnan(v) else f"{v:.{digits}f}"


def waypoints_text(mission: Mission) -> str:
    home = mission.home
    if home is None:
        first = next((i for i in mission.items if i.lat or i.lon), None)
        home = MissionItem(
            16, Frame.GLOBAL, lat=first.lat if first else 0.0, lon=first.lon if first else 0.0
        )
    out = [HEADER]
    for seq, it in enumerate((home, *mission.items)):
        out.append(
            "\t".join(
                [
                    str(seq),
                    "1" if seq == 0 else "0",
                    str(int(it.frame)),
                    str(int(it.command)),
                    *(
                        _f(float(v), 8)
                        for v in (it.param1, it.param2, it.param3, it.param4, it.lat, it.lon)
                    ),
                    _f(float(it.alt), 6),
                    "1" if it.autocontinue else "0",
                ]
            )
        )
    return "\n".join(out) + "\n"


def write_waypoints(mission: Mission, path: str | Path) -> None:
    try:
        Path(path).write_text(waypoints_text(mission), encoding="utf-8", newline="\n")
    except OSError as exc:
        raise FormatError(f"{path}: cannot write ({exc}); check the folder") from None
