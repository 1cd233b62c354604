"""Re-planning the rest of a day: limits kept where the fleet can, named with checkable numbers
where it cannot, fixed sorties untouched, check sorties planned around, hostile state refused.

The runner's state is derived here the way the runner derives it: sorties started before ``now``
stay fixed, and each area's last visit is the last one those sorties made before ``now``.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime

import pytest
from conftest import FIXTURES

from mission.checks import check_mission
from mission.deconflict import check_schedule
from mission.errors import PlanError
from mission.flight_model import FlightModel
from mission.formats.district_geojson import load_district
from mission.limits import NO_FLY_MARGIN_M
from mission.patrol.check_task import nearest_site, plan_check
from mission.patrol.randomized import close_landings
from mission.patrol.replan import replan_rest
from mission.patrol.service import plan_patrol
from mission.schedule import revisit_gaps

START = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
FM = FlightModel()
# 14.7 usable minutes and 15 min swaps: two drones keep every limit of the example, one cannot.
# The reserve is 30 %, so that a low-battery return from the far east of the district (1.8 km
# to ls-west) still reaches it before the critical failsafe.
SHORT = FlightModel(endurance_min=21.0, reserve=0.3, swap_min=15.0)
ALT = {"alt_m": 60.0, "ceiling_m": 120.0, "margin_m": 15.0}


def day(district, hours, fm=FM, seed=1):
    return plan_patrol(district, hours=hours, drones=2, start=START, flight_model=fm, seed=seed,
                       **ALT)  # fmt: skip


@pytest.fixture(scope="module")
def plan8(example_district):
    return day(example_district, 8.0)


def runner_state(plan, now):
    """(fixed, last visits, drones free) as the runner knows them at ``now``."""
    fixed = [(s, plan.missions[s.id]) for s in plan.schedule.sorties if s.start_s <= now]
    last: dict[str, float] = {}
    for s, _ in fixed:
        for v in s.visits:
            if v.eta_s <= now:
                last[v.area] = max(last.get(v.area, 0.0), v.eta_s)
    return fixed, last, {d: now for d in plan.schedule.drones}


def worst_from_last(schedule, area, last, now):
    times = sorted(v.eta_s for s in schedule.sorties for v in s.visits
                   if v.area == area and v.eta_s > now)  # fmt: skip
    marks = [last.get(area, 0.0), *times, schedule.horizon_s]
    return max(b - a for a, b in zip(marks, marks[1:], strict=False))


def replan(district, plan, now, fm=FM, **kw):
    fixed, last, free = runner_state(plan, now)
    args = {"last_visit_s": last, "drone_free_at": free, "fixed": fixed} | kw
    return replan_rest(district, schedule=plan.schedule, now_s=now, flight_model=fm, seed=5,
                       **ALT, **args)  # fmt: skip


def assert_flyable(district, result, now, fm=FM):
    """New sorties: safe, after now, one at a time per drone with a swap between."""
    by_drone: dict[str, list] = {}
    for s in result.schedule.sorties:
        assert check_mission(result.missions[s.id], district, flight_model=fm) == [], s.id
        by_drone.setdefault(s.drone, []).append(s)
    for sorties in by_drone.values():
        sorties.sort(key=lambda s: s.start_s)
        for a, b in zip(sorties, sorties[1:], strict=False):
            assert b.start_s >= a.end_s + fm.swap_s - 1e-6, (a.id, b.id)
    live = [s for s in result.schedule.sorties if s.end_s > now]
    sub = {s.id: result.missions[s.id] for s in live}
    assert check_schedule(dataclasses.replace(result.schedule, sorties=tuple(live)), sub,
                          speeds=fm, district=district) == []  # fmt: skip


def test_a_skipped_sortie_mid_day_is_covered_and_every_limit_kept(example_district, plan8):
    now = 3 * 3600.0
    skipped = min((s for s in plan8.schedule.sorties if s.start_s > now), key=lambda s: s.start_s)
    fixed, last, free = runner_state(plan8, now)
    free[skipped.drone] = skipped.start_s + 600.0  # its preflight failed; fixed in 10 min
    r = replan_rest(example_district, schedule=plan8.schedule, now_s=now, last_visit_s=last,
                    drone_free_at=free, fixed=fixed, flight_model=FM, seed=2, **ALT)  # fmt: skip
    assert r.at_risk == () and r.refused == ()
    for area in example_district.key_areas:
        assert worst_from_last(r.schedule, area.id, last, now) <= area.revisit_minutes * 60 + 1e-6
    old = {s.id for s in plan8.schedule.sorties}
    new = [s for s in r.schedule.sorties if s.start_s > now]
    assert new and all(s.id not in old for s in new)  # never an id already handed out
    assert all(s.start_s >= free[s.drone] - 1e-6 for s in new)
    assert_flyable(example_district, r, now)


def test_a_late_drone_is_planned_to_land_apart_from_the_other(example_district, plan8):
    """A drone held on the ground shifts its phase against the other's; the re-plan moves its
    sorties so the two do not land together (both packs spent at once leaves nobody for a check)."""
    now = 3 * 3600.0
    mine = min((s for s in plan8.schedule.sorties if s.start_s > now), key=lambda s: s.start_s)
    other = next(s for s in plan8.schedule.sorties if s.drone != mine.drone and s.start_s <= now
                 and s.end_s > now)  # fmt: skip
    fixed, last, free = runner_state(plan8, now)
    free[mine.drone] = other.end_s - 11 * 60.0  # one full pack from it lands with the other
    r = replan_rest(example_district, schedule=plan8.schedule, now_s=now, last_visit_s=last,
                    drone_free_at=free, fixed=fixed, flight_model=FM, seed=2, **ALT)  # fmt: skip
    later = dataclasses.replace(r.schedule, sorties=tuple(s for s in r.schedule.sorties
                                                          if s.end_s > now))  # fmt: skip
    assert close_landings(later, FM) == []
    assert r.at_risk == ()
    assert_flyable(example_district, r, now)


def test_fixed_sorties_stay_exactly_as_they_are(example_district, plan8):
    now = 2.5 * 3600.0
    fixed, _, _ = runner_state(plan8, now)
    r = replan(example_district, plan8, now)
    by_id = {s.id: s for s in r.schedule.sorties}
    for s, m in fixed:
        assert by_id[s.id] == s and r.missions[s.id] == m


def test_losing_one_of_two_drones_names_each_limit_with_checkable_numbers(example_district):
    plan = day(example_district, 4.0, fm=SHORT)
    now = 3600.0
    fixed, last, _ = runner_state(plan, now)
    r = replan_rest(example_district, schedule=plan.schedule, now_s=now, last_visit_s=last,
                    drone_free_at={"drone-1": now}, fixed=fixed, flight_model=SHORT, seed=4,
                    **ALT)  # fmt: skip
    named = {x.area: x for x in r.at_risk}
    assert named, "one drone cannot keep every limit of the example with 14.7 usable minutes"
    new = [s for s in r.schedule.sorties if s.start_s > now]
    assert new and {s.drone for s in new} == {"drone-1"}
    for area in example_district.key_areas:
        worst = worst_from_last(r.schedule, area.id, last, now)
        if area.id in named:
            x = named[area.id]
            assert x.limit_min == area.revisit_minutes
            assert x.worst_gap_min == pytest.approx(worst / 60.0, abs=1e-6)
            assert x.worst_gap_min > x.limit_min
            # the same gap a user finds with revisit_gaps over the re-planned schedule
            assert any(abs(g - worst) < 1e-6 for g in revisit_gaps(r.schedule, area.id))
            assert x.reason and "\n" not in x.reason and "1 drone in service" in x.reason
        else:
            assert worst <= area.revisit_minutes * 60 + 1e-6, area.id
    top = max(a.priority for a in example_district.key_areas)
    assert all(example_district.key_area(a).priority < top for a in named)  # they give way last
    assert_flyable(example_district, r, now, SHORT)


def test_an_area_past_saving_is_named_and_served_first(example_district, plan8):
    now = 4 * 3600.0
    fixed, last, free = runner_state(plan8, now)
    area = example_district.key_area("riverbank-1")
    last[area.id] = now - area.revisit_minutes * 60 + 30.0  # due 30 s from now: nobody gets there
    r = replan(example_district, plan8, now, last_visit_s=last)
    (risk,) = [x for x in r.at_risk if x.area == area.id]
    assert "at the earliest" in risk.reason and risk.worst_gap_min > area.revisit_minutes
    later = [x for x in r.at_risk if x.area != area.id]
    assert later == []


def test_a_check_sortie_is_inserted_and_the_others_replanned_around_it(example_district, plan8):
    now = 5 * 3600.0
    fixed, last, free = runner_state(plan8, now)
    drone = min(free, key=lambda d: max([free[d], *(s.end_s for s, _ in fixed if s.drone == d)]))
    start = max([now, *(s.end_s + FM.swap_s for s, _ in fixed if s.drone == drone)])
    cell = example_district.cell(45).shape.representative_point()
    site = nearest_site(example_district, cell.x, cell.y, margin_m=15.0)
    airborne = [(s, m) for s, m in fixed if s.end_s > start]
    check = plan_check(example_district, task_id="a17", x=cell.x, y=cell.y, drone=drone,
                       site=site, start_s=start, flight_model=FM, traffic=airborne,
                       **ALT)  # fmt: skip
    r = replan(example_district, plan8, now, fixed=[*fixed, (check.sortie, check.mission)])
    assert check.sortie in r.schedule.sorties and r.missions[check.sortie.id] == check.mission
    for s in r.schedule.sorties:  # the check drone flies nothing else meanwhile
        if s.drone == drone and s.id != check.sortie.id and s.start_s > now:
            apart = s.end_s + FM.swap_s <= check.sortie.start_s + 1e-6
            assert apart or s.start_s >= check.sortie.end_s + FM.swap_s - 1e-6, s.id
    assert r.at_risk == ()
    assert_flyable(example_district, r, now)


def test_seeded_replans_repeat_and_ids_skip_reserved_ones(example_district, plan8):
    now = 1.5 * 3600.0
    a = replan(example_district, plan8, now)
    b = replan(example_district, plan8, now)
    assert a.schedule == b.schedule
    c = replan(example_district, plan8, now, reserved_ids={"s500", "task-x"})
    assert min(s.id for s in c.schedule.sorties if s.start_s > now) == "s501"


NAN = math.nan


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"now_s": 9 * 3600.0}, "not within the schedule's horizon"),
        ({"now_s": NAN}, "not within the schedule's horizon"),
        ({"now_s": -5.0}, "not within the schedule's horizon"),
        ({"last_visit_s": {"riverbank-1": NAN}}, "not a finite time"),
        ({"last_visit_s": {"riverbank-1": 99999.0}}, "at or before now"),
        ({"last_visit_s": {"no-such-area": 10.0}}, "unknown area 'no-such-area'"),
        ({"drone_free_at": {}}, "no drone is in service"),
        ({"drone_free_at": {"drone-9": 10.0}}, "not in the schedule's fleet"),
        ({"drone_free_at": {"drone-1": math.inf}}, "not a finite time"),
        ({"fixed": "nan-start"}, "has a time that is not finite"),
    ],
)
def test_hostile_runner_state_is_refused_in_one_line(example_district, plan8, change, words):
    now = change.pop("now_s", 3600.0)
    fixed, last, free = runner_state(plan8, 3600.0)
    if change.get("fixed") == "nan-start":
        change["fixed"] = [(dataclasses.replace(fixed[0][0], end_s=NAN), fixed[0][1]), *fixed[1:]]
    args = {"last_visit_s": last, "drone_free_at": free, "fixed": fixed} | change
    with pytest.raises(PlanError) as err:
        replan_rest(example_district, schedule=plan8.schedule, now_s=now, flight_model=FM,
                    seed=1, **ALT, **args)  # fmt: skip
    text = str(err.value)
    assert words in text and "\n" not in text and text.startswith("cannot re-plan: "), text


def test_a_fixed_sortie_given_twice_is_refused(example_district, plan8):
    fixed, last, free = runner_state(plan8, 3600.0)
    with pytest.raises(PlanError, match=f"fixed sortie {fixed[0][0].id} is given twice"):
        replan_rest(example_district, schedule=plan8.schedule, now_s=3600.0, last_visit_s=last,
                    drone_free_at=free, fixed=[*fixed, fixed[0]], flight_model=FM,
                    **ALT)  # fmt: skip


def test_a_replan_at_the_edge_of_the_battery_leaves_room_for_a_higher_layer():
    """Found by the SITL patrol test: flights came in 1.03x longer than modelled, and the re-plan
    routed near-east and middle in one sortie that fitted the shortened battery at the base
    layer only. With the other drone in the air on that layer, the sortie was refused, and
    near-east went 24 minutes unvisited against its 12-minute limit. Planned with room for the
    climb to the next layer, the re-plan flies every sortie and keeps every limit."""
    district = load_district(FIXTURES / "district" / "sitl-patrol.geojson")
    # 4.8 usable minutes, as the SITL patrol test's 6 min at a 20 % reserve used to give; a 36 %
    # reserve brings a low-battery return from the middle area (560 m) home before the critical
    # failsafe.
    fm = FlightModel(endurance_min=7.5, reserve=0.36, swap_min=2.0)
    alt = {"alt_m": 20.0, "ceiling_m": 120.0, "margin_m": NO_FLY_MARGIN_M}
    plan = plan_patrol(district, hours=0.4, drones=2, start=START, flight_model=fm, seed=1, **alt)
    first = [s for s in plan.schedule.sorties if s.start_s < 100.0]
    assert [s.drone for s in first] == ["drone-1"], first  # drone-2's first sortie is refused
    morning = replan_rest(district, schedule=plan.schedule, now_s=75.0, last_visit_s={},
                          drone_free_at={d: 75.0 for d in plan.schedule.drones},
                          fixed=[(s, plan.missions[s.id]) for s in first], flight_model=fm,
                          reserved_ids=[s.id for s in plan.schedule.sorties if s.start_s < 200.0],
                          seed=3, **alt)  # fmt: skip
    assert morning.at_risk == () and morning.refused == ()
    now, longer = 418.0, dataclasses.replace(fm, endurance_min=7.5 / 1.03)
    fixed = [(s, morning.missions[s.id]) for s in morning.schedule.sorties if s.start_s <= now]
    last = {v.area: v.eta_s for s, _ in fixed for v in s.visits if v.eta_s <= now}
    later = replan_rest(district, schedule=morning.schedule, now_s=now, last_visit_s=last,
                        drone_free_at={d: now for d in plan.schedule.drones}, fixed=fixed,
                        flight_model=longer, seed=0,
                        reserved_ids=[s.id for s in morning.schedule.sorties], **alt)  # fmt: skip
    assert later.refused == (), later.refused
    assert later.at_risk == (), later.at_risk
    assert_flyable(district, later, now, fm=fm)
    new = [s for s in later.schedule.sorties if s.start_s > now]
    assert new and all(longer.mission_time_s(later.missions[s.id]) <= longer.usable_s for s in new)


def test_a_replan_keeps_two_minutes_spare_on_each_limit_when_it_can(example_district, monkeypatch):
    """Flights run a few per cent longer than modelled, so a visit planned 30 s inside its limit
    is flown past it (a soak missed lot-1 by 6 s so). These seeded re-plans of a 4 h day each
    planned an area within 2 min of its limit when any pass that kept the limit was taken."""
    import mission.patrol.replan as replan_module

    plan = day(example_district, 4.0)
    limits = {a.id: a.revisit_minutes * 60.0 for a in example_district.key_areas}

    def least_spare_min() -> float:
        spare = []
        for seed, now in [(0, 1800), (2, 3600), (2, 5400), (4, 5400), (4, 7200)]:
            fixed, last, free = runner_state(plan, now)
            result = replan_rest(example_district, schedule=plan.schedule, now_s=now,
                                 flight_model=FM, seed=seed, last_visit_s=last,
                                 drone_free_at=free, fixed=fixed, **ALT)  # fmt: skip
            assert result.at_risk == ()
            spare += [(lim - worst_from_last(result.schedule, a, last, now)) / 60.0
                      for a, lim in limits.items()]  # fmt: skip
        return min(spare)

    assert least_spare_min() >= 2.0
    monkeypatch.setattr(replan_module, "SPARE_S", 0.0)
    assert least_spare_min() < 1.0


def test_flights_running_long_shrink_the_way_home_and_the_replan_serves_far_areas_nearer(
    example_district, monkeypatch
):
    """The runner re-plans with the endurance its flights have shown (22 min / 1.13 here). At a
    30 % reserve that leaves 2.9 min of return before the critical failsafe, under the 3.0 min
    from riverbank-3 to ls-west. Each re-planned sortie must still fly home within it: the far
    area goes to the drone from ls-east, and every new sortie passes the checks on that model.
    Planned without the per-site measure of the way home, a re-plan failed its own check, and a
    24 h soak then could not re-plan round any trouble for the rest of its day."""
    import mission.patrol.base as base
    from mission.errors import MissionError

    planned = FlightModel(endurance_min=22.0, reserve=0.3)
    shrunk = FlightModel(endurance_min=22.0 / 1.13, reserve=0.3)
    plan = day(example_district, 8.0, fm=planned, seed=7)
    now = 2 * 3600.0
    result = replan(example_district, plan, now, fm=shrunk)
    new = [s for s in result.schedule.sorties if s.start_s > now]
    assert len(new) >= 10
    for s in new:
        mission = result.missions[s.id]
        assert check_mission(mission, example_district, flight_model=shrunk) == [], s.id
    far = [s.id for s in result.schedule.sorties if s.start_s > now
           and s.launch_site == "ls-west" and "riverbank-3" in {v.area for v in s.visits}]  # fmt: skip
    assert far == []
    assert any(
        "riverbank-3" in {v.area for v in s.visits}
        for s in result.schedule.sorties
        if s.start_s > now and s.launch_site == "ls-east"
    )
    monkeypatch.setattr(base, "return_reach", lambda *a, **k: None)
    with pytest.raises(MissionError, match="a low-battery return from it flies"):
        replan(example_district, plan, now, fm=shrunk)
