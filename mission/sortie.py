"""One sortie as a route in local metres, and its translation into mission items.

Every sortie the planner makes has the same shape, because the checker and the pilots rely on it:
NAV_TAKEOFF at the launch site, the work, back to the launch site, NAV_LAND. Altitudes are
relative to the launch site (MAV_FRAME_GLOBAL_RELATIVE_ALT); the fence (district inclusion,
no-fly exclusions) and the rally points (launch sites) travel with every mission.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mission.errors import MissionError, PlanError
from mission.model import (
    Cmd,
    District,
    Fence,
    FencePolygon,
    Frame,
    Mission,
    MissionItem,
    RallyPoint,
)
from mission.text import N_

__all__ = [
    "mission_layer_m",
    "Waypoint",
    "Orbit",
    "CameraTrigger",
    "Route",
    "route_to_mission",
    "district_fence",
    "check_altitude",
]


@dataclass(frozen=True)
class Waypoint:
    x: float
    y: float


@dataclass(frozen=True)
class Orbit:
    """NAV_LOITER_TURNS round (x, y)."""

    x: float
    y: float
    radius_m: float
    turns: float = 1.0


@dataclass(frozen=True)
class CameraTrigger:
    """DO_SET_CAM_TRIGG_DIST: ``distance_m`` > 0 starts triggering, 0 stops."""

    distance_m: float


Step = Waypoint | Orbit | CameraTrigger


@dataclass(frozen=True)
class Route:
    launch_site: str
    launch: tuple[float, float]
    steps: tuple[Step, ...]


def check_altitude(alt_m: float, ceiling_m: float) -> None:
    if not 0 < alt_m <= ceiling_m:
        raise PlanError(
            N_(
                "altitude {alt_m:g} m is not within (0, {ceiling_m:g}] m (the ceiling); lower "
                "--alt or raise --ceiling if the airspace allows",
                alt_m=alt_m,
                ceiling_m=ceiling_m,
            )
        )


def district_fence(district: District) -> Fence:
    """The district as inclusion polygon, and every hole in it (a lake) and every no-fly zone
    as exclusion polygon, in degrees: the vehicle's fence is as strict as the planner's checks,
    which treat a leg over a hole as leaving the district."""

    def ring(coords, inclusion: bool) -> FencePolygon:
        xy = np.asarray(coords)[:-1]
        lon, lat = district.frame.to_lonlat(xy[:, 0], xy[:, 1])
        return FencePolygon(
            tuple(zip(np.round(lat, 8).tolist(), np.round(lon, 8).tolist(), strict=True)), inclusion
        )

    polys = [ring(district.boundary.exterior.coords, True)]
    polys += [ring(hole.coords, False) for hole in district.boundary.interiors]
    polys += [ring(z.shape.exterior.coords, False) for z in district.no_fly]
    return Fence(polygons=tuple(polys))


def _lonlat(district: District, x: float, y: float) -> tuple[float, float]:
    lon, lat = district.frame.to_lonlat(x, y)
    return round(float(lat), 8), round(float(lon), 8)


def route_to_mission(
    route: Route, district: District, alt_m: float, cruise_mps: float = 10.0
) -> Mission:
    lat0, lon0 = _lonlat(district, *route.launch)
    rel = Frame.GLOBAL_RELATIVE_ALT
    items = [MissionItem(Cmd.NAV_TAKEOFF, rel, lat=lat0, lon=lon0, alt=alt_m)]
    for step in route.steps:
        if isinstance(step, CameraTrigger):
            items.append(
                MissionItem(
                    Cmd.DO_SET_CAM_TRIGG_DIST,
                    Frame.MISSION,
                    param1=round(step.distance_m, 2),
                    param3=1.0,
                )
            )
            continue
        lat, lon = _lonlat(district, step.x, step.y)
        if isinstance(step, Orbit):
            items.append(
                MissionItem(
                    Cmd.NAV_LOITER_TURNS,
                    rel,
                    param1=step.turns,
                    # ArduPilot stores LOITER_TURNS radii in whole metres; a fraction
                    # would come back changed and fail the upload's verification.
                    param3=float(round(step.radius_m)),
                    lat=lat,
                    lon=lon,
                    alt=alt_m,
                )
            )
        else:
            items.append(MissionItem(Cmd.NAV_WAYPOINT, rel, lat=lat, lon=lon, alt=alt_m))
    items.append(MissionItem(Cmd.NAV_LAND, rel, lat=lat0, lon=lon0, alt=0.0))
    ground = district.ground_elevation_m
    home_alt = float(ground) if ground is not None and math.isfinite(ground) else 0.0
    home_frame = Frame.GLOBAL if ground is not None else rel
    rally = []
    for site in district.launch_sites:
        lat, lon = _lonlat(district, site.position.x, site.position.y)
        rally.append(RallyPoint(lat, lon, float(round(alt_m))))
    return Mission(
        items=tuple(items),
        home=MissionItem(Cmd.NAV_WAYPOINT, home_frame, lat=lat0, lon=lon0, alt=home_alt),
        fence=district_fence(district),
        rally=tuple(rally),
        cruise_mps=cruise_mps,
    )


def mission_layer_m(mission: Mission) -> float:
    """The altitude a (layered) mission flies at: its highest positioned item above the launch
    site, so RTL never climbs into a layer above it, and never descends into one below."""
    alts = [
        it.alt - (mission.home.alt if it.frame == Frame.GLOBAL and mission.home else 0.0)
        for it in mission.items
        if it.command in _FLOWN and it.alt
    ]
    if not alts:
        raise MissionError(N_("the mission has no flown altitude; plan it with gridpatrol plan"))
    return float(max(alts))


_FLOWN = {Cmd.NAV_TAKEOFF, Cmd.NAV_WAYPOINT, Cmd.NAV_SPLINE_WAYPOINT, Cmd.NAV_LOITER_TURNS,
          Cmd.NAV_LOITER_TIME, Cmd.NAV_LOITER_UNLIM}  # fmt: skip
