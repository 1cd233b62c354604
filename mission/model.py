"""Domain data of the planner: the district and the missions flown over it.

Frozen dataclasses, so stages can pass them around and cache on them safely. District geometry is
held in local metres (see ``mission.geo.LocalFrame``); mission items are held in WGS84 degrees,
because that is what reaches the vehicle.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

from shapely.geometry import Point, Polygon

from mission.geo import LocalFrame

__all__ = [
    "Cell",
    "KeyArea",
    "NoFlyZone",
    "LaunchSite",
    "PrivacyZone",
    "District",
    "Cmd",
    "Frame",
    "MissionItem",
    "Fence",
    "FencePolygon",
    "FenceCircle",
    "RallyPoint",
    "Mission",
]


@dataclass(frozen=True)
class Cell:
    """One of the district's grid cells; ``team`` is the ground team that answers alerts there."""

    id: int
    community: str
    team: str
    shape: Polygon
    name_zh: str | None = None


@dataclass(frozen=True)
class KeyArea:
    """A place patrols revisit; ``shape`` is the polygon, or the circle of ``radius_m`` round a point."""

    id: str
    name: str
    priority: int
    revisit_minutes: float
    pattern: Literal["sweep", "orbit"]
    shape: Polygon
    center: Point
    radius_m: float | None = None
    name_zh: str | None = None


@dataclass(frozen=True)
class NoFlyZone:
    id: str
    name: str
    reason: str
    shape: Polygon
    name_zh: str | None = None


@dataclass(frozen=True)
class LaunchSite:
    id: str
    name: str
    position: Point
    name_zh: str | None = None


@dataclass(frozen=True)
class PrivacyZone:
    """Cameras are masked here, both before detection and in stored evidence."""

    id: str
    name: str
    shape: Polygon
    name_zh: str | None = None


@dataclass(frozen=True)
class District:
    """Everything the planner, the telemetry tagger and the alert router know about the place.

    All shapes are in ``frame`` metres; ``crs`` records the coordinate system the file declared
    (its coordinates are always converted to WGS84 on load).
    """

    name: str
    frame: LocalFrame
    boundary: Polygon
    ground_elevation_m: float | None = None
    cells: tuple[Cell, ...] = ()
    key_areas: tuple[KeyArea, ...] = ()
    no_fly: tuple[NoFlyZone, ...] = ()
    launch_sites: tuple[LaunchSite, ...] = ()
    privacy_zones: tuple[PrivacyZone, ...] = ()
    name_zh: str | None = None
    crs: str = "wgs84"

    def cell(self, cell_id: int) -> Cell:
        for c in self.cells:
            if c.id == cell_id:
                return c
        raise KeyError(cell_id)

    def key_area(self, area_id: str) -> KeyArea:
        for a in self.key_areas:
            if a.id == area_id:
                return a
        raise KeyError(area_id)

    def launch_site(self, site_id: str) -> LaunchSite:
        for s in self.launch_sites:
            if s.id == site_id:
                return s
        raise KeyError(site_id)


class Cmd(IntEnum):
    """MAV_CMD values the planner writes or checks."""

    NAV_WAYPOINT = 16
    NAV_LOITER_UNLIM = 17
    NAV_LOITER_TURNS = 18
    NAV_LOITER_TIME = 19
    NAV_RETURN_TO_LAUNCH = 20
    NAV_LAND = 21
    NAV_TAKEOFF = 22
    NAV_SPLINE_WAYPOINT = 82
    CONDITION_YAW = 115
    DO_JUMP = 177
    DO_CHANGE_SPEED = 178
    DO_SET_ROI = 201
    DO_SET_CAM_TRIGG_DIST = 206


class Frame(IntEnum):
    """MAV_FRAME values used by mission items."""

    GLOBAL = 0
    MISSION = 2
    GLOBAL_RELATIVE_ALT = 3
    GLOBAL_TERRAIN_ALT = 10


@dataclass(frozen=True)
class MissionItem:
    """One MISSION_ITEM_INT, without its sequence number (the position in ``Mission.items``).

    ``lat``/``lon`` are degrees; on the wire they become ``x``/``y`` integers in degE7.
    ``above_terrain_m`` keeps QGroundControl's "calculated above terrain" altitude (AltitudeMode
    3): the item is in frame 0 and ``alt`` is the AMSL altitude QGC derives from its terrain
    data, NaN until it has done so. Kept so that no conversion loses the height the operator set.
    """

    command: int
    frame: int = Frame.GLOBAL_RELATIVE_ALT
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    lat: float = 0.0
    lon: float = 0.0
    alt: float = 0.0
    autocontinue: bool = True
    above_terrain_m: float | None = None

    @property
    def x(self) -> int:
        return int(round(self.lat * 1e7))

    @property
    def y(self) -> int:
        return int(round(self.lon * 1e7))


@dataclass(frozen=True)
class FencePolygon:
    """A fence polygon as (lat, lon) vertices, open ring; ``inclusion`` False means keep-out."""

    vertices: tuple[tuple[float, float], ...]
    inclusion: bool


@dataclass(frozen=True)
class FenceCircle:
    lat: float
    lon: float
    radius_m: float
    inclusion: bool


@dataclass(frozen=True)
class Fence:
    polygons: tuple[FencePolygon, ...] = ()
    circles: tuple[FenceCircle, ...] = ()


@dataclass(frozen=True)
class RallyPoint:
    lat: float
    lon: float
    alt: float


@dataclass(frozen=True)
class Mission:
    """A flyable mission: items after home, plus the fence and rally points that go with it.

    ``home`` is seq 0 on ArduPilot (a placeholder on upload). ``cruise_mps`` and ``hover_mps``
    feed flight-time estimates; ``vehicle`` follows QGC's vehicleType (2 = quadrotor).
    """

    items: tuple[MissionItem, ...]
    home: MissionItem | None = None
    fence: Fence = Fence()
    rally: tuple[RallyPoint, ...] = ()
    cruise_mps: float = 10.0
    hover_mps: float = 5.0
    firmware: int = 3
    vehicle: int = 2
