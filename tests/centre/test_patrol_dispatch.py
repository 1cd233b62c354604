"""Which drone flies a check task: from the ground, or a patrol diverted in the air.

Real planning on the example district (free-space paths, orbit, separation from traffic); the
fleet is what the runner would know at the moment of the request. A diversion must arrive a
minute sooner, fit in what its patrol had left, and start from a place the planner accepts; any
position a vehicle reports is hostile and never breaks the choice.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
from patrol_runner_support import write_small_schedule

from centre.runner.dispatch import (
    DIVERT_GAIN_S,
    GROUND_PREP_S,
    TARGET_S,
    Fleet,
    choose,
    divertible,
    fleet_now,
    flying_since,
    options,
)
from centre.runner.planning import at_risk_with, check_sortie
from centre.runner.rules import DIVERTING, resume_action
from centre.runner.schedule_file import load_schedule
from centre.runner.store import SortieRecord
from mission.flight_model import FlightModel
from mission.formats import read_mission
from mission.model import Cmd, Mission

NOW = 1000.0


def latlon(district, x: float, y: float) -> tuple[float, float]:
    lon, lat = district.frame.to_lonlat(x, y)
    return float(lat), float(lon)


def patrol(end_s: float, start_s: float = NOW - 300) -> SortieRecord:
    return SortieRecord(id="s001", drone="drone-1", start_s=start_s, end_s=end_s, plan="x.plan",
                        state="airborne", site="ls-west", alt_m=40.0)  # fmt: skip


def ask(district, fleet: Fleet, x: float, y: float):
    lat, lon = latlon(district, x, y)
    never = Mission(items=())  # no traffic in these fleets: no mission is ever read

    def mission_of(record):  # type: ignore[no-untyped-def]
        return never

    return options(fleet, "t1", lat, lon, district=district, mission_of=mission_of,
                   flight_model=FlightModel(), alt_m=40.0, ceiling_m=120.0)  # fmt: skip


def fleet(district, held_xy, *, patrol_end: float, ground_free: float,
          patrol_start: float = NOW - 300) -> Fleet:  # fmt: skip
    held = latlon(district, *held_xy) if held_xy is not None else None
    airborne = {"drone-1": (patrol(patrol_end, patrol_start), held)} if held is not None else {}
    return Fleet(NOW, {"drone-1": patrol_end + 120.0, "drone-2": ground_free}, airborne, [],
                 {"drone-1": "ls-west", "drone-2": "ls-east"})  # fmt: skip


def test_a_patrol_near_the_point_is_diverted_when_the_ground_drone_is_far_off(example_district):
    area = example_district.key_area("riverbank-1")  # 800 m north of ls-west
    f = fleet(example_district, (area.center.x, area.center.y - 150.0), patrol_end=NOW + 900,
              ground_free=NOW + 1200)  # fmt: skip
    found = ask(example_district, f, area.center.x, area.center.y)
    best = choose(found, NOW)
    assert best.drone == "drone-1" and best.patrol is not None
    ground = next(o for o in found if o.patrol is None)
    assert best.arrival_s + DIVERT_GAIN_S <= ground.arrival_s
    # from where it holds, not from its site: well under a minute for 150 m
    assert best.arrival_s - NOW < 60.0
    first = best.planned.mission.items[0]
    assert latlon(example_district, area.center.x, area.center.y - 150.0) == pytest.approx(
        (first.lat, first.lon), abs=1e-7
    )


def test_a_drone_free_on_the_ground_keeps_the_task_unless_the_diversion_gains_a_minute(
    example_district,
):
    area = example_district.key_area("lot-1")  # 260 m from ls-east, where drone-2 waits
    f = fleet(example_district, (area.center.x - 400.0, area.center.y), patrol_end=NOW + 900,
              ground_free=NOW)  # fmt: skip
    found = ask(example_district, f, area.center.x, area.center.y)
    ground = next(o for o in found if o.patrol is None)
    assert ground.arrival_s >= NOW + GROUND_PREP_S
    assert choose(found, NOW).patrol is None


def test_a_drone_from_the_ground_in_time_keeps_the_task_even_if_a_diversion_is_sooner(
    example_district,
):
    area = example_district.key_area("riverbank-1")
    near = (area.center.x, area.center.y - 150.0)
    found = ask(example_district, fleet(example_district, near, patrol_end=NOW + 900,
                                        ground_free=NOW), area.center.x, area.center.y)  # fmt: skip
    ground = next(o for o in found if o.patrol is None)
    air = next(o for o in found if o.patrol is not None)
    assert ground.arrival_s - NOW <= TARGET_S and air.arrival_s + DIVERT_GAIN_S <= ground.arrival_s
    assert choose(found, NOW).patrol is None  # in time from the ground: the patrol goes on


def test_the_drone_soonest_over_the_point_goes_not_the_first_free(example_district):
    """drone-2 is free now at ls-east; drone-1 is free at ls-west, 800 m from the point, thirty
    seconds later: it is over the point first (108 s of flight against 155), so it flies it."""
    area = example_district.key_area("riverbank-1")  # 800 m north of ls-west
    f = Fleet(NOW, {"drone-1": NOW + 30.0, "drone-2": NOW}, {}, [],
              {"drone-1": "ls-west", "drone-2": "ls-east"})  # fmt: skip
    found = ask(example_district, f, area.center.x, area.center.y)
    by = {o.drone: o for o in found}
    assert by["drone-1"].arrival_s < by["drone-2"].arrival_s, by
    assert choose(found, NOW).drone == "drone-1"


def test_of_drones_in_time_the_one_leaving_the_fewest_limits_at_risk_goes(example_district):
    """Both ground drones are over the point within the ground team's five minutes: the one the
    day does not need next goes, though later. A drone out of time is never chosen for that."""
    area = example_district.key_area("riverbank-1")
    f = Fleet(NOW, {"drone-1": NOW + 30.0, "drone-2": NOW}, {}, [],
              {"drone-1": "ls-west", "drone-2": "ls-east"})  # fmt: skip
    found = ask(example_district, f, area.center.x, area.center.y)
    assert all(o.arrival_s - NOW <= TARGET_S for o in found)
    asked = []

    def at_risk(option) -> int:  # type: ignore[no-untyped-def]
        asked.append(option.drone)
        return 1 if option.drone == "drone-1" else 0  # drone-1 is due over an area next

    assert choose(found, NOW, at_risk).drone == "drone-2"
    assert sorted(asked) == ["drone-1", "drone-2"]
    assert choose(found, NOW, lambda o: 0).drone == "drone-1"  # equal: the soonest
    late = Fleet(NOW, {"drone-1": NOW + 30.0, "drone-2": NOW + TARGET_S}, {}, [],
                 {"drone-1": "ls-west", "drone-2": "ls-east"})  # fmt: skip
    asked.clear()
    found = ask(example_district, late, area.center.x, area.center.y)
    assert (
        choose(found, NOW, at_risk).drone == "drone-1" and asked == []
    )  # one in time: no weighing


def _small_day(district, tmp_path: Path, start_s: float):  # type: ignore[no-untyped-def]
    """The one-drone small schedule, its sortie records, and a check sortie over lot-1 for
    drone-1 starting at ``start_s``."""
    path = write_small_schedule(district, tmp_path / "plan")
    schedule, _ = load_schedule(path, {"drone-1"})
    records = [SortieRecord.of(s, path.parent / s.plan) for s in schedule.sorties]
    area = district.key_area("lot-1")
    lat, lon = latlon(district, area.center.x, area.center.y)
    planned = check_sortie(district, "t9", lat, lon, drone="drone-1", site="ls-west",
                           start_s=start_s, traffic=(), flight_model=FlightModel(), alt_m=40.0,
                           ceiling_m=120.0)  # fmt: skip
    return schedule, records, planned


def _at_risk(district, schedule, records, now_s, extra, **kw) -> int:  # type: ignore[no-untyped-def]
    """``at_risk_with`` with the real missions on disk and the default flight model."""
    return at_risk_with(district, schedule, records, now_s, extra,
                        mission_of=lambda r: read_mission(Path(r.plan)),
                        flight_model=FlightModel(), ceiling_m=120.0, **kw)  # fmt: skip


def test_at_risk_with_counts_the_limits_a_check_sortie_would_cost_the_day(
    example_district, tmp_path
):
    """The real re-planner: the only drone taken by a check sortie for most of the hour leaves
    the day's limits at risk; the same check sortie over in minutes leaves none."""
    schedule, records, planned = _small_day(example_district, tmp_path, 60.0)
    long = dataclasses.replace(planned.sortie, end_s=schedule.horizon_s - 60.0)

    def risk(sortie):  # type: ignore[no-untyped-def]
        return _at_risk(example_district, schedule, records, 60.0, (sortie, planned.mission))

    assert risk(planned.sortie) == 0
    assert risk(long) >= 1


