"""Which key areas a sortie really flew over.

"Visited" is what the vehicle reports, not what was planned: an area counts once the vehicle
says it reached (MISSION_ITEM_REACHED) a mission item that lies in the area (within a few metres
of its outline, for an orbit's centre on an edge). A sortie cut short by a failsafe therefore
visits only the areas it got to, and the re-plan sees the real gaps.
"""

from __future__ import annotations

from collections.abc import Iterable

from shapely.geometry import Point

from mission.flight_model import has_position
from mission.model import District, Mission

__all__ = ["areas_by_seq", "visited"]

EDGE_M = 5.0


def areas_by_seq(mission: Mission, district: District) -> dict[int, tuple[str, ...]]:
    """Mission sequence number (item i is seq i + 1; seq 0 is home) -> key areas it lies in."""
    shapes = [(a.id, a.shape.buffer(EDGE_M)) for a in district.key_areas]
    out: dict[int, tuple[str, ...]] = {}
    for i, item in enumerate(mission.items):
        if not has_position(item):
            continue
        x, y = district.frame.to_metric(item.lon, item.lat)
        here = Point(float(x), float(y))
        inside = tuple(area for area, shape in shapes if shape.contains(here))
        if inside:
            out[i + 1] = inside
    return out


def visited(reached: Iterable[int], by_seq: dict[int, tuple[str, ...]]) -> tuple[str, ...]:
    """The areas of the reached items, in the order first reached."""
    seen: dict[str, None] = {}
    for seq in reached:
        for area in by_seq.get(seq, ()):
            seen.setdefault(area)
    return tuple(seen)
