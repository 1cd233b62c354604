"""Check tasks: an orbit sortie over a point that passes every check, goes round no-fly zones,
reports its time to the point, picks the nearest site by flyable path, keeps clear of traffic,
and refuses impossible points in one line."""

from __future__ import annotations

import math

import pytest
from shapely.geometry import Point, box

from mission.checks import check_mission
from mission.deconflict import check_missions
from mission.errors import MissionError, PlanError
from mission.flight_model import FlightModel, haversine_m
from mission.geo import LocalFrame
from mission.model import Cmd, District, LaunchSite, NoFlyZone
from mission.patrol.check_task import MIN_RADIUS_M, nearest_site, plan_check

FM = FlightModel()
ALT = {"alt_m": 60.0, "ceiling_m": 120.0, "margin_m": 15.0}
FRAME = LocalFrame.around(103.80, 36.06)
X0, Y0 = FRAME.to_metric(103.80, 36.06)


def walled() -> District:
    """2 km square; a no-fly wall from the south edge up to 1.6 km splits it west/east."""
    wall = box(X0 + 900, Y0 - 10, X0 + 1100, Y0 + 1600)
    sites = (
        LaunchSite("ls-w", "west", Point(X0 + 800, Y0 + 100)),
        LaunchSite("ls-e", "east", Point(X0 + 1650, Y0 + 100)),
    )
    return District(
        "walled (test)", FRAME, box(X0, Y0, X0 + 2000, Y0 + 2000),
        no_fly=(NoFlyZone("nf-wall", "wall", "test", wall),), launch_sites=sites,
    )  # fmt: skip


def check(district, x, y, site, **kw):
    args = {"task_id": "t1", "drone": "drone-1", "start_s": 600.0, "flight_model": FM} | ALT | kw
    return plan_check(district, x=x, y=y, site=site, **args)


def test_the_check_orbits_the_point_and_lands_back_at_its_site(example_district):
    cell = example_district.cell(45).shape.representative_point()
    c = check(example_district, cell.x, cell.y, "ls-west", task_id="alert-42")
    assert c.sortie.id == "task-alert-42" and c.sortie.drone == "drone-1"
    assert check_mission(c.mission, example_district) == []
    items = c.mission.items
    assert items[0].command == Cmd.NAV_TAKEOFF and items[-1].command == Cmd.NAV_LAND
    (orbit,) = [it for it in items if it.command == Cmd.NAV_LOITER_TURNS]
    lon, lat = example_district.frame.to_lonlat(cell.x, cell.y)
    assert haversine_m(orbit.lat, orbit.lon, float(lat), float(lon)) < 1.0
    assert orbit.param3 == 30.0 and orbit.param1 == 2.0
    over = items[
        items.index(orbit) - 1
    ]  # reached on arrival: ArduPilot reports an orbit at its end
    assert over.command == Cmd.NAV_WAYPOINT and (over.lat, over.lon) == (orbit.lat, orbit.lon)
    assert (items[-1].lat, items[-1].lon) == (items[0].lat, items[0].lon)
    assert c.sortie.end_s == pytest.approx(600.0 + FM.mission_time_s(c.mission))
    assert c.arrival_s == pytest.approx(600.0 + c.to_point_s)


def test_the_route_goes_round_a_no_fly_zone_and_the_time_counts_the_detour():
    d = walled()
    x, y = X0 + 1400, Y0 + 100  # east of the wall; from the west site the way is round its top
    big = FlightModel(endurance_min=60.0)  # a pack whose reserve flies the 3.3 km back
    c = check(d, x, y, "ls-w", flight_model=big)
    assert check_mission(c.mission, d, flight_model=big) == []
    straight = FM.takeoff_s(60.0) + FM.path_s([(0.0, 0.0), (600.0, 0.0)])
    assert c.to_point_s > FM.climb_s(60.0) + 2 * 1500 / FM.cruise_mps > straight  # round the wall
    waypoints = [it for it in c.mission.items if it.command == Cmd.NAV_WAYPOINT]
    assert waypoints, "a detour needs corners"