def test_a_diversion_that_costs_more_limits_than_the_late_ground_drone_is_not_taken(
    example_district,
):
    """The same fleet as the first test: the diversion is sooner and the ground drone late. It
    still goes to the ground when diverting would leave more revisit limits at risk."""
    area = example_district.key_area("riverbank-1")
    f = fleet(example_district, (area.center.x, area.center.y - 150.0), patrol_end=NOW + 900,
              ground_free=NOW + 1200)  # fmt: skip
    found = ask(example_district, f, area.center.x, area.center.y)

    def costly(option) -> int:  # type: ignore[no-untyped-def]
        return 1 if option.patrol is not None else 0

    assert choose(found, NOW, costly).patrol is None
    assert choose(found, NOW, lambda o: 0).patrol is not None  # no cost: the diversion


def test_at_risk_with_credits_a_diverted_patrol_only_with_the_areas_it_visited(
    example_district, tmp_path
):
    """A patrol diverted before it reached its area leaves that area to the re-plan: with the
    drone then busy on a long check sortie, one more limit is at risk than if it had got there."""
    now = 100.0  # the small schedule's first sortie starts at 0
    schedule, (first, second), planned = _small_day(example_district, tmp_path, now)
    long = dataclasses.replace(planned.sortie, end_s=2300.0)

    def risk(visited, diverting):  # type: ignore[no-untyped-def]
        patrol = first.moved(state="airborne", visited=visited)
        return _at_risk(example_district, schedule, [patrol, second], now,
                        (long, planned.mission), diverting=diverting)  # fmt: skip

    reached = first.areas
    assert risk((), "s001") == risk(reached, "s001") + 1
    assert risk(reached, "s001") == risk(reached, None)


