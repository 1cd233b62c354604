"""The runner's door to the planner: re-plan the rest of the day, and plan a check sortie.

The runner calls only ``replan`` and ``check_sortie``; which planner answers is decided here, so
wiring the full re-planner (``mission.patrol.replan.replan_rest``) and check-task planner
(``mission.patrol.check_task.plan_check``) in is a change to this module only. Until they are on
main, the narrow versions here do what the runner cannot do without: a re-plan keeps every sortie
still to fly as planned and names each revisit limit that the day, as flown plus as still
planned, can no longer keep; a check sortie is take-off at the nearest launch site, a straight
leg to the point, two turns round it, and a landing back at the site, checked like any mission.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from shapely.geometry import Point

from mission.checks import require_safe
from mission.errors import PlanError
from mission.flight_model import FlightModel
from mission.model import District, Mission
from mission.sortie import Orbit, Route, Waypoint, route_to_mission
from telemetry.patrol_records import LimitRisk

__all__ = ["Replan", "CheckSortie", "replan", "check_sortie", "limits_at_risk"]

CHECK_ORBIT_M = 30.0
CHECK_TURNS = 2.0


@dataclass(frozen=True)
class Replan:
    """The sorties still to fly (id -> new start second; absent: dropped) and the limits at risk."""

    keep: dict[str, float]
    at_risk: list[LimitRisk]


@dataclass(frozen=True)
class CheckSortie:
    """A check sortie: its mission, how long it flies, and when it is over the point."""

    mission: Mission
    launch_site: str
    duration_s: float
    arrival_s: float


def limits_at_risk(
    visits: dict[str, Sequence[float]], limits_min: dict[str, float], horizon_s: float
) -> list[LimitRisk]:
    """Each area whose worst gap between visits (horizon start and end as bounds) exceeds its
    limit, with that gap."""
    out = []
    for area, limit in sorted(limits_min.items()):
        marks = [0.0, *sorted(visits.get(area, ())), horizon_s]
        worst = max(b - a for a, b in zip(marks, marks[1:], strict=False)) / 60.0
        if worst > limit + 1e-6:
            out.append(LimitRisk(area=area, limit_min=limit, worst_gap_min=round(worst, 1),
                                 reason="no sortie left to keep it"))  # fmt: skip
    return out


def replan(
    pending: dict[str, float],
    visits: dict[str, Sequence[float]],
    limits_min: dict[str, float],
    horizon_s: float,
) -> Replan:
    """The rest of the day after trouble. ``pending``: sorties still to fly by id, with start.

    The narrow version keeps them as planned; the limits it names are those that fail with the
    visits flown plus the visits still planned.
    """
    return Replan(dict(pending), limits_at_risk(visits, limits_min, horizon_s))


def check_sortie(
    district: District,
    lat: float,
    lon: float,
    *,
    site_id: str,
    alt_m: float,
    ceiling_m: float,
    model: FlightModel,
) -> CheckSortie:
    """Fly from the drone's launch site to the point, orbit it, land back; checked like any
    sortie (a point outside the district or in a no-fly zone is refused by the checks)."""
    x, y = district.frame.to_metric(lon, lat)
    here = Point(float(x), float(y))
    site = next((s for s in district.launch_sites if s.id == site_id), None)
    if site is None:
        raise PlanError(f"launch site {site_id} is not in the district; check the district file")
    route = Route(
        site.id,
        (site.position.x, site.position.y),
        (Waypoint(here.x, here.y), Orbit(here.x, here.y, CHECK_ORBIT_M, CHECK_TURNS)),
    )
    mission = route_to_mission(route, district, alt_m, model.cruise_mps)
    require_safe(mission, district, ceiling_m=ceiling_m, flight_model=model)
    climb = alt_m / model.climb_mps
    arrival = climb + site.position.distance(here) / model.cruise_mps
    duration = model.mission_time_s(mission)
    return CheckSortie(mission, site.id, duration, arrival if math.isfinite(arrival) else duration)
