"""Mission, fence and rally points as the MISSION_ITEM_INT lists that cross the link, and back.

A ``Mission`` holds three things a vehicle stores separately: the waypoint list (with ArduPilot's
home at seq 0), the geofence (polygon vertices and circles as NAV_FENCE_* items) and the rally
points (NAV_RALLY_POINT items). ``WireItem`` is one item exactly as the wire carries it: integer
degE7 positions and float32 parameters, so comparisons and hashes see what the vehicle sees.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
from vehicle.errors import TransferError
from vehicle.transfer.protocol import MissionType

__all__ = [
    "WireItem",
    "FENCE_POLYGON_INCLUSION",
    "FENCE_POLYGON_EXCLUSION",
    "FENCE_CIRCLE_INCLUSION",
    "FENCE_CIRCLE_EXCLUSION",
    "RALLY_POINT",
    "wire_items",
    "mission_from_wire",
]

FENCE_POLYGON_INCLUSION = 5001
FENCE_POLYGON_EXCLUSION = 5002
FENCE_CIRCLE_INCLUSION = 5003
FENCE_CIRCLE_EXCLUSION = 5004
RALLY_POINT = 5100


def f32(value: float) -> float:
    """``value`` as the float32 the wire carries."""
    return struct.unpack("<f", struct.pack("<f", float(value)))[0]


@dataclass(frozen=True)
class WireItem:
    """One MISSION_ITEM_INT without seq, target or mission type (those belong to the transfer)."""

    command: int
    frame: int
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    x: int = 0
    y: int = 0
    z: float = 0.0
    autocontinue: int = 1

    def __post_init__(self) -> None:
        for name in ("param1", "param2", "param3", "param4", "z"):
            object.__setattr__(self, name, f32(getattr(self, name)))

    @classmethod
    def from_message(cls, msg: Any) -> WireItem:
        return cls(
            command=int(msg.command),
            frame=int(msg.frame),
            param1=msg.param1,
            param2=msg.param2,
            param3=msg.param3,
            param4=msg.param4,
            x=int(msg.x),
            y=int(msg.y),
            z=msg.z,
            autocontinue=int(msg.autocontinue),
        )

    def encode(self, mav: Any, target: Any, seq: int, mission_type: MissionType) -> Any:
        return mav.mission_item_int_encode(
            target.system,
            target.component,
            seq,
            self.frame,
            self.command,
            0,
            self.autocontinue,
            self.param1,
            self.param2,
            self.param3,
            self.param4,
            self.x,
            self.y,
            self.z,
            int(mission_type),
        )

    @property
    def lat(self) -> float:
        return self.x / 1e7

    @property
    def lon(self) -> float:
        return self.y / 1e7


HOME_PLACEHOLDER = WireItem(command=16, frame=int(Frame.GLOBAL))


def _from_item(item: MissionItem) -> WireItem:
    return WireItem(
        command=int(item.command),
        frame=int(item.frame),
        param1=item.param1,
        param2=item.param2,
        param3=item.param3,
        param4=item.param4,
        x=item.x,
        y=item.y,
        z=item.alt,
        autocontinue=1 if item.autocontinue else 0,
    )


def _to_item(w: WireItem) -> MissionItem:
    return MissionItem(
        command=w.command,
        frame=w.frame,
        param1=w.param1,
        param2=w.param2,
        param3=w.param3,
        param4=w.param4,
        lat=w.lat,
        lon=w.lon,
        alt=w.z,
        autocontinue=bool(w.autocontinue),
    )


def _deg_e7(value: float) -> int:
    return int(round(value * 1e7))


def _fence_items(fence: Fence) -> list[WireItem]:
    out: list[WireItem] = []
    for poly in fence.polygons:
        if len(poly.vertices) < 3:
            raise TransferError(
                N_(
                    "fence polygon has {n_vertices} vertices; a fence polygon needs at least 3, fix "
                    "the plan's geofence",
                    n_vertices=len(poly.vertices),
                )
            )
        cmd = FENCE_POLYGON_INCLUSION if poly.inclusion else FENCE_POLYGON_EXCLUSION
        for lat, lon in poly.vertices:
            out.append(
                WireItem(
                    command=cmd,
                    frame=int(Frame.GLOBAL),
                    param1=len(poly.vertices),
                    x=_deg_e7(lat),
                    y=_deg_e7(lon),
                )
            )
    for circle in fence.circles:
        cmd = FENCE_CIRCLE_INCLUSION if circle.inclusion else FENCE_CIRCLE_EXCLUSION
        out.append(
            WireItem(
                command=cmd,
                frame=int(Frame.GLOBAL),
                param1=circle.radius_m,
                x=_deg_e7(circle.lat),
                y=_deg_e7(circle.lon),
            )
        )
    return out


def _fence_from(items: list[WireItem]) -> Fence:
    polygons: list[FencePolygon] = []
    circles: list[FenceCircle] = []
    i = 0
    while i < len(items):
        w = items[i]
        if w.command in (FENCE_CIRCLE_INCLUSION, FENCE_CIRCLE_EXCLUSION):
            inclusion = w.command == FENCE_CIRCLE_INCLUSION
            circles.append(FenceCircle(w.lat, w.lon, w.param1, inclusion))
            i += 1
            continue
        if w.command not in (FENCE_POLYGON_INCLUSION, FENCE_POLYGON_EXCLUSION):
            raise TransferError(
                N_(
                    "fence item {i} has command {command}, not a fence vertex or circle; clear the "
                    "vehicle's fence and upload it again",
                    i=i,
                    command=w.command,
                )
            )
        count = int(w.param1)
        group = items[i : i + count]
        if count < 3 or len(group) < count or any(g.command != w.command for g in group):
            raise TransferError(
                N_(
                    "fence polygon at item {i} announces {count} vertices but the vehicle holds "
                    "{held}; clear the fence and upload again",
                    i=i,
                    count=count,
                    held=sum(g.command == w.command for g in group),
                )
            )
        polygons.append(
            FencePolygon(tuple((g.lat, g.lon) for g in group), w.command == FENCE_POLYGON_INCLUSION)
        )
        i += count
    return Fence(polygons=tuple(polygons), circles=tuple(circles))


def wire_items(mission: Mission, mission_type: MissionType) -> list[WireItem]:
    """The items to upload for one mission type; the mission list starts with home (seq 0)."""
    if mission_type is MissionType.MISSION:
        home = _from_item(mission.home) if mission.home is not None else HOME_PLACEHOLDER
        return [home, *(_from_item(i) for i in mission.items)]
    if mission_type is MissionType.FENCE:
        return _fence_items(mission.fence)
    return [
        WireItem(
            command=RALLY_POINT,
            frame=int(Frame.GLOBAL_RELATIVE_ALT),
            x=_deg_e7(r.lat),
            y=_deg_e7(r.lon),
            z=r.alt,
        )
        for r in mission.rally
    ]


def mission_from_wire(
    mission_items: Sequence[WireItem],
    fence_items: Sequence[WireItem] = (),
    rally_items: Sequence[WireItem] = (),
) -> Mission:
    """A ``Mission`` from downloaded item lists (seq 0 of the mission list is home)."""
    home = _to_item(mission_items[0]) if mission_items else None
    return Mission(
        items=tuple(_to_item(w) for w in mission_items[1:]),
        home=home,
        fence=_fence_from(list(fence_items)),
        rally=tuple(RallyPoint(w.lat, w.lon, w.z) for w in rally_items),
    )