def test_a_diversion_longer_than_the_endurance_left_is_not_offered(example_district):
    area = example_district.key_area("riverbank-3")  # far east; the patrol flies from ls-west
    usable = FlightModel().usable_s
    held = (area.center.x - 200.0, area.center.y)
    early = fleet(example_district, held, patrol_end=NOW + 60, ground_free=NOW + 3000,
                  patrol_start=NOW - 60)  # fmt: skip
    found = ask(example_district, early, area.center.x, area.center.y)
    air = [o for o in found if o.patrol is not None]
    assert air and air[0].planned.sortie.end_s - air[0].planned.sortie.start_s < usable - 60
    late = fleet(example_district, held, patrol_end=NOW + 60, ground_free=NOW + 3000,
                 patrol_start=NOW - usable + 60)  # fmt: skip
    found = ask(example_district, late, area.center.x, area.center.y)
    assert found and all(o.patrol is None for o in found)


@pytest.mark.parametrize(
    "held",
    [(math.nan, math.nan), (math.inf, 0.0), (0.0, 0.0), (90.0, 180.0)],
    ids=["nan", "inf", "null-island", "pole"],
)
def test_a_hostile_reported_position_drops_the_diversion_never_the_task(example_district, held):
    area = example_district.key_area("riverbank-1")
    f = fleet(example_district, (area.center.x, area.center.y), patrol_end=NOW + 900,
              ground_free=NOW + 1200)  # fmt: skip
    f = Fleet(f.now_s, f.free_at, {"drone-1": (f.airborne["drone-1"][0], held)}, [], f.site_of)
    found = ask(example_district, f, area.center.x, area.center.y)
    assert found and all(o.patrol is None for o in found)


