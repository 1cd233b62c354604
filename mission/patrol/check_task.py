"""A check task: one short orbit sortie over a point, flown now by a given drone.

A ground team's tip or a vision alert names a point; the runner sends the next free drone. The
sortie takes off from its launch site, flies the shortest path through free space (the district
less the no-fly margins) to the point, orbits it (NAV_LOITER_TURNS) and comes back to land. Its
flight time to the point is returned, because that is what the requester waits for. The orbit
radius shrinks (to no less than ``MIN_RADIUS_M``) where the point is near the district edge or a
no-fly margin; a point outside the district or inside a margin is refused in one line.

A drone already in the air may be diverted to the point (``from_xy``: where it holds). Its sortie
then starts there: the mission's home and take-off item are that point, so every check and the
pack's budget count the flight from where it really begins, and it still lands at its site. It
resumes at ``AIR_START_SEQ``, the first item after the take-off, and is never held: a drone in
the air cannot wait on the ground for a gap in the traffic.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry import Point

from mission.checks import require_safe
from mission.coverage.area import grown_no_fly
from mission.coverage.freespace import FreeSpace
from mission.errors import PlanError
from mission.flight_model import FlightModel
from mission.model import Cmd, District, Mission
from mission.patrol.layer_around import layer_around
from mission.schedule import Sortie
from mission.sortie import Orbit, Route, Waypoint, check_altitude, route_to_mission
from mission.text import N_

__all__ = ["CheckSortie", "plan_check", "nearest_site", "ORBIT_RADIUS_M", "MIN_RADIUS_M",
           "AIR_START_SEQ", "arrival_seq"]  # fmt: skip

ORBIT_RADIUS_M = 30.0
MIN_RADIUS_M = 10.0
ORBIT_TURNS = 2.0
AIR_START_SEQ = 2  # seq 0 is home, 1 the take-off: a diverted drone resumes at the next item
_TASK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,58}$")  # "task-" + id is a topic level


@dataclass(frozen=True)
class CheckSortie:
    """The check sortie, its mission (layered around the traffic), and the flight time from
    take-off to arrival over the point."""

    sortie: Sortie
    mission: Mission
    to_point_s: float

    @property
    def arrival_s(self) -> float:
        """Schedule time at which the drone is over the point (departure holds included)."""
        return self.sortie.start_s + self.to_point_s


def _free(district: District, margin_m: float) -> tuple[FreeSpace, object]:
    nofly = grown_no_fly(district, margin_m)
    shapely.prepare(nofly)
    return FreeSpace(district.boundary.difference(nofly)), nofly


def _check_point(district: District, x: float, y: float, nofly, margin_m: float) -> None:
    if not (math.isfinite(x) and math.isfinite(y)):
        raise PlanError(
            N_("check point ({x}, {y}) is not a finite position; send a real point", x=x, y=y)
        )
    p = Point(x, y)
    if not district.boundary.covers(p):
        far = district.boundary.distance(p)
        raise PlanError(
            N_(
                "check point is outside the district ({far_m:.0f} m beyond its boundary); send a "
                "point inside it or hand the check to the neighbouring district",
                far_m=far,
            )
        )
    if nofly.intersects(p):
        raise PlanError(
            N_(
                "check point is inside a no-fly zone or within its {margin_m:g} m margin; pick a "
                "point outside it (the drone may look from the edge)",
                margin_m=margin_m,
            )
        )


def nearest_site(
    district: District, x: float, y: float, *, sites: Sequence[str] | None = None,
    margin_m: float,
) -> str:  # fmt: skip
    """The launch site (of ``sites``, default all) with the shortest flyable path to the point."""
    free, nofly = _free(district, margin_m)
    _check_point(district, x, y, nofly, margin_m)
    usable = [s for s in district.launch_sites if sites is None or s.id in sites]
    if not usable:
        raise PlanError(
            N_("no launch site among {sites}; use the district's sites", sites=list(sites or []))
        )
    return min(usable, key=lambda s: (free.length((s.position.x, s.position.y), (x, y)), s.id)).id


def plan_check(
    district: District,
    *,
    task_id: str,
    x: float,
    y: float,
    drone: str,
    site: str,
    start_s: float,
    flight_model: FlightModel,
    alt_m: float,
    ceiling_m: float,
    margin_m: float,
    traffic: Sequence[tuple[Sortie, Mission]] = (),
    radius_m: float = ORBIT_RADIUS_M,
    turns: float = ORBIT_TURNS,
    from_xy: tuple[float, float] | None = None,
) -> CheckSortie:
    """The check sortie ``task-<task_id>`` over (x, y) (district metres) by ``drone`` from
    ``site`` at ``start_s``, separated from ``traffic`` (sorties flying meanwhile, unchanged);
    with ``from_xy``, by a drone in the air there, diverted at ``start_s``, landing at ``site``."""
    if not _TASK_ID.match(task_id):
        raise PlanError(
            N_(
                "task id {task} is not 1-59 letters, digits or ._:- ; send a plain id",
                task=repr(task_id[:70]),
            )
        )
    if not math.isfinite(start_s):
        raise PlanError(
            N_("check start {start_s} is not a finite time; give schedule seconds", start_s=start_s)
        )
    if not (math.isfinite(radius_m) and radius_m >= MIN_RADIUS_M and 0 < turns <= 10):
        raise PlanError(
            N_(
                "orbit of {radius_m} m x {turns} turns: give a radius of at least {min_m:g} m "
                "and 1-10 turns",
                radius_m=radius_m,
                turns=turns,
                min_m=MIN_RADIUS_M,
            )
        )
    check_altitude(alt_m, ceiling_m)
    free, nofly = _free(district, margin_m)
    _check_point(district, x, y, nofly, margin_m)
    where = next((s for s in district.launch_sites if s.id == site), None)
    if where is None:
        known = [s.id for s in district.launch_sites]
        raise PlanError(
            N_(
                "launch site {site} is not in the district {known}; use one of them",
                site=repr(site),
                known=known,
            )
        )
    here = Point(x, y)
    room = district.boundary.boundary.distance(here)
    if not nofly.is_empty:
        room = min(room, nofly.distance(here))
    radius = float(math.floor(min(radius_m, room - 1.0)))
    if radius < MIN_RADIUS_M:
        raise PlanError(
            N_(
                "check point is {room_m:.0f} m from the district edge or a no-fly margin, too "
                "close for a {min_m:g} m orbit; pick a point further inside",
                room_m=room,
                min_m=MIN_RADIUS_M,
            )
        )
    home = (where.position.x, where.position.y)
    start = home if from_xy is None else (float(from_xy[0]), float(from_xy[1]))
    if not all(math.isfinite(v) for v in start):
        raise PlanError(N_("the drone's reported position is not finite; it cannot be diverted"))
    out = free.path(start, (x, y))
    back = free.path((x, y), home)
    steps = (
        *(Waypoint(*p) for p in out[1:-1]),
        Waypoint(
            x, y
        ),  # over the point: its "reached" is the arrival (an orbit's comes at its end)
        Orbit(x, y, radius, turns),
        *(Waypoint(*p) for p in back[1:-1]),
    )
    mission = route_to_mission(Route(site, home, steps), district, alt_m, flight_model.cruise_mps)
    if from_xy is not None:
        mission = _starting_at(mission, district, start)
    fm = flight_model
    sortie = Sortie(
        f"task-{task_id}", drone, site, float(start_s),
        float(start_s) + fm.mission_time_s(mission), alt_m, (), f"task-{task_id}-{drone}.plan",
    )  # fmt: skip
    placed, refused = layer_around(
        [(sortie, mission)], traffic, district=district, flight_model=fm, alt_m=alt_m,
        ceiling_m=ceiling_m, max_hold_s=120.0 if from_xy is None else 0.0,
    )  # fmt: skip
    if refused:
        raise PlanError(
            N_(
                "check sortie task-{task} cannot be separated from the sorties in the air within "
                "2 min of holding; send it when one has landed",
                task=task_id,
            )
        )
    ((sortie, mission),) = placed
    require_safe(mission, district, ceiling_m=ceiling_m, margin_m=margin_m, flight_model=fm)
    sortie = dataclasses.replace(sortie, end_s=sortie.start_s + fm.mission_time_s(mission))
    to_point = fm.path_s(out)
    if from_xy is None:
        to_point += fm.takeoff_s(sortie.alt_m)
    return CheckSortie(sortie, mission, to_point)


def arrival_seq(mission: Mission) -> int:
    """The seq of the waypoint over the point, just before the orbit: the drone has arrived when
    it reaches it (ArduPilot reports an orbit reached only once it is flown)."""
    items = mission.items
    orbit = next((i + 1 for i, it in enumerate(items) if it.command == Cmd.NAV_LOITER_TURNS),
                 len(items))  # fmt: skip
    return orbit - 1


def _starting_at(mission: Mission, district: District, xy: tuple[float, float]) -> Mission:
    """The mission with its home and take-off item where a diverted drone holds."""
    lon, lat = district.frame.to_lonlat(*xy)
    lat, lon = round(float(lat), 8), round(float(lon), 8)
    first = dataclasses.replace(mission.items[0], lat=lat, lon=lon)
    home = dataclasses.replace(mission.home, lat=lat, lon=lon) if mission.home else None
    return dataclasses.replace(mission, items=(first, *mission.items[1:]), home=home)
