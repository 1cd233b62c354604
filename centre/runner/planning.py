"""The runner's door to the planner: re-plan the rest of the day, and plan a check sortie.

The runner calls ``replan``, ``check_sortie`` and ``traffic``; this module turns its records into what
``mission.patrol.replan.replan_rest`` and ``mission.patrol.check_task.plan_check`` take. Sorties
under way (preflight to airborne) and check sorties not yet flown stay fixed; the sorties still
planned are planned again from each area's last visit flown. A visit flown is dated at its
planned time (never later than now): the runner learns that an area was reached, not when.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from centre.runner.store import SortieRecord
from mission.errors import MissionError
from mission.flight_model import FlightModel
from mission.limits import NO_FLY_MARGIN_M
from mission.model import District, Mission
from mission.patrol.check_task import CheckSortie, plan_check
from mission.patrol.replan import replan_rest
from mission.schedule import Schedule, Sortie
from telemetry.patrol_records import ENDED_STATES, LimitRisk

__all__ = ["Replanned", "replan", "at_risk_with", "check_sortie", "traffic", "last_visits",
           "UNDER_WAY"]  # fmt: skip

UNDER_WAY = ("preflight", "uploading", "waiting_confirm", "airborne")


@dataclass(frozen=True)
class Replanned:
    """New sorties to add, ids that stay, the limits that cannot hold, new sorties refused."""

    new: list[tuple[Sortie, Mission]]
    fixed: set[str]
    at_risk: list[LimitRisk]
    refused: tuple[str, ...]


def traffic(
    records: Sequence[SortieRecord],
    mission_of: Callable[[SortieRecord], Mission],
    without: Collection[str] = (),
) -> list[tuple[Sortie, Mission]]:
    """The sorties under way and the check sorties promised (less the ids ``without``), each with
    its mission: what a new check sortie is separated from. A check sortie waiting for its drone
    will fly as planned, so one planned after it must keep clear of it too."""
    return [(r.as_sortie(), mission_of(r)) for r in records
            if _fixed(r) and r.id not in without]  # fmt: skip


def _fixed(record: SortieRecord) -> bool:
    return record.state in UNDER_WAY or (record.kind == "check" and record.state == "planned")


def last_visits(records: Sequence[SortieRecord], district: District, now_s: float) -> dict:
    """Each key area's last visit flown by the sortie records, dated at its planned time (never
    later than now). A sortie planned over an area twice is dated at its last pass only if it
    landed, the whole mission flown; one cut short (diverted, aborted) at its first, since its
    record says the area was reached, not which pass: the second may never have been flown."""
    known = {a.id for a in district.key_areas}
    last: dict[str, float] = {}
    for r in records:
        if r.state not in ENDED_STATES:
            continue
        pick = max if r.state == "landed" else min
        for area in r.visited:
            if area in known:
                etas = [eta for a, eta in r.visits if a == area]
                when = min(pick(etas) if etas else r.end_s, now_s)
                last[area] = max(last.get(area, 0.0), when)
    return last


def replan(
    district: District,
    schedule: Schedule,
    records: Sequence[SortieRecord],
    now_s: float,
    *,
    mission_of: Callable[[SortieRecord], Mission],
    flight_model: FlightModel,
    ceiling_m: float,
    out_of_service: Collection[str] = (),
    ready_at: Mapping[str, float] | None = None,
) -> Replanned:
    """The rest of the day after trouble (raises ``PlanError`` when it cannot be planned).

    ``ready_at``: when a drone that has landed has its pack swapped (schedule seconds); a landed
    sortie is no longer fixed, so without it the re-plan would send the drone off at once."""
    fixed = [(r.as_sortie(), mission_of(r)) for r in records if _fixed(r)]
    alt_m = min((s.alt_m for s in schedule.sorties), default=40.0)
    result = replan_rest(
        district, schedule=schedule, now_s=now_s,
        last_visit_s=last_visits(records, district, now_s),
        drone_free_at={d: max(now_s, (ready_at or {}).get(d, now_s))
                       for d in schedule.drones if d not in out_of_service},
        fixed=fixed, flight_model=flight_model, alt_m=alt_m, ceiling_m=ceiling_m,
        margin_m=NO_FLY_MARGIN_M, reserved_ids=[r.id for r in records],
    )  # fmt: skip
    ids = {s.id for s, _ in fixed}
    new = [(s, result.missions[s.id]) for s in result.schedule.sorties if s.id not in ids]
    risks = [LimitRisk(area=x.area, limit_min=x.limit_min, worst_gap_min=round(x.worst_gap_min, 1),
                       reason=x.reason[:300]) for x in result.at_risk]  # fmt: skip
    return Replanned(new, ids, risks, tuple(result.refused))


def at_risk_with(
    district: District,
    schedule: Schedule,
    records: Sequence[SortieRecord],
    now_s: float,
    extra: tuple[Sortie, Mission],
    *,
    mission_of: Callable[[SortieRecord], Mission],
    diverting: str | None = None,
    **day: object,
) -> int:
    """How many revisit limits the re-plan would put at risk with ``extra`` (a check sortie, not
    yet flown) fixed in the day, as ``replan`` with ``day`` would plan it; a day that cannot be
    planned so counts one more than every limit. ``diverting``: the patrol the check sortie
    would replace in the air, taken as ended ``diverted`` with the areas it has visited so far,
    as it would be. Nothing is stored or sent."""
    sortie, mission = extra
    record = SortieRecord.of(sortie, Path(sortie.plan or f"{sortie.id}.plan"), kind="check")
    day_records = [r.moved(state="diverted") if r.id == diverting else r for r in records]

    def with_extra(r: SortieRecord) -> Mission:
        return mission if r.id == record.id else mission_of(r)

    try:
        day_after = replan(district, schedule, [*day_records, record], now_s,
                           mission_of=with_extra, **day)  # type: ignore[arg-type]  # fmt: skip
    except MissionError:
        return len(schedule.limits_min) + 1
    return len(day_after.at_risk)


def check_sortie(
    district: District,
    task: str,
    lat: float,
    lon: float,
    *,
    drone: str,
    site: str,
    start_s: float,
    traffic: Sequence[tuple[Sortie, Mission]],
    flight_model: FlightModel,
    alt_m: float,
    ceiling_m: float,
    held: tuple[float, float] | None = None,
) -> CheckSortie:
    """The orbit sortie over (lat, lon) for ``drone`` from ``site``, or diverted from where it
    holds in the air (``held``: lat, lon), landing at ``site`` (raises ``PlanError``)."""
    x, y = district.frame.to_metric(lon, lat)
    start = None
    if held is not None:
        hx, hy = district.frame.to_metric(held[1], held[0])
        start = (float(hx), float(hy))
    return plan_check(
        district, task_id=task, x=float(x), y=float(y), drone=drone, site=site, start_s=start_s,
        flight_model=flight_model, alt_m=alt_m, ceiling_m=ceiling_m, margin_m=NO_FLY_MARGIN_M,
        traffic=traffic, from_xy=start,
    )  # fmt: skip
