"""Flights that run longer than the flight model: the runner learns by how much, and checks and
plans with it (the soak on SITL measured 1.10x on average, 1.27x at worst)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from sitl_fixtures import patrol_sortie

from centre.runner.flight_time import FACTOR_CAP, FlightTimes, shortened_model, stretched_plan
from centre.runner.store import SortieRecord
from mission.flight_model import FlightModel
from mission.schedule import Sortie, Visit
from vehicle.endurance import Consumption, EnduranceError, PackState, budget, require_endurance
from vehicle.sortie_flight import SortiePlan

PLANNED_S = 1000.0


def _record(state: str, sortie: str = "s001", planned_s: float = PLANNED_S) -> SortieRecord:
    base = Sortie(sortie, "drone-1", "ls-west", 0.0, planned_s, 40.0, (Visit("a", 10.0),), "x.plan")
    return dataclasses.replace(SortieRecord.of(base, Path("x.plan")), state=state)


def _fly(times: FlightTimes, flown_s: float, **kw) -> bool:
    times.note(_record("airborne", **kw), 100.0)
    times.note(_record("airborne", **kw), 150.0)  # progress updates keep the take-off time
    return times.note(_record("landed", **kw), 100.0 + flown_s)


def test_the_worst_flown_over_planned_factor_is_kept():
    times = FlightTimes()
    assert _fly(times, 1.27 * PLANNED_S, sortie="s1") and times.factor == pytest.approx(1.27)
    assert not _fly(times, 1.05 * PLANNED_S, sortie="s2")  # a quicker flight never lowers it
    assert times.factor == pytest.approx(1.27)
    assert not _fly(times, 0.8 * PLANNED_S, sortie="s3")
    assert times.factor == pytest.approx(1.27)


def test_aborted_short_and_absurd_flights_do_not_teach_a_factor():
    times = FlightTimes()
    times.note(_record("airborne"), 0.0)
    assert not times.note(_record("aborted"), 5000.0)  # cut short or long: not the model's fault
    assert not _fly(times, 300.0, sortie="short", planned_s=30.0)  # mostly take-off
    assert not times.note(_record("landed", sortie="never-up"), 9000.0)  # take-off never seen
    assert times.factor == 1.0
    assert _fly(times, 50 * PLANNED_S, sortie="absurd") and times.factor == FACTOR_CAP
    assert FlightTimes(math.nan).factor == 1.0 and FlightTimes(0.3).factor == 1.0
    assert FlightTimes(math.inf).factor == 1.0 and FlightTimes(7.0).factor == FACTOR_CAP


def test_a_sortie_the_pack_flies_as_modelled_but_not_as_flown_is_refused(example_district):
    """The endurance check with the learnt factor: what fits the model alone no longer passes."""
    mission = patrol_sortie(example_district, side_m=900.0)
    plan = SortiePlan(Consumption(450.0, "declared"))
    minutes = budget(mission, PackState(3300.0, 0.0), plan.consumption, reserve=0.2).flight_min
    pack = PackState(minutes * 450.0 / 0.8 * 1.03, 0.0)  # fits the model with 3 % to spare
    fits = budget(mission, pack, plan.consumption, reserve=0.2)
    assert require_endurance(fits) is fits
    slow = stretched_plan(plan, 1.27)
    assert slow.consumption.mah_per_min == pytest.approx(571.5)
    assert "x1.27" in slow.consumption.source
    with pytest.raises(EnduranceError):
        require_endurance(budget(mission, pack, slow.consumption, reserve=0.2))
    assert stretched_plan(plan, 1.0) is plan


def test_re_plans_get_the_endurance_the_drone_really_has():
    model = FlightModel(endurance_min=24.0)
    assert shortened_model(model, 1.2).endurance_min == pytest.approx(20.0)
    assert shortened_model(model, 1.2).cruise_mps == model.cruise_mps
    assert shortened_model(model, 1.0) is model
