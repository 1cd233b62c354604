"""Planning a patrol, the use case: the one call the CLI, the demo, the benchmarks and tests make.

It plans irregular sorties over the key areas (``RandomizedPatrol``), puts concurrent sorties on
their own altitude and RTL layers proven separated (``mission.deconflict``), and refuses any
sortie that fails a safety check. Writing the files is separate (``write_patrol``), so a caller
that only needs the schedule never reads it back from disk.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mission.checks import require_safe
from mission.deconflict import layer_schedule
from mission.errors import CheckError, PlanError
from mission.flight_model import FlightModel
from mission.formats.qgc_plan import write_plan
from mission.model import District, Mission
from mission.patrol.base import PatrolProblem
from mission.patrol.randomized import RandomizedPatrol
from mission.schedule import Schedule, Sortie, write_schedule
from mission.sortie import route_to_mission
from mission.text import N_

__all__ = ["PatrolPlan", "plan_patrol", "require_start", "write_patrol"]

MAX_HOURS = 168.0  # a week: beyond it the planner runs for hours and no one flies that far ahead
MAX_DRONES = 50


@dataclass(frozen=True)
class PatrolPlan:
    """A checked, layered patrol: the schedule and each sortie's mission by sortie id."""

    schedule: Schedule
    missions: Mapping[str, Mission]

    def first_sortie(self) -> tuple[Sortie, Mission]:
        """The sortie that takes off first, with its mission."""
        first = min(self.schedule.sorties, key=lambda s: s.start_s)
        return first, self.missions[first.id]


def require_start(start: datetime) -> None:
    """A horizon start this century (raises ``PlanError``): dates far off overflow the clock."""
    if not 2000 <= start.year <= 2099:
        raise PlanError(N_("--start {start} is not a date this century; give an ISO time",
                           start=start.isoformat()))  # fmt: skip


def plan_patrol(
    district: District,
    *,
    hours: float,
    drones: int,
    start: datetime,
    flight_model: FlightModel,
    alt_m: float,
    ceiling_m: float,
    margin_m: float,
    seed: int | None = None,
) -> PatrolPlan:
    """Plan ``drones`` drones over ``hours`` from ``start``; ``seed`` None draws from the OS."""
    if not 0 < hours <= MAX_HOURS or not 1 <= drones <= MAX_DRONES:
        raise PlanError(
            N_("--hours must be in (0, {max_hours:g}] and --drones in 1..{max_drones}",
               max_hours=MAX_HOURS, max_drones=MAX_DRONES)
        )  # fmt: skip
    require_start(start)
    problem = PatrolProblem(
        district, hours, drones, start, flight_model, alt_m, ceiling_m, margin_m
    )
    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    plan = RandomizedPatrol(rng, seed).plan(problem)
    planned = {
        s.id: route_to_mission(plan.routes[s.id], district, s.alt_m, flight_model.cruise_mps)
        for s in plan.schedule.sorties
    }
    schedule, missions = layer_schedule(
        plan.schedule, planned, speeds=flight_model, district=district, ceiling_m=ceiling_m,
        seed=seed or 0,
    )  # fmt: skip
    for s in schedule.sorties:
        try:
            require_safe(missions[s.id], district, ceiling_m=ceiling_m, margin_m=margin_m,
                         flight_model=flight_model)  # fmt: skip
        except CheckError as exc:  # name the sortie: the item numbers are its own
            named = [N_("sortie {id}: {line}", id=s.id, line=v) for v in exc.violations]
            raise CheckError(named) from None
    return PatrolPlan(schedule, missions)


def write_patrol(plan: PatrolPlan, out: Path) -> Path:
    """One ``.plan`` per sortie and ``schedule.json`` into ``out``; returns the schedule's path."""
    out.mkdir(parents=True, exist_ok=True)
    for s in plan.schedule.sorties:
        write_plan(plan.missions[s.id], out / s.plan)
    write_schedule(plan.schedule, out / "schedule.json")
    return out / "schedule.json"
