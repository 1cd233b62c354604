"""A complete coverage plan over part of the district: sweep, split into sorties, missions."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString

from mission.coverage.area import resolve_area, sweep_regions
from mission.coverage.base import SweepPath
from mission.coverage.boustrophedon import Boustrophedon
from mission.coverage.camera import DEFAULT_CAMERA, Camera, spacing_for, trigger_distance_for
from mission.coverage.freespace import FreeSpace
from mission.coverage.split import split_sweep
from mission.errors import PlanError
from mission.flight_model import FlightModel
from mission.limits import CEILING_M, ITEM_LIMIT, NO_FLY_MARGIN_M, PATROL_ALT_M
from mission.model import District, Mission
from mission.sortie import Route, check_altitude, route_to_mission

__all__ = ["SweepSettings", "SweepPlan", "plan_sweep", "footprint_coverage"]


@dataclass(frozen=True)
class SweepSettings:
    alt_m: float = PATROL_ALT_M
    ceiling_m: float = CEILING_M
    margin_m: float = NO_FLY_MARGIN_M
    spacing_m: float | None = None
    angle_deg: float | None = None
    camera: Camera = DEFAULT_CAMERA
    side_overlap: float = 0.70
    front_overlap: float = 0.80
    launch_site: str | None = None
    item_limit: int = ITEM_LIMIT
    flight_model: FlightModel = FlightModel()


@dataclass(frozen=True)
class SweepPlan:
    label: str
    target: object
    path: SweepPath
    routes: tuple[Route, ...]
    missions: tuple[Mission, ...]
    trigger_m: float


def _nearest_site(district: District, target) -> str:
    if not district.launch_sites:
        raise PlanError(f"{district.name} has no launch site; add a launch_site feature")
    c = target.representative_point()
    return min(district.launch_sites, key=lambda s: s.position.distance(c)).id


def plan_sweep(district: District, area: str, cfg: SweepSettings = SweepSettings()) -> SweepPlan:
    check_altitude(cfg.alt_m, cfg.ceiling_m)
    label, shape = resolve_area(district, area)
    target, transit = sweep_regions(district, shape, cfg.margin_m)
    spacing = cfg.spacing_m or spacing_for(cfg.camera, cfg.alt_m, cfg.side_overlap)
    trigger = trigger_distance_for(cfg.camera, cfg.alt_m, cfg.front_overlap)
    site_id = cfg.launch_site or _nearest_site(district, target)
    try:
        site = district.launch_site(site_id)
    except KeyError:
        ids = ", ".join(s.id for s in district.launch_sites)
        raise PlanError(f"no launch site {site_id!r}; use one of: {ids}") from None
    launch = (site.position.x, site.position.y)
    free = FreeSpace(transit)
    fm = cfg.flight_model
    turn_cost = 2 * fm.corner_s * fm.cruise_mps
    path = Boustrophedon(free, turn_cost).plan(target, spacing, cfg.angle_deg, start=launch)
    routes = split_sweep(path, site_id, launch, free, fm, cfg.alt_m, cfg.item_limit, trigger)
    missions = tuple(route_to_mission(r, district, cfg.alt_m, fm.cruise_mps) for r in routes)
    return SweepPlan(label, target, path, tuple(routes), missions, trigger)


def footprint_coverage(target, path: SweepPath, width_m: float, resolution_m: float = 1.0) -> float:
    """Fraction of ``target`` within ``width_m``/2 of the path, rasterised at ``resolution_m``.

    A footprint exactly one line spacing wide (zero side overlap) is the strictest reading.
    """
    foot = LineString(path.points).buffer(width_m / 2)
    xmin, ymin, xmax, ymax = target.bounds
    xs = np.arange(xmin + resolution_m / 2, xmax, resolution_m)
    ys = np.arange(ymin + resolution_m / 2, ymax, resolution_m)
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    shapely.prepare(target)
    inside = shapely.contains_xy(target, gx, gy)
    shapely.prepare(foot)
    covered = shapely.contains_xy(foot, gx[inside], gy[inside])
    total = int(inside.sum())
    return float(covered.sum()) / total if total else math.nan
