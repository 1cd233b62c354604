"""The patrol problem, what a visit to each key area costs, and the planner interface.

A point key area is visited with one orbit (NAV_LOITER_TURNS at its radius); a polygon key area
with a short sweep (lines one camera footprint apart). Travel between launch sites and areas uses
shortest paths through the district's free space, computed once for every pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
import shapely
from shapely.geometry import Point

from mission.coverage.area import grown_no_fly
from mission.coverage.boustrophedon import Boustrophedon
from mission.coverage.camera import DEFAULT_CAMERA, Camera
from mission.coverage.freespace import FreeSpace
from mission.errors import PlanError
from mission.flight_model import FlightModel
from mission.limits import CEILING_M, NO_FLY_MARGIN_M, PATROL_ALT_M
from mission.model import District
from mission.patrol.return_reach import ReturnReach, return_reach
from mission.schedule import Schedule
from mission.sortie import Orbit, Route, Step, Waypoint, check_altitude
from mission.text import N_

__all__ = ["PatrolProblem", "AreaService", "Network", "PatrolPlan", "PatrolPlanner", "network"]


@dataclass(frozen=True)
class PatrolProblem:
    district: District
    hours: float
    drones: int
    start: datetime
    flight_model: FlightModel = FlightModel()
    alt_m: float = PATROL_ALT_M
    ceiling_m: float = CEILING_M
    margin_m: float = NO_FLY_MARGIN_M
    camera: Camera = DEFAULT_CAMERA

    @property
    def horizon_s(self) -> float:
        return self.hours * 3600.0


@dataclass(frozen=True)
class AreaService:
    """How one key area is visited: fly to ``entry``, do ``steps`` (``service_s``), leave at exit."""

    id: str
    priority: int
    limit_s: float
    service_s: float
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Network:
    """Areas and launch sites, and travel times/paths between them.

    Node ids: launch sites ``0..S-1``, area entries ``S..S+A-1``, area exits ``S+A..S+2A-1``.
    """

    sites: tuple[str, ...]
    site_xy: tuple[tuple[float, float], ...]
    areas: tuple[AreaService, ...]
    time_s: np.ndarray
    paths: dict
    reach: ReturnReach | None = None  # the longest low-battery return, per site (return_reach)

    def entry(self, a: int) -> int:
        return len(self.sites) + a

    def exit(self, a: int) -> int:
        return len(self.sites) + len(self.areas) + a


@dataclass(frozen=True)
class PatrolPlan:
    schedule: Schedule
    routes: dict[str, Route]


class PatrolPlanner(Protocol):
    def plan(self, problem: PatrolProblem) -> PatrolPlan: ...


def _service(problem: PatrolProblem, area, free: FreeSpace, nofly) -> tuple[AreaService, tuple]:
    fm = problem.flight_model
    limit = area.revisit_minutes * 60.0
    if area.pattern == "orbit" or area.radius_m:
        r = float(area.radius_m or np.sqrt(area.shape.area / np.pi))
        circle = area.center.buffer(r)
        if not problem.district.boundary.covers(circle) or circle.intersects(nofly):
            raise PlanError(
                N_(
                    "key area {id}: its {radius_m:.0f} m orbit leaves the district or comes within "
                    "{margin_m:g} m of a no-fly zone; shrink its radius or move it",
                    id=area.id,
                    radius_m=r,
                    margin_m=problem.margin_m,
                )
            )
        c = (area.center.x, area.center.y)
        return AreaService(area.id, area.priority, limit, fm.orbit_s(r), (Orbit(*c, r),)), (c, c)
    target = area.shape.intersection(problem.district.boundary).difference(nofly)
    if target.is_empty:
        raise PlanError(
            N_(
                "key area {id} lies entirely in a no-fly zone margin or outside the district; "
                "fix the district file",
                id=area.id,
            )
        )
    width = problem.camera.footprint_m(problem.alt_m)[0]
    turn_cost = 2 * fm.corner_cost_s(90.0) * fm.cruise_mps
    path = Boustrophedon(free, turn_cost).plan(target, width, start=(area.center.x, area.center.y))
    pts = [tuple(map(float, p)) for p in path.points]
    steps = tuple(Waypoint(*p) for p in pts)
    return AreaService(area.id, area.priority, limit, fm.path_s(pts), steps), (pts[0], pts[-1])


def network(problem: PatrolProblem) -> Network:
    """Everything the scheduler needs, computed once (services, travel time/paths between all)."""
    d = problem.district
    check_altitude(problem.alt_m, problem.ceiling_m)
    if not d.key_areas:
        raise PlanError(N_("{name} has no key areas to patrol; add key_area features", name=d.name))
    if not d.launch_sites:
        raise PlanError(N_("{name} has no launch site; add a launch_site feature", name=d.name))
    nofly = grown_no_fly(d, problem.margin_m)
    free = FreeSpace(d.boundary.difference(nofly))
    shapely.prepare(nofly)
    services, entries, exits = [], [], []
    for area in d.key_areas:
        svc, (a, b) = _service(problem, area, free, nofly)
        services.append(svc)
        entries.append(a)
        exits.append(b)
    site_xy = [(s.position.x, s.position.y) for s in d.launch_sites]
    for s, xy in zip(d.launch_sites, site_xy, strict=True):
        if not free.contains(xy) or nofly.intersects(Point(xy)):
            raise PlanError(
                N_(
                    "launch site {id} is outside the district or within {margin_m:g} m of a no-fly "
                    "zone; move it",
                    id=s.id,
                    margin_m=problem.margin_m,
                )
            )
    dist, paths = free.all_pairs(site_xy + entries + exits)
    fm = problem.flight_model
    n = len(dist)
    # the copter stops at the waypoint before an orbit or a landing (ends at a site)
    halts = set(range(len(site_xy)))
    halts |= {len(site_xy) + a for a, s in enumerate(services) if isinstance(s.steps[0], Orbit)}
    time_s = np.array(
        [
            [fm.path_s(paths[(i, j)], j in halts) if i != j else 0.0 for j in range(n)]
            for i in range(n)
        ]
    )
    reach = return_reach(d, problem.margin_m, site_xy, paths, n, [s.steps for s in services])
    return Network(
        tuple(s.id for s in d.launch_sites), tuple(site_xy), tuple(services), time_s, paths, reach
    )
