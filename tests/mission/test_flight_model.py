"""The flight model: corners cost by turn angle, short legs, take-off, landing, orbits, and the
planner's polyline time agreeing with the time of the mission it becomes; hostile input."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from mission.flight_model import SHORT_ACCEL_MPS2 as SHORT
from mission.flight_model import FlightModel
from mission.geo import LocalFrame
from mission.model import Cmd, Frame, Mission, MissionItem
from mission.trajectory import trajectory

FM = FlightModel()
FRAME = LocalFrame.around(103.76, 36.09)
X0, Y0 = (float(v) for v in FRAME.to_metric(103.76, 36.09))
# Time one corner cost ArduCopter SITL at 10 m/s between 150 m legs, by turn angle
# (``bench/flight_model_sitl.py --calibrate``): the model must never charge less.
SITL_CORNER_S = {0: 0.0, 30: 0.83, 60: 2.06, 90: 2.65, 135: 3.31, 180: 3.84}


def turn(angle_deg: float, leg_m: float = 300.0) -> list[tuple[float, float]]:
    """Two legs with a turn of ``angle_deg`` between them."""
    a = math.radians(angle_deg)
    return [(-leg_m, 0.0), (0.0, 0.0), (leg_m * math.cos(a), leg_m * math.sin(a))]


def lat_lon(x: float, y: float) -> tuple[float, float]:
    lon, lat = FRAME.to_lonlat(X0 + x, Y0 + y)
    return float(lat), float(lon)


def mission_over(points, alt=60.0, orbit_at=(), home=(0.0, 0.0)) -> Mission:
    """Take off at ``home``, fly ``points`` (an orbit of 30 m at indices in ``orbit_at``), land
    back at ``home``: the shape ``route_to_mission`` gives a planned sortie."""
    hlat, hlon = lat_lon(*home)
    items = [MissionItem(Cmd.NAV_TAKEOFF, lat=hlat, lon=hlon, alt=alt)]
    for k, (x, y) in enumerate(points):
        lat, lon = lat_lon(x, y)
        if k in orbit_at:
            items.append(MissionItem(Cmd.NAV_LOITER_TURNS, param1=1, param3=30, lat=lat, lon=lon,
                                     alt=alt))  # fmt: skip
        else:
            items.append(MissionItem(Cmd.NAV_WAYPOINT, lat=lat, lon=lon, alt=alt))
    items.append(MissionItem(Cmd.NAV_LAND, lat=hlat, lon=hlon))
    home_item = MissionItem(Cmd.NAV_WAYPOINT, Frame.GLOBAL, lat=hlat, lon=hlon, alt=1500.0)
    return Mission(items=tuple(items), home=home_item)


def test_a_sharper_turn_costs_more_and_never_less_than_sitl_measured():
    straight = FM.path_s([(-300.0, 0.0), (300.0, 0.0)])
    costs = [FM.path_s(turn(a)) - straight for a in sorted(SITL_CORNER_S)]
    assert all(b > a for a, b in zip(costs, costs[1:], strict=False)), costs
    for angle, measured in SITL_CORNER_S.items():
        assert FM.corner_cost_s(angle) >= measured
        assert FM.corner_cost_s(angle) <= measured + 0.5  # conservative, not padded
    assert FM.corner_cost_s(180) == pytest.approx(FM.cruise_mps / FM.accel_mps2)
    assert FM.corner_cost_s(180) <= FM.stop_s


def test_a_straight_through_waypoint_costs_nothing():
    through = FM.path_s([(0.0, 0.0), (150.0, 0.0), (300.0, 0.0), (450.0, 0.0)])
    assert through == pytest.approx(FM.path_s([(0.0, 0.0), (450.0, 0.0)]))
    nearly = FM.path_s([(0.0, 0.0), (150.0, 1.0), (300.0, 0.0)])
    assert nearly - FM.path_s([(0.0, 0.0), (300.0, 0.0)]) < 0.1


def test_a_leg_from_a_stop_to_a_stop_pays_braking_and_accelerating():
    v, a = FM.cruise_mps, FM.accel_mps2
    assert FM.path_s([(0.0, 0.0), (500.0, 0.0)]) == pytest.approx(500.0 / v + v / a)
    # too short to reach cruise: a triangle profile, at the slower rate of short legs
    assert FM.path_s([(0.0, 0.0), (10.0, 0.0)]) == pytest.approx(2 * math.sqrt(10.0 / SHORT))
    assert FM.path_s([(0.0, 0.0), (10.0, 0.0)]) > 10.0 / v


def test_polyline_time_is_bounded_by_the_coarse_estimates_packers_use():
    rng = random.Random(5)
    for k in range(300):
        scale = (3.0, 30.0, 300.0)[k % 3]  # legs far too short for cruise, short, long
        pts = np.cumsum(
            [[rng.uniform(-1, 1) * scale, rng.uniform(-1, 1) * scale] for _ in range(8)], 0
        )
        lengths = np.hypot(*np.diff(pts, axis=0).T)
        t = FM.path_s(pts)
        assert lengths.sum() / FM.cruise_mps <= t <= (lengths / FM.cruise_mps + FM.stop_s).sum()
        assert FM.legs_along(pts).sum() == pytest.approx(t)


def test_the_planners_polyline_time_is_the_missions_time():
    points = [(400.0, 0.0), (400.0, 300.0), (700.0, 300.0), (650.0, -200.0)]
    m = mission_over(points)
    alt = 60.0
    # ArduCopter stops at the waypoint before a landing: the way home is a piece of its own
    way = FM.path_s([(0.0, 0.0), *points]) + FM.path_s([points[-1], (0.0, 0.0)])
    assert FM.mission_time_s(m) == pytest.approx(
        FM.takeoff_s(alt) + way + FM.landing_s(alt), rel=1e-3
    )
    flown_through = FM.path_s([(0.0, 0.0), *points, (0.0, 0.0)])
    assert FM.mission_time_s(m) > FM.takeoff_s(alt) + flown_through + FM.landing_s(alt)
    assert FM.path_s([(0.0, 0.0), *points, (0.0, 0.0)], halt_before_last=True) == pytest.approx(way)
    # with orbits: each leg to and from an orbit's centre is flown from a stop to a stop, and so
    # is the leg to the waypoint before it
    m = mission_over(points, orbit_at={1, 3})
    pieces = [[(0.0, 0.0), points[0]], points[0:2], [points[3], (0.0, 0.0)]]
    planned = FM.takeoff_s(alt) + sum(FM.path_s(p) for p in pieces) + FM.landing_s(alt)
    planned += FM.path_s(points[1:4], halt_before_last=True)
    planned += 2 * FM.orbit_s(30.0)
    assert FM.mission_time_s(m) == pytest.approx(planned, rel=1e-3)
    path = trajectory(m, id="o", start_s=0.0, speeds=FM, frame=FRAME)
    assert path.end_s == pytest.approx(FM.mission_time_s(m), rel=1e-3)


def test_take_off_and_landing_include_spool_up_and_the_slow_final_metres():
    assert FM.takeoff_s(60.0) > FM.climb_s(60.0)
    # ArduCopter lands the last 10 m at 0.5 m/s: they take longer than 20 m at the descent rate
    assert FM.landing_s(10.0) - FM.landing_s(0.0) > FM.descent_s(20.0)
    assert FM.landing_s(60.0) - FM.landing_s(10.0) == pytest.approx(FM.descent_s(50.0))


def test_a_small_orbit_is_flown_slower_than_cruise_a_wide_one_at_cruise():
    assert FM.orbit_s(30.0) > 2 * math.pi * 30.0 / FM.cruise_mps + 5.0
    wide = 2 * math.pi * 500.0 / FM.cruise_mps
    assert wide < FM.orbit_s(500.0) < wide + 5.0
    assert FM.orbit_s(30.0, 2.0) > FM.orbit_s(30.0, 1.0)


def test_repeated_points_and_zero_length_legs_count_once_and_give_no_nan():
    base = [(0.0, 0.0), (100.0, 0.0), (0.0, 0.0)]  # a reversal at (100, 0)
    doubled = [(0.0, 0.0), (0.0, 0.0), (100.0, 0.0), (100.0, 0.0), (100.0, 0.0), (0.0, 0.0)]
    assert FM.path_s(doubled) == pytest.approx(FM.path_s(base))
    assert FM.path_s([(5.0, 5.0)] * 4) == 0.0
    assert FM.path_s([]) == 0.0
    m, m2 = (
        mission_over([(100.0, 0.0), (100.0, 200.0)]),
        mission_over([(100.0, 0.0), (100.0, 0.0), (100.0, 200.0), (100.0, 200.0)]),
    )
    assert math.isfinite(FM.mission_time_s(m2))
    assert FM.mission_time_s(m2) == pytest.approx(FM.mission_time_s(m))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_input_is_never_a_number_that_fits(bad):
    assert FM.path_s([(0.0, 0.0), (bad, 0.0), (100.0, 0.0)]) == math.inf
    m = mission_over([(100.0, 0.0)])
    items = list(m.items)
    items[1] = MissionItem(Cmd.NAV_WAYPOINT, lat=bad, lon=items[1].lon, alt=60.0)
    assert FM.mission_time_s(Mission(items=tuple(items), home=m.home)) == math.inf
    items = list(m.items)
    lat, lon = items[1].lat, items[1].lon
    items[1] = MissionItem(Cmd.NAV_LOITER_TURNS, param1=bad, param3=30, lat=lat, lon=lon, alt=60)
    t = FM.mission_time_s(Mission(items=tuple(items), home=m.home))
    assert not math.isnan(t) and (t == math.inf or bad == -math.inf)
    items[1] = MissionItem(Cmd.NAV_LOITER_TURNS, param1=1, param3=bad, lat=lat, lon=lon, alt=60)
    assert not math.isnan(FM.mission_time_s(Mission(items=tuple(items), home=m.home)))
    speed = MissionItem(Cmd.DO_CHANGE_SPEED, Frame.MISSION, param2=bad)
    t = FM.mission_time_s(Mission(items=(speed, *m.items), home=m.home))
    assert t == pytest.approx(FM.mission_time_s(m))  # a non-finite speed change is ignored
    home = MissionItem(Cmd.NAV_WAYPOINT, Frame.GLOBAL, lat=bad, lon=bad, alt=1500.0)
    assert not math.isnan(FM.mission_time_s(Mission(items=m.items, home=home)))


def test_a_hold_at_a_waypoint_is_a_stop_there_as_well_as_its_seconds():
    straight = mission_over([(200.0, 0.0), (400.0, 0.0), (600.0, 0.0)])
    items = list(straight.items)
    items[2] = MissionItem(Cmd.NAV_WAYPOINT, param1=5.0, lat=items[2].lat, lon=items[2].lon, alt=60)
    held = Mission(items=tuple(items), home=straight.home)
    extra = FM.mission_time_s(held) - FM.mission_time_s(straight)
    assert extra == pytest.approx(5.0 + FM.corner_cost_s(180.0), abs=0.01)


def test_a_mission_with_no_navigation_item_has_a_time_instead_of_a_crash():
    """A plan whose items were all deleted reached the endurance check, where the leg lengths
    were zipped against no places and raised; the safety check then names the real problem."""
    empty = Mission(items=())
    assert math.isfinite(FlightModel().mission_time_s(empty))
    items = (MissionItem(Cmd.DO_CHANGE_SPEED, Frame.MISSION, 1.0, 8.0),)
    assert math.isfinite(FlightModel().mission_time_s(Mission(items=items)))
