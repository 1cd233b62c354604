"""Altitude layers and the loss-of-separation check, on missions built in a local frame."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mission.deconflict import (
    Flight,
    LayerPolicy,
    assign_layers,
    check_separation,
    find_conflicts,
    separate,
    trajectories,
    with_layer,
)
from mission.errors import PlanError
from mission.flight_model import TAKEOFF_S, FlightModel
from mission.geo import LocalFrame
from mission.model import Cmd, Mission, MissionItem
from mission.trajectory import trajectory

FRAME = LocalFrame.around(103.76, 36.09)
X0, Y0 = (float(v) for v in FRAME.to_metric(103.76, 36.09))
FM = FlightModel()


def mission_xy(points, alt=60.0, home=(0.0, 0.0), end=Cmd.NAV_RETURN_TO_LAUNCH, orbit=None):
    """Take off at ``home`` (metres from the origin), fly the points, then RTL (or LAND there)."""

    def ll(x, y):
        lon, lat = FRAME.to_lonlat(X0 + x, Y0 + y)
        return float(lat), float(lon)

    hlat, hlon = ll(*home)
    items = [MissionItem(Cmd.NAV_TAKEOFF, alt=alt)]
    for x, y in points:
        lat, lon = ll(x, y)
        items.append(MissionItem(Cmd.NAV_WAYPOINT, lat=lat, lon=lon, alt=alt))
    if orbit is not None:
        lat, lon = ll(*orbit[0])
        items.append(
            MissionItem(
                Cmd.NAV_LOITER_TURNS, param1=orbit[2], param3=orbit[1], lat=lat, lon=lon, alt=alt
            )
        )
    items.append(MissionItem(end))
    return Mission(items=tuple(items), home=MissionItem(Cmd.NAV_WAYPOINT, lat=hlat, lon=hlon))


def flight(fid, points, start=0.0, home=(0.0, 0.0), alt=60.0, **kw) -> Flight:
    return Flight(fid, mission_xy(points, alt=alt, home=home, **kw), start_s=start)


def check(flights):
    return check_separation(flights, speeds=FM, frame=FRAME)


def crossing(start_b=0.0, alt_b=60.0):
    """A flies west->east along y=0, B south->north along x=0; both reach the origin together."""
    land = Cmd.NAV_LAND
    a = flight("a", [(-500, 0), (500, 0)], home=(-500, 0), start=0.0, end=land)
    b = flight("b", [(0, -500), (0, 500)], home=(0, -500), start=start_b, alt=alt_b, end=land)
    return a, b


def test_crossing_at_one_altitude_is_reported_once_with_time_and_place():
    lines = check(crossing())
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("sorties a and b lose separation at t=")
    # Both spool up and climb 60 m (24 s) over their first waypoint, then accelerate from the
    # hover (cruise / 2 accel more than at cruise) and fly 500 m at 10 m/s to the crossing.
    t = float(line.split("t=")[1].split(" s")[0])
    assert abs(t - (TAKEOFF_S + 24 + 50 + FM.cruise_mps / (2 * FM.accel_mps2))) <= 1.0
    lon, lat = FRAME.to_lonlat(X0, Y0)
    assert f"{float(lat):.3f}" in line and f"{float(lon):.3f}" in line
    assert "0 m apart horizontally and 0 m vertically" in line


def test_same_crossing_at_different_times_or_layers_is_separated():
    assert check(crossing(start_b=600.0)) == []
    assert check(crossing(alt_b=70.0)) == []


def test_vertical_threshold_is_strict():
    assert check(crossing(alt_b=70.0)) == []
    assert len(check(crossing(alt_b=69.0))) == 1


def test_parallel_tracks_conflict_only_when_closer_than_30_m():
    def pair(gap):
        a = flight("a", [(0, 0), (800, 0)], home=(0, -200))
        b = flight("b", [(0, gap), (800, gap)], home=(0, -200 + gap))
        return [a, b]

    assert check(pair(35.0)) == []
    lines = check(pair(25.0))
    assert len(lines) == 1
    assert "25 m apart horizontally" in lines[0]


def test_takeoff_through_a_lower_layer_is_caught_and_separate_fixes_it():
    # a orbits 20 m round its own launch site for a long time; b takes off from there later.
    a = flight("a", [], home=(0, 0), orbit=((0, 0), 20.0, 30), start=0.0)
    b = flight("b", [(600, 0)], home=(0, 0), start=200.0)
    greedy = assign_layers([("a", 0.0, 2000.0), ("b", 200.0, 600.0)])
    assert greedy == {"a": 60.0, "b": 70.0}
    layered = [
        Flight(f.id, with_layer(f.mission, greedy[f.id]), f.start_s, rtl_alt_m=greedy[f.id])
        for f in (a, b)
    ]
    assert len(check(layered)) >= 1
    fixed = separate([a, b], speeds=FM, frame=FRAME, seed=3)
    assert check(fixed) == []
    alts = {f.id: f.rtl_alt_m for f in fixed}
    assert alts["a"] > alts["b"]
    for f in fixed:
        flown = {it.alt for it in f.mission.items if it.command != Cmd.NAV_RETURN_TO_LAUNCH}
        assert flown == {f.rtl_alt_m}


def test_overlapping_slots_get_distinct_layers_and_free_layers_are_reused():
    windows = [
        ("s1", 0, 1000),
        ("s2", 500, 1500),
        ("s3", 900, 2000),
        ("s4", 1000, 1800),
        ("s5", 2000, 2600),
    ]
    layers = assign_layers(windows, LayerPolicy(floor_m=60, ceiling_m=120, spacing_m=10))
    for (i, s0, e0), (j, s1, e1) in __import__("itertools").combinations(windows, 2):
        if s0 < e1 and s1 < e0:
            assert abs(layers[i] - layers[j]) >= 10
    assert layers["s5"] == 60.0
    assert max(layers.values()) <= 115.0


def test_infeasible_layering_is_one_line_refusal():
    windows = [(f"s{k}", 0, 1000) for k in range(7)]
    with pytest.raises(PlanError) as err:
        assign_layers(windows, LayerPolicy(floor_m=60, ceiling_m=120, spacing_m=10, margin_m=5))
    msg = str(err.value)
    assert "\n" not in msg
    assert "7 sorties fly at once" in msg and "only 6 altitude layers" in msg


def test_rtl_climbs_to_its_own_layer_before_going_home():
    m = mission_xy([(300, 0)], alt=60.0)
    path = trajectory(
        m, id="x", start_s=0, speeds=FM, frame=FRAME, launch_xy=(X0, Y0), rtl_alt_m=90.0
    )
    assert path.xyz[:, 2].max() == pytest.approx(90.0)
    top = np.flatnonzero(path.xyz[:, 2] >= 90.0 - 1e-9)
    assert path.xyz[top[0], 0] == pytest.approx(X0 + 300)  # climbs over the last waypoint
    assert path.xyz[-1, 2] == 0.0 and path.xyz[-1, 0] == pytest.approx(X0)


def test_trajectory_duration_matches_the_planners_flight_model():
    m = mission_xy([(300, 0), (300, 400), (-200, 100)], orbit=((0, 200), 25.0, 2))
    path = trajectory(m, id="x", start_s=100.0, speeds=FM, frame=FRAME)
    assert path.end_s - path.start_s == pytest.approx(FM.mission_time_s(m), rel=0.01)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.integers(0, 2**31 - 1))
def test_exact_check_agrees_with_dense_sampling(seed):
    """No loss of separation slips between vertices, and every reported one is real."""
    rng = random.Random(seed)
    flights = []
    for k in range(3):
        pts = [(rng.uniform(-300, 300), rng.uniform(-300, 300)) for _ in range(3)]
        home = (rng.uniform(-300, 300), rng.uniform(-300, 300))
        flights.append(
            flight(
                f"f{k}",
                pts,
                start=rng.uniform(0, 60),
                home=home,
                alt=rng.choice([50.0, 55.0, 60.0]),
            )
        )
    paths = trajectories(flights, speeds=FM, frame=FRAME)
    conflicts = find_conflicts(paths)
    by_pair = {(c.a, c.b) for c in conflicts}
    for c in conflicts:
        pa = next(p for p in paths if p.id == c.a).at(c.t_s)[0]
        pb = next(p for p in paths if p.id == c.b).at(c.t_s)[0]
        assert np.hypot(*(pa - pb)[:2]) < 30.0 + 1e-6 and abs(pa[2] - pb[2]) < 10.0 + 1e-6
    for i in range(3):
        for j in range(i + 1, 3):
            a, b = paths[i], paths[j]
            t0, t1 = max(a.start_s, b.start_s), min(a.end_s, b.end_s)
            if t1 <= t0:
                continue
            ts = np.arange(t0, t1, 0.05)
            d = a.at(ts) - b.at(ts)
            close = (np.hypot(d[:, 0], d[:, 1]) < 29.9) & (np.abs(d[:, 2]) < 9.9)
            assert (a.id, b.id) in by_pair or not close.any()


def _schedule_over(district, sorties_spec):
    """Sorties from the sample's launch sites to its key areas, via the planner's own builder."""
    from datetime import UTC, datetime

    from mission.schedule import Schedule, Sortie
    from mission.sortie import Orbit, Route, Waypoint, route_to_mission

    sorties, missions = [], {}
    for sid, site_id, area_id, start in sorties_spec:
        site = district.launch_site(site_id)
        area = district.key_area(area_id)
        launch = (site.position.x, site.position.y)
        route = Route(
            site_id,
            launch,
            (Waypoint(area.center.x, area.center.y), Orbit(area.center.x, area.center.y, 40.0, 2)),
        )
        missions[sid] = route_to_mission(route, district, 60.0)
        end = start + FM.mission_time_s(missions[sid])
        sorties.append(Sortie(sid, f"d-{sid}", site_id, start, end, 60.0, (), f"{sid}.plan"))
    start = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    sched = Schedule(district.name, start, 7200.0, tuple(s.drone for s in sorties), tuple(sorties))
    return sched, missions


def test_schedule_over_the_sample_district_is_layered_until_separated(example_district):
    from mission.deconflict import check_schedule, layer_schedule

    spec = [
        ("s1", "ls-west", "bridge-1", 0.0),
        ("s2", "ls-east", "bridge-1", 0.0),
        ("s3", "ls-west", "riverbank-1", 2000.0),
    ]
    sched, missions = _schedule_over(example_district, spec)
    lines = check_schedule(sched, missions, speeds=FM, district=example_district)
    assert lines and all(
        line.startswith("sorties s1 and s2 lose separation at 2026-11-28T08:") for line in lines
    )
    assert all(", cell " in line for line in lines)
    layered, flown = layer_schedule(sched, missions, speeds=FM, district=example_district)
    assert check_schedule(layered, flown, speeds=FM, district=example_district) == []
    by_id = {s.id: s for s in layered.sorties}
    assert abs(by_id["s1"].alt_m - by_id["s2"].alt_m) >= 10
    assert by_id["s3"].alt_m == 60.0  # alone in the air again: back on the lowest layer
    for s in layered.sorties:
        assert s.rtl_alt_m == s.alt_m
        m = flown[s.id]
        assert {it.alt for it in m.items if it.command == Cmd.NAV_LOITER_TURNS} == {s.alt_m}
        assert len(m.rally) == 1 and m.rally[0].alt == s.alt_m  # RTL to its own launch site
        site = example_district.launch_site(s.launch_site).position
        lon, lat = example_district.frame.to_lonlat(site.x, site.y)
        assert (m.rally[0].lat, m.rally[0].lon) == pytest.approx((lat, lon), abs=1e-6)


def test_too_many_drones_at_once_is_refused_in_one_line(example_district):
    from mission.deconflict import layer_schedule

    spec = [(f"s{k}", "ls-west" if k % 2 else "ls-east", "bridge-1", 30.0 * k) for k in range(7)]
    sched, missions = _schedule_over(example_district, spec)
    with pytest.raises(PlanError) as err:
        layer_schedule(sched, missions, speeds=FM, district=example_district)
    assert "\n" not in str(err.value) and "only 6 altitude layers" in str(err.value)


def test_simultaneous_takeoff_from_one_spot_cannot_be_layered_apart():
    a = flight("a", [(500, 0)], home=(0, 0), start=0.0)
    b = flight("b", [(-500, 0)], home=(0, 0), start=0.0)
    with pytest.raises(PlanError) as err:
        separate([a, b], speeds=FM, frame=FRAME, attempts=5)
    msg = str(err.value)
    assert msg.startswith("cannot separate the sorties inside the 120 m ceiling: sorties a and b")
    assert "stagger their start times" in msg and "\n" not in msg


def test_departure_is_held_until_the_pad_is_clear():
    a = flight("a", [(500, 0)], home=(0, 0), start=0.0)
    landing = trajectory(a.mission, id="a", start_s=0.0, speeds=FM, frame=FRAME).end_s
    b = flight("b", [(0, 500)], home=(0, 0), start=landing - 20.0)
    with pytest.raises(PlanError, match="cannot separate the sorties inside the 120 m ceiling: "):
        separate([a, b], speeds=FM, frame=FRAME)
    fixed = separate([a, b], speeds=FM, frame=FRAME, max_hold_s=120.0)
    held = {f.id: f.start_s for f in fixed}
    assert held["a"] == 0.0 and held["b"] > b.start_s
    assert (held["b"] - b.start_s) % 15.0 == 0.0 and held["b"] - b.start_s <= 120.0
    assert check(fixed) == []
    with pytest.raises(PlanError, match="even with 10 s ground holds"):
        separate([a, b], speeds=FM, frame=FRAME, max_hold_s=10.0)


def test_a_hold_that_breaks_a_revisit_limit_is_refused(example_district):
    import dataclasses

    from mission.deconflict import layer_schedule
    from mission.schedule import Visit

    spec = [("s1", "ls-west", "bridge-1", 0.0), ("s2", "ls-west", "riverbank-1", 0.0)]
    sched, missions = _schedule_over(example_district, spec)
    # Both take off together from one pad, so s2 (the later id) is held; its visit is the one
    # that closes the longest gap (100 s -> 300 s), which the limit of 3.55 min only just allows.
    eta = {"s1": 100.0, "s2": 300.0}
    sorties = tuple(
        dataclasses.replace(s, visits=(Visit("bridge-1", eta[s.id]),)) for s in sched.sorties
    )
    tight = dataclasses.replace(sched, sorties=sorties, horizon_s=400.0,
                                limits_min={"bridge-1": 3.55})  # fmt: skip
    with pytest.raises(PlanError, match="stretches the revisits of bridge-1"):
        layer_schedule(tight, missions, speeds=FM, district=example_district)
    relaxed = dataclasses.replace(tight, limits_min={"bridge-1": 60.0})
    layered, _ = layer_schedule(relaxed, missions, speeds=FM, district=example_district)
    starts = sorted(s.start_s for s in layered.sorties)
    assert starts[0] == 0.0 and 0.0 < starts[1] <= 120.0  # simultaneous take-off: one is held
    held = next(s for s in layered.sorties if s.start_s > 0)
    assert held.id == "s2" and held.visits[0].eta_s == pytest.approx(300.0 + held.start_s)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.lists(st.tuples(st.integers(0, 3000), st.integers(60, 1500)), min_size=1, max_size=12),
    st.booleans(),
)
def test_layers_never_shared_in_the_air_and_no_more_than_the_crowd_needs(slots, shuffled):
    windows = [(f"s{k}", float(a), float(a + d)) for k, (a, d) in enumerate(slots)]
    # Most sorties in the air at one instant (some sortie's start is always such an instant).
    crowd = max(sum(w[1] <= t < w[2] for w in windows) for _, t, _ in windows)
    policy = LayerPolicy(floor_m=20.0, ceiling_m=200.0, spacing_m=10.0, margin_m=5.0)
    layers = assign_layers(windows, policy, rng=random.Random(7) if shuffled else None)
    for i, s0, e0 in windows:
        for j, s1, e1 in windows:
            if i < j and s0 < e1 and s1 < e0:
                assert layers[i] != layers[j]
    if not shuffled:  # greedy in start order is optimal for intervals
        assert len(set(layers.values())) == crowd


def test_layers_respect_each_sorties_battery(example_district):
    from mission.deconflict import layer_schedule

    spec = [("s1", "ls-west", "bridge-1", 0.0), ("s2", "ls-east", "bridge-1", 0.0)]
    sched, missions = _schedule_over(example_district, spec)
    at = {alt: FM.mission_time_s(with_layer(missions["s1"], alt)) for alt in (60.0, 70.0)}
    # An endurance that fits s1 at 60 m but not at 70 m: s1 must keep the lowest layer.
    usable_min = (at[60.0] + at[70.0]) / 2 / 60.0
    tight = FlightModel(endurance_min=usable_min / (1 - FM.reserve))
    assert FM.mission_time_s(missions["s2"]) < tight.usable_s  # s2 has room to climb
    layered, flown = layer_schedule(sched, missions, speeds=tight, district=example_district)
    alts = {s.id: s.alt_m for s in layered.sorties}
    assert alts["s1"] == 60.0 and alts["s2"] > 60.0
    assert all(tight.mission_time_s(m) <= tight.usable_s for m in flown.values())
    with pytest.raises(PlanError, match="the highest its battery allows"):
        assign_layers([("a", 0, 100), ("b", 50, 150)], caps={"b": 60.0, "a": 60.0})
    assert assign_layers([("a", 0, 100), ("b", 50, 150)], caps={"b": 60.0}, highest=True) == {
        "a": 110.0,
        "b": 60.0,
    }