def test_a_position_inside_a_no_fly_margin_is_not_a_place_to_divert_from(example_district):
    zone = next(z for z in example_district.no_fly if z.id == "nf-helipad")
    inside = zone.shape.centroid
    area = example_district.key_area("alley-2")
    f = fleet(example_district, (inside.x, inside.y), patrol_end=NOW + 900,
              ground_free=NOW + 1200)  # fmt: skip
    found = ask(example_district, f, area.center.x, area.center.y)
    assert all(o.patrol is None for o in found)


def test_a_check_sortie_caught_mid_diversion_by_a_restart_is_abandoned_not_flown():
    rec = patrol(NOW + 900)
    check = SortieRecord(id="task-t1", drone="drone-1", start_s=NOW, end_s=NOW + 300,
                         plan="t.plan", kind="check", task="t1", state="uploading",
                         reason=f"{DIVERTING} s001")  # fmt: skip
    assert resume_action(check) == "abandon"
    assert resume_action(SortieRecord(**{**check.__dict__, "state": "planned"})) == "abandon"
    assert resume_action(SortieRecord(**{**check.__dict__, "state": "airborne"})) == "follow"
    assert resume_action(rec) == "follow"


def _check_flown(district, tmp_path, item: int | None) -> tuple[SortieRecord, Mission]:
    """A check sortie of drone-1 from ls-west over riverbank-1, at mission item ``item``."""
    area = district.key_area("riverbank-1")
    lat, lon = latlon(district, area.center.x, area.center.y)
    planned = check_sortie(district, "t0", lat, lon, drone="drone-1", site="ls-west",
                           start_s=NOW - 240, traffic=(), flight_model=FlightModel(),
                           alt_m=40.0, ceiling_m=120.0)  # fmt: skip
    record = SortieRecord.of(planned.sortie, tmp_path / "t0.plan", kind="check", task="t0")
    return record.moved(state="airborne", item=item), planned.mission


def test_a_check_sortie_is_offered_for_a_diversion_only_once_its_orbit_is_flown(
    example_district, tmp_path
):
    """A second request minutes after the first finds the first check's drone in the air with
    most of its pack: once it has flown its orbit it may take the second point, never before."""
    record, mission = _check_flown(example_district, tmp_path, None)
    # seq 0 is home: the item at index i of the mission is seq i + 1
    orbit = next(i + 1 for i, it in enumerate(mission.items) if it.command == Cmd.NAV_LOITER_TURNS)

    def at(item):  # type: ignore[no-untyped-def]
        return divertible(record.moved(item=item), lambda r: mission)

    assert not at(None) and not at(orbit - 1) and not at(orbit)
    assert at(orbit + 1) and at(len(mission.items))
    assert divertible(patrol(NOW + 900), lambda r: mission)
    assert not divertible(record.moved(kind="other", item=orbit + 1), lambda r: mission)


