"""A complete coverage plan over part of the district: sweep, split into sorties, missions."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString

from mission.checks import failsafe_returns
from mission.coverage.area import resolve_area, sweep_regions
from mission.coverage.base import SweepPath
from mission.coverage.boustrophedon import Boustrophedon, check_lines
from mission.coverage.camera import DEFAULT_CAMERA, Camera, spacing_for, trigger_distance_for
from mission.coverage.freespace import FreeSpace
from mission.coverage.pack import Site, pack_sweep
from mission.coverage.split import split_sweep
from mission.errors import PlanError
from mission.flight_model import FlightModel
from mission.limits import CEILING_M, ITEM_LIMIT, NO_FLY_MARGIN_M, PATROL_ALT_M
from mission.model import District, Mission
from mission.sortie import Route, Waypoint, check_altitude, route_to_mission
from mission.text import N_

__all__ = ["SweepSettings", "SweepPlan", "plan_sweep", "footprint_coverage", "flown_m"]

# Bearings tried when a sweep needs several batteries: packing favours lines that point at the
# launch sites, which the single-path bearing (fewest turns) does not consider.
FANS = tuple(float(b) for b in range(0, 180, 15))


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
        raise PlanError(
            N_("{name} has no launch site; add a launch_site feature", name=district.name)
        )
    c = target.representative_point()
    return min(district.launch_sites, key=lambda s: s.position.distance(c)).id


def plan_sweep(district: District, area: str, cfg: SweepSettings = SweepSettings()) -> SweepPlan:
    check_altitude(cfg.alt_m, cfg.ceiling_m)
    label, shape = resolve_area(district, area)
    target, transit = sweep_regions(district, shape, cfg.margin_m)
    spacing = cfg.spacing_m or spacing_for(cfg.camera, cfg.alt_m, cfg.side_overlap)
    check_lines(spacing, cfg.angle_deg)
    trigger = trigger_distance_for(cfg.camera, cfg.alt_m, cfg.front_overlap)
    site_id = cfg.launch_site or _nearest_site(district, target)
    try:
        site = district.launch_site(site_id)
    except KeyError:
        ids = ", ".join(s.id for s in district.launch_sites)
        raise PlanError(
            N_("no launch site {site_id}; use one of: {ids}", site_id=repr(site_id), ids=ids)
        ) from None
    launch = (site.position.x, site.position.y)
    free = FreeSpace(transit)
    fm = cfg.flight_model
    sites = [site] if cfg.launch_site else list(district.launch_sites)
    at = [Site(s.id, (s.position.x, s.position.y)) for s in sites]
    best = None
    if target.area / spacing / fm.cruise_mps > fm.usable_s:  # surely more than one battery
        fans = FANS if cfg.angle_deg is None else (cfg.angle_deg,)
        best = _best_packing(target, free, at, spacing, fans, cfg, trigger)
    if best is not None:
        routes, path = best
    else:
        turn_cost = 2 * fm.corner_cost_s(90.0) * fm.cruise_mps
        path = Boustrophedon(free, turn_cost).plan(target, spacing, cfg.angle_deg, start=launch)
        routes = split_sweep(path, site_id, launch, free, fm, cfg.alt_m, cfg.item_limit, trigger)
        if len(routes) > 1:
            packed = _best_packing(target, free, at, spacing, (path.angle_deg,), cfg, trigger)
            if packed is not None and _sweep_s(packed[0], cfg) < _sweep_s(routes, cfg):
                routes, path = packed
    missions = tuple(route_to_mission(r, district, cfg.alt_m, fm.cruise_mps) for r in routes)
    for n, mission in enumerate(missions, start=1):
        # Sorties are sized to the battery, but the way home from the far end of a line is
        # the district's: where the reserve cannot fly it, no sizing helps, so say so.
        unsafe = failsafe_returns(mission, district, cfg.margin_m, fm)
        if unsafe:
            raise PlanError(
                N_("sweep sortie {n} of {count}: {line}", n=n, count=len(missions), line=unsafe[0])
            )
    return SweepPlan(label, target, path, tuple(routes), missions, trigger)


def _best_packing(target, free, sites, spacing, bearings, cfg: SweepSettings, trigger):
    """The packed sorties (and flown path) that sweep soonest over the given bearings, chains
    packed apart or joined."""
    best, best_s = None, math.inf
    for b in bearings:
        for join in (False, True):
            try:
                routes, path = pack_sweep(target, free, sites, spacing, b, cfg.flight_model,
                                          cfg.alt_m, cfg.item_limit, trigger, join)  # fmt: skip
            except PlanError:
                continue  # a line too long for one battery at this bearing; others may fit
            took = _sweep_s(routes, cfg)
            if took < best_s:
                best, best_s = (routes, path), took
    return best


def _sweep_s(routes, cfg: SweepSettings) -> float:
    """Time to sweep with one drone: every sortie's flight, climb and descent, and a battery
    swap between sorties. Fewer, fuller sorties win unless they fly much further."""
    fm = cfg.flight_model
    per_sortie = fm.takeoff_s(cfg.alt_m) + fm.landing_s(cfg.alt_m) + fm.swap_s
    return sum(map(flown_m, routes)) / fm.cruise_mps + per_sortie * len(routes) - fm.swap_s


def flown_m(route: Route) -> float:
    """Distance a sortie flies in the horizontal: launch, every waypoint, back to launch."""
    pts = [
        route.launch,
        *((s.x, s.y) for s in route.steps if isinstance(s, Waypoint)),
        route.launch,
    ]
    return float(np.hypot(*np.diff(np.array(pts), axis=0).T).sum())


def footprint_coverage(target, path: SweepPath, width_m: float, resolution_m: float = 1.0) -> float:
    """Fraction of ``target`` within ``width_m``/2 of the path, rasterised at ``resolution_m``.

    A footprint exactly one line spacing wide (zero side overlap) is the strictest reading.
    """
    foot = shapely.union_all([LineString(p).buffer(width_m / 2) for p in path.pieces()])
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