def test_a_check_whose_return_the_reserve_cannot_fly_is_refused_naming_the_reserve():
    """The same detour on the default pack: a low-battery return from the orbit would be cut
    short by the critical failsafe, so the sortie is never planned, and the error says why."""
    d = walled()
    with pytest.raises(MissionError) as err:
        check(d, X0 + 1400, Y0 + 100, "ls-w")
    (line,) = str(err.value).splitlines()
    assert "a low-battery return from it flies" in line and "rally point 1 (ls-w)" in line
    assert "raise --reserve to" in line
    assert check(d, X0 + 1400, Y0 + 100, "ls-e").sortie.launch_site == "ls-e"  # 250 m away


def test_the_nearest_site_is_nearest_by_the_flyable_path():
    d = walled()
    x, y = X0 + 1150, Y0 + 100  # 350 m from ls-w across the wall, 500 m from ls-e
    assert nearest_site(d, x, y, margin_m=15.0) == "ls-e"
    assert nearest_site(d, X0 + 300, Y0 + 100, margin_m=15.0) == "ls-w"
    assert nearest_site(d, x, y, sites=["ls-w"], margin_m=15.0) == "ls-w"


def test_every_cell_of_the_example_is_reached_within_five_minutes(example_district):
    """The issue's goal (request -> drone over the point) for the flying part, at 10 m/s."""
    worst, refused = 0.0, 0
    for cell in example_district.cells:
        p = cell.shape.representative_point()
        try:
            site = nearest_site(example_district, p.x, p.y, margin_m=15.0)
        except PlanError as exc:  # a cell whose middle is a no-fly zone
            assert "no-fly zone" in str(exc)
            refused += 1
            continue
        worst = max(worst, check(example_district, p.x, p.y, site).to_point_s)
    assert worst <= 300.0 and refused <= 2, (worst, refused)


def test_a_point_near_the_edge_gets_a_smaller_orbit_or_a_refusal():
    d = walled()
    c = check(d, X0 + 20, Y0 + 1000, "ls-w")
    (orbit,) = [it for it in c.mission.items if it.command == Cmd.NAV_LOITER_TURNS]
    assert MIN_RADIUS_M <= orbit.param3 < 20.0
    assert check_mission(c.mission, d) == []
    with pytest.raises(PlanError, match="too close for a 10 m orbit"):
        check(d, X0 + 5, Y0 + 1000, "ls-w")


@pytest.mark.parametrize(
    ("x", "y", "words"),
    [
        (X0 + 1000, Y0 + 800, "inside a no-fly zone"),
        (X0 + 1110, Y0 + 800, "within its 15 m margin"),
        (X0 - 500, Y0 + 800, "outside the district (500 m beyond"),
        (math.nan, Y0, "not a finite position"),
        (X0, math.inf, "not a finite position"),
    ],
)
def test_impossible_points_are_refused_in_one_line(x, y, words):
    with pytest.raises(PlanError) as err:
        check(walled(), x, y, "ls-w")
    assert words in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"task_id": "a/b"}, "not 1-59 letters"),
        ({"task_id": ""}, "not 1-59 letters"),
        ({"site": "ls-nowhere"}, "launch site 'ls-nowhere' is not in the district"),
        ({"start_s": math.nan}, "not a finite time"),
        ({"radius_m": 2.0}, "radius of at least 10 m"),
        ({"alt_m": 500.0}, "ceiling"),
    ],
)
def test_bad_requests_are_refused_in_one_line(kw, words):
    args = {"site": "ls-w"} | kw
    with pytest.raises(MissionError) as err:
        check(walled(), X0 + 500, Y0 + 500, **args)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_the_check_keeps_clear_of_a_sortie_in_the_air():
    d = walled()
    first = check(d, X0 + 500, Y0 + 900, "ls-w", task_id="first", drone="drone-2")
    second = check(d, X0 + 500, Y0 + 900, "ls-w", task_id="second",
                   traffic=[(first.sortie, first.mission)])  # fmt: skip
    lifted = second.sortie.alt_m != first.sortie.alt_m
    held = second.sortie.start_s > first.sortie.start_s
    assert lifted or held
    flown = [(s.sortie.id, s.mission, s.sortie.start_s) for s in (first, second)]
    assert check_missions(flown, speeds=FM, district=d) == []
    assert first.sortie.alt_m == 60.0  # traffic is never moved