def test_the_pack_left_counts_from_the_take_off_through_earlier_diversions(example_district):
    """A check sortie that began as a diversion began in the air: its pack was spent since the
    patrol before it took off. Counted from the diversion, a drone nearly flat was offered."""
    usable = FlightModel().usable_s
    took_off = NOW - usable + 60
    left = patrol(NOW + 900, start_s=took_off).moved(state="diverted")
    check = SortieRecord(id="task-t0", drone="drone-1", start_s=NOW - 120, end_s=NOW + 200,
                         plan="t0.plan", kind="check", task="t0", state="airborne",
                         site="ls-west", alt_m=40.0)  # fmt: skip
    earlier = patrol(took_off - 600, start_s=took_off - 1800).moved(id="s000", state="landed")
    assert flying_since([earlier, left, check], check) == took_off
    assert flying_since([earlier, check], check) == check.start_s
    assert flying_since([earlier, left.moved(state="landed"), check], check) == check.start_s
    area = example_district.key_area("riverbank-1")
    held = latlon(example_district, area.center.x, area.center.y - 150.0)
    f = Fleet(NOW, {"drone-1": NOW + 320.0, "drone-2": NOW + 3000}, {"drone-1": (check, held)},
              [earlier, left, check], {"drone-1": "ls-west", "drone-2": "ls-east"})  # fmt: skip
    found = ask(example_district, f, area.center.x, area.center.y)
    assert found and all(o.patrol is None for o in found)
    fresh = Fleet(NOW, f.free_at, f.airborne, [earlier, check], f.site_of)
    assert any(o.patrol is not None for o in ask(example_district, fresh, area.center.x,
                                                   area.center.y))  # fmt: skip


def test_a_drone_promised_to_a_waiting_check_is_not_promised_again(example_district, tmp_path):
    """Two requests a minute apart over riverbank-1, both drones on the ground. The first goes to
    drone-1 (ls-west, nearest). A soak gave the second to drone-1 too, "in the same minutes",
    and it waited for the first to be flown: now drone-1 is free only after the first check has
    landed and half its swap, so drone-2 takes the second, and its sortie keeps clear of the
    first's. While that check waits for drone-1, drone-1 is not offered to another diversion."""
    half_swap = FlightModel().swap_s / 2
    area = example_district.key_area("riverbank-1")
    lat, lon = latlon(example_district, area.center.x, area.center.y)
    home = [patrol(NOW - 600, start_s=NOW - 2000).moved(state="landed"),
            patrol(NOW - 600, start_s=NOW - 2000).moved(id="s002", drone="drone-2",
                                                        site="ls-east", state="landed")]  # fmt: skip
    missions: dict[str, Mission] = {}

    def mission_of(record):  # type: ignore[no-untyped-def]
        return missions.get(record.id, Mission(items=()))

    def weigh(records, task, jobs=None):  # type: ignore[no-untyped-def]
        f = fleet_now(NOW, records, in_service={"drone-1", "drone-2"}, jobs=jobs or {},
                      ready_at={}, half_swap_s=half_swap, mission_of=mission_of)  # fmt: skip
        found = options(f, task, lat, lon, district=example_district, mission_of=mission_of,
                        flight_model=FlightModel(), alt_m=40.0, ceiling_m=120.0)  # fmt: skip
        return f, found, choose(found, NOW)

    _, _, first = weigh(home, "t1")
    assert first.drone == "drone-1" and first.patrol is None
    missions["task-t1"] = first.planned.mission
    promised = SortieRecord.of(first.planned.sortie, tmp_path / "t1.plan", kind="check", task="t1")
    f, found, second = weigh([*home, promised], "t2")
    assert f.free_at["drone-1"] == promised.end_s + half_swap
    by = {o.drone: o for o in found}
    assert by["drone-1"].arrival_s > promised.end_s
    assert second.drone == "drone-2" and second.arrival_s - NOW <= TARGET_S
    t2 = second.planned.sortie
    overlap = t2.start_s < promised.end_s and promised.start_s < t2.end_s
    assert not overlap or t2.alt_m != promised.alt_m  # layered around the first, or after it

    flying = patrol(NOW + 900).moved(state="airborne")
    job = SimpleNamespace(record=flying, where=(lat, lon), handover=None)
    missions["s001"] = first.planned.mission  # any mission: only its last items are looked at
    offered, _, _ = weigh([flying, home[1]], "t3", {"drone-1": job})
    assert "drone-1" in offered.airborne
    waiting = promised.moved(start_s=NOW + 1020, end_s=NOW + 1400)
    kept, _, _ = weigh([flying, home[1], waiting], "t3", {"drone-1": job})
    assert "drone-1" not in kept.airborne
