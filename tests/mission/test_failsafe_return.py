"""Failsafe returns: the way round the no-fly zones to the closest rally point, the straight line
when it is clear, no way at all when there is none (which the mission check refuses), and the
longest return's time, which the bench sets against the battery reserve."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest
import shapely
from hypothesis import event, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from mission.checks import check_mission
from mission.coverage.area import grown_no_fly
from mission.failsafe_return import closest_target, failsafe_return, return_space, shortest_path
from mission.failsafe_survey import SAMPLE_STEP_M, return_time_s, route_samples, survey_returns
from mission.flight_model import FlightModel
from mission.limits import NO_FLY_MARGIN_M
from mission.model import Cmd, NoFlyZone, RallyPoint
from mission.sortie import Route, Waypoint, route_to_mission

MARGIN = NO_FLY_MARGIN_M


def xy(point: Point) -> tuple[float, float]:
    return (point.x, point.y)


def zone(district, zone_id: str):
    return next(z for z in district.no_fly if z.id == zone_id).shape


def sites(district) -> list[tuple[float, float]]:
    return [xy(s.position) for s in district.launch_sites]


def length(path) -> float:
    return float(np.hypot(*np.diff(np.asarray(path), axis=0).T).sum())


def east_of_helipad(district) -> tuple[float, float]:
    """A point 60 m east of nf-helipad whose straight line to ls-west crosses it."""
    helipad = zone(district, "nf-helipad")
    return (helipad.bounds[2] + 60.0, helipad.centroid.y)


def only_rally(mission, district, site_id: str):
    """The mission with one rally point, at ``site_id`` (as a layered sortie keeps its own)."""
    p = district.launch_site(site_id).position
    lon, lat = district.frame.to_lonlat(p.x, p.y)
    return dataclasses.replace(mission, rally=(RallyPoint(float(lat), float(lon), 60.0),))


def test_a_return_across_the_helipad_goes_round_it_and_is_longer(example_district):
    d = example_district
    start = east_of_helipad(d)
    west = xy(d.launch_site("ls-west").position)
    helipad = zone(d, "nf-helipad")
    assert LineString([start, west]).intersects(helipad)  # straight home would cross it
    back = failsafe_return(d, start, sites(d))
    assert back is not None and back.target == 0  # ls-west: the closest by straight distance
    assert back.path[0] == start and back.path[-1] == west and len(back.path) > 2
    flown = LineString(back.path)
    assert not flown.intersects(helipad.buffer(MARGIN - 1.0))
    assert back.length_m > back.straight_m + 1.0
    assert back.length_m == pytest.approx(length(back.path))
    assert back.detour_m == pytest.approx(back.length_m - back.straight_m)


def test_a_clear_return_is_the_straight_line(example_district):
    d = example_district
    west = xy(d.launch_site("ls-west").position)
    start = (west[0] - 150.0, west[1] + 80.0)
    back = failsafe_return(d, start, sites(d))
    assert back is not None and back.path == (start, west)
    assert back.length_m == pytest.approx(math.hypot(150.0, 80.0)) == back.straight_m
    assert shortest_path(d, start, west) == (start, west)


def test_ardupilot_picks_the_closest_rally_point_and_home_only_when_strictly_closer():
    rally = [(0.0, 0.0), (100.0, 0.0), (100.0, 0.0)]
    assert closest_target((90.0, 0.0), rally) == 1  # the first of two equal ones
    assert closest_target((90.0, 0.0), rally, home=(90.0, 1.0)) == 3  # home is closer
    assert closest_target((0.0, 0.0), rally, home=(0.0, 0.0)) == 0  # a tie keeps the rally point
    assert closest_target((5.0, 5.0), [], home=(0.0, 0.0)) == 0  # no rally: home (index 0)
    assert closest_target((5.0, 5.0), []) == -1
    assert closest_target((math.nan, 0.0), rally) == -1
    assert closest_target((0.0, 0.0), [(math.nan, 0.0), (math.inf, 5.0), (50.0, 0.0)]) == 2


def round_trip(district, site_id: str, far: tuple[float, float]):
    """A sortie from ``site_id`` to ``far`` and back, round the zones both ways, with its own
    launch site as its only rally point (as a layered sortie)."""
    home = xy(district.launch_site(site_id).position)
    out, back = shortest_path(district, home, far), shortest_path(district, far, home)
    steps = (*out[1:-1], far, *back[1:-1])
    route = Route(site_id, home, tuple(Waypoint(*p) for p in steps))
    return only_rally(route_to_mission(route, district, 60.0), district, site_id)


def test_a_return_the_reserve_cannot_fly_is_refused_naming_the_item_and_the_reserve(
    example_district,
):
    """The low-battery failsafe fires at the reserve and the critical one lands the copter where
    it is at half of it, so the return from the far end round the helipad must fit in the half
    between: a short battery is refused at that item, and the reserve named in the fix passes."""
    d = example_district
    far = east_of_helipad(d)
    far = (far[0] + 400.0, far[1])
    m = round_trip(d, "ls-west", far)
    far_seq = 1 + next(
        k for k, it in enumerate(m.items) if it.command == Cmd.NAV_WAYPOINT
        and math.hypot(*np.subtract(d.frame.to_metric(it.lon, it.lat), far)) < 0.01
    )  # fmt: skip
    short = FlightModel(endurance_min=8.0, reserve=0.2)  # 0.8 min between low and critical
    (line,) = check_mission(m, d, flight_model=short)
    assert line.startswith(f"item {far_seq} (NAV_WAYPOINT): a low-battery return")
    assert "rally point 1 (ls-west)" in line and "20% reserve leaves 0.8 min" in line
    needed = int(re.search(r"raise --reserve to (\d+)%", line).group(1))
    enough = FlightModel(endurance_min=8.0, reserve=needed / 100.0)
    assert check_mission(m, d, flight_model=enough) == []
    too_little = FlightModel(endurance_min=8.0, reserve=(needed - 1) / 100.0)
    assert "low-battery return" in " ".join(check_mission(m, d, flight_model=too_little))
    assert check_mission(m, d, flight_model=FlightModel(endurance_min=30.0)) == []
    # On a 3-minute pack no reserve would leave anything to patrol with: the fix says so.
    (tiny,) = [ln for ln in check_mission(m, d, flight_model=FlightModel(endurance_min=3.0))
               if "low-battery return" in ln]  # fmt: skip
    assert "raise --reserve" not in tiny and "add a launch site nearer or fly a larger pack" in tiny
    survey = survey_returns(m, d)
    i = survey.longest()
    assert survey.seq[i] == far_seq and survey.detour_m[i] > 1.0  # the far end, round the helipad
    straight = math.dist(far, (d.launch_site("ls-west").position.x,
                               d.launch_site("ls-west").position.y))  # fmt: skip
    assert survey.length_m[i] > straight
    minutes = return_time_s(survey.length_m[i], 60.0, short) / 60.0
    assert minutes == pytest.approx(survey.length_m[i] / 10.0 / 60.0 + 60.0 / 1.5 / 60.0)
    assert minutes > short.reserve * short.endurance_min  # the bench would show it short


def test_a_rally_point_inside_a_no_fly_zone_is_unreachable_and_named(example_district):
    """ArduPilot tests every leg against the fence's own polygons: none enters a zone, so a
    rally point inside one has no path, and the copter stops and hovers (OA_ERROR)."""
    d = example_district
    helipad = zone(d, "nf-helipad")
    inside = xy(helipad.centroid)
    west = xy(d.launch_site("ls-west").position)
    assert failsafe_return(d, west, [inside]) is None
    m = round_trip(d, "ls-west", east_of_helipad(d))
    lon, lat = d.frame.to_lonlat(*inside)
    m = dataclasses.replace(m, rally=(RallyPoint(float(lat), float(lon), 60.0),))
    (line,) = check_mission(m, d)  # one line for the one rally point
    # Home (the launch site) is a return target too (RALLY_INCL_HOME): near it, no return
    # goes to the rally point, so the first item named is the one past the helipad's margin.
    assert line.startswith("item 2 (NAV_WAYPOINT), the first of 6 items from which the failsafe")
    assert "to rally point 1: it lies inside a no-fly zone" in line
    assert line.endswith("move that rally point out")


def test_a_rally_point_inside_a_margin_is_reached(example_district):
    """Only the zone itself blocks a leg that ends in its margin, as in ArduPilot."""
    d = example_district
    helipad = zone(d, "nf-helipad")
    near = (helipad.bounds[0] - 5.0, helipad.centroid.y)  # 5 m west of the zone
    assert helipad.distance(Point(near)) < MARGIN and not helipad.intersects(Point(near))
    start = (helipad.bounds[2] + 60.0, helipad.centroid.y)  # across the zone from it
    back = failsafe_return(d, start, [near])
    assert back is not None and back.path[-1] == near
    assert not LineString(back.path).crosses(helipad) and back.length_m > back.straight_m


def test_a_launch_site_walled_in_by_zones_has_no_return(example_district):
    d = example_district
    east = d.launch_site("ls-east").position
    ring = box(east.x - 120, east.y - 120, east.x + 120, east.y + 120)
    walls = [
        box(*ring.bounds[:3], ring.bounds[1] + 10),  # south
        box(ring.bounds[0], ring.bounds[3] - 10, *ring.bounds[2:]),  # north
        box(*ring.bounds[:2], ring.bounds[0] + 10, ring.bounds[3]),  # west
        box(ring.bounds[2] - 10, *ring.bounds[1:]),  # east
    ]
    zones = tuple(NoFlyZone(f"nf-wall-{k}", "wall", "test", w) for k, w in enumerate(walls))
    walled = dataclasses.replace(d, no_fly=d.no_fly + zones)
    outside = (east.x - 300.0, east.y)
    assert failsafe_return(walled, outside, [xy(east)]) is None
    assert shortest_path(walled, outside, xy(east)) is None
    inside = (east.x + 40.0, east.y + 30.0)
    assert failsafe_return(walled, inside, [xy(east)]).path == (inside, xy(east))
    west = xy(d.launch_site("ls-west").position)
    route = Route("ls-west", west, (Waypoint(*outside),))
    m = only_rally(route_to_mission(route, walled, 60.0), walled, "ls-east")
    lines = check_mission(m, walled)
    said = (
        ": a failsafe return from it (or from the leg to it) finds no way to rally point 1 "
        "(ls-east) round the no-fly zones, and ArduPilot's path planner would stop the copter "
        "there; add a launch site it can reach, or keep the route away"
    )
    # The way out and the first part of the way back are nearer ls-east (walled in) than home.
    assert lines == ["item 2 (NAV_WAYPOINT)" + said, "item 3 (NAV_LAND)" + said]


def test_hostile_starts_and_geometry(example_district):
    d = example_district
    rally = sites(d)
    for bad in [(math.nan, 0.0), (math.inf, 3.0e6), (-math.inf, math.nan)]:
        assert failsafe_return(d, bad, rally) is None
        assert shortest_path(d, bad, rally[0]) is None
    assert failsafe_return(d, rally[0], [(math.nan, math.nan)]) is None  # nowhere to go
    inside = xy(zone(d, "nf-helipad").centroid)
    assert failsafe_return(d, inside, rally) is None  # inside a zone: every way out crosses it
    assert failsafe_return(d, (0.0, 0.0), rally) is None  # outside the district
    here = failsafe_return(d, rally[0], rally + rally)  # duplicates: the first, no way to fly
    assert here is not None and here.target == 0 and here.length_m == 0.0
    home = failsafe_return(d, (rally[0][0] + 30.0, rally[0][1]), [], home=rally[0])
    assert home is not None and home.target == 0 and home.length_m == pytest.approx(30.0)
    assert failsafe_return(d, rally[0], []) is None  # no rally point, no home


def test_duplicated_vertices_and_no_zones(example_district):
    d = example_district
    start, west = east_of_helipad(d), xy(d.launch_site("ls-west").position)
    helipad = zone(d, "nf-helipad")
    coords = list(helipad.exterior.coords)
    doubled = shapely.Polygon([c for c in coords[:-1] for _ in range(2)] + [coords[0]])
    zones = tuple(
        dataclasses.replace(z, shape=doubled) if z.id == "nf-helipad" else z for z in d.no_fly
    )
    plain = failsafe_return(d, start, [west])
    again = failsafe_return(dataclasses.replace(d, no_fly=zones), start, [west])
    assert again.length_m == pytest.approx(plain.length_m, abs=0.01)
    open_sky = failsafe_return(dataclasses.replace(d, no_fly=()), start, [west])
    assert open_sky.path == (start, west)


def test_route_samples_cover_every_leg_and_skip_what_is_far_outside(example_district):
    d = example_district
    west = xy(d.launch_site("ls-west").position)
    far = east_of_helipad(d)
    route = Route("ls-west", west, (Waypoint(*far), Waypoint(far[0], far[1] + 300.0)))
    m = route_to_mission(route, d, 60.0)
    pts, seq = route_samples(m, d.frame)
    assert set(seq.tolist()) == {0, 1, 2, 3, 4}  # home, take-off, two waypoints, the landing
    for k in (2, 3):
        leg = pts[seq == k]
        assert len(leg) >= 2
    flown = [xy(Point(p)) for p in pts]
    order = np.argsort([LineString([west, far]).project(Point(p)) for p in flown])
    along = np.asarray(flown)[order][seq[order] == 2]
    gaps = np.hypot(*np.diff(along, axis=0).T)
    assert gaps.max() <= SAMPLE_STEP_M + 1e-6
    typo = dataclasses.replace(
        m, items=(*m.items[:2], dataclasses.replace(m.items[1], lat=60.0, lon=100.0), *m.items[2:])
    )
    pts, _ = route_samples(typo, d.frame, within=d.boundary.bounds)
    assert len(pts) < 1000  # a leg to 60N is sampled across the district only
    survey = survey_returns(typo, d)
    assert survey.sampled == len(pts) and len(survey.xy) <= len(pts)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    st.sampled_from(["district", "nf-helipad", "nf-substation"]), st.floats(0, 1), st.floats(0, 1)
)
def test_returns_keep_the_margin_and_are_never_shorter_than_the_straight_line(
    example_district, around, fx, fy
):
    """From anywhere in the district (or near a zone, where returns detour) that keeps the
    margin, to either launch site: the path keeps the margin too, and is no shorter than the
    straight line."""
    d = example_district
    if around == "district":
        minx, miny, maxx, maxy = d.boundary.bounds
    else:
        minx, miny, maxx, maxy = zone(d, around).buffer(400.0).bounds
    start = (minx + fx * (maxx - minx), miny + fy * (maxy - miny))
    free = d.boundary.buffer(-MARGIN).difference(grown_no_fly(d, MARGIN))
    if not free.contains(Point(start)):
        return  # the property is about points the planner may route through
    back = failsafe_return(d, start, sites(d))
    assert back is not None  # the example district is one connected free space
    paths = [back.path] + [shortest_path(d, start, site) for site in sites(d)]
    for path in paths:
        flown = LineString(path) if len(set(path)) > 1 else Point(start)
        for z in d.no_fly:
            assert not flown.intersects(z.shape.buffer(MARGIN - 1.0)), z.id
        assert d.boundary.buffer(-(MARGIN - 1.0)).covers(flown)
        straight = math.dist(path[0], path[-1])
        assert length(path) >= straight - 1e-6
        event("round a zone" if length(path) > straight + 0.01 else "straight")
        assert return_space(d).lengths([start], path[-1])[0] == pytest.approx(length(path))
    assert back.length_m >= back.straight_m - 1e-6


def test_a_hostile_mission_is_checked_without_a_crash(example_district):
    """NaN and far-off positions, a huge orbit, rally points that are no place: the other
    checks name them; the return check neither crashes nor blows up."""
    d = example_district
    west = xy(d.launch_site("ls-west").position)
    m = round_trip(d, "ls-west", east_of_helipad(d))
    wp = m.items[1]
    hostile = (
        dataclasses.replace(wp, lat=math.nan),
        dataclasses.replace(wp, lon=math.inf),
        dataclasses.replace(wp, lat=89.9, lon=179.9),
        dataclasses.replace(wp, command=Cmd.NAV_LOITER_TURNS, param1=1.0, param3=1e12),
    )
    rally = (RallyPoint(math.nan, 103.8, 60.0), RallyPoint(0.0, 0.0, 60.0), *m.rally)
    bad = dataclasses.replace(m, items=(m.items[0], *hostile, *m.items[1:]), rally=rally)
    lines = check_mission(bad, d)
    assert any("out of range" in x for x in lines)
    survey = survey_returns(bad, d)
    assert survey.targets[0] == pytest.approx(west) and survey.numbers == (3, 0)
    assert np.isfinite(survey.xy).all() and len(survey.xy) < 5000
