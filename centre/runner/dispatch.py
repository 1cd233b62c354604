"""Which drone flies a check task: the soonest over the point from the ground, or one diverted.

When every drone is out on patrol, waiting for one to land, take its pack swap and take off again
costs the ground team many minutes; the nearest drone is often in the air. Each drone in service
is therefore offered as an ``Option`` with the time it would be over the point:

- from the ground: when it is free (its sortie's end and half the pack swap, or now), plus
  ``GROUND_PREP_S`` for preflight and upload, plus the check sortie's flight from its own site.
  Every drone is offered so, not only the first free: one landing a minute later at a site near
  the point is often over it sooner;
- diverted: now, plus ``DIVERT_PREP_S`` to brake, hold and upload, plus the flight from where the
  drone last reported. A patrol flying in AUTO is offered, and so is a check sortie on its way
  home once its orbit is flown (two requests minutes apart found the first check's drone in the
  air with most of its pack, yet it was not offered and the second check waited for a landing and
  a swap). Either only when the new sortie fits in the flight model's endurance less what the
  drone has flown since it took off (through any diversion before; the learned flight-time
  factor included); the vehicle then checks the pack as it really is before anything is
  written, and a refusal there sends a drone from the ground.

Every diversion leaves patrol areas to the re-plan and lands its drone early for a pack swap, so
it costs revisit limits (a soak that diverted whenever it gained a minute kept 9 of 12). A drone
from the ground therefore keeps the task when it is over the point within ``TARGET_S`` (the
ground team's 5 minutes); otherwise a diversion is chosen when it arrives ``DIVERT_GAIN_S``
sooner, unless it would leave the day's re-plan more revisit limits at risk than that ground
option. When several drones from the ground are in time, the one whose take-off leaves the
fewest at risk goes (``choose``'s ``at_risk``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from centre.runner.planning import UNDER_WAY, check_sortie, traffic
from centre.runner.sortie_run import SortieJob
from centre.runner.store import SortieRecord
from mission.errors import MissionError, PlanError
from mission.flight_model import FlightModel
from mission.model import District, Mission
from mission.patrol.check_task import CheckSortie, arrival_seq
from mission.text import N_

__all__ = ["Option", "Fleet", "fleet_now", "options", "choose", "weighed", "divertible",
           "flying_since", "GROUND_PREP_S", "DIVERT_PREP_S", "DIVERT_GAIN_S", "TARGET_S"]  # fmt: skip

GROUND_PREP_S = 60.0  # preflight, safety table and upload before a take-off
DIVERT_PREP_S = 30.0  # braking to a hold and uploading in the air
DIVERT_GAIN_S = 60.0
TARGET_S = 300.0  # request to over the point, as the ground team is promised


@dataclass(frozen=True)
class Option:
    """One drone's way to the point: ``arrival_s`` (schedule seconds, preparation included) and
    ``patrol``, the airborne sortie it would leave (None: it starts from the ground)."""

    drone: str
    planned: CheckSortie
    arrival_s: float
    patrol: SortieRecord | None = None


@dataclass(frozen=True)
class Fleet:
    """What the runner knows of its drones at the moment of the request."""

    now_s: float
    free_at: Mapping[str, float]  # drones in service -> when each is free on the ground
    airborne: Mapping[str, tuple[SortieRecord, tuple[float, float]]]  # patrol, (lat, lon)
    records: Sequence[SortieRecord]
    site_of: Mapping[str, str]  # drone -> the site it is (or will be) at


def flying_since(records: Sequence[SortieRecord], record: SortieRecord) -> float:
    """When the drone flying ``record`` took off: a sortie it was diverted into began in the air,
    so its flight began with the sortie it left (and so on back to a take-off)."""
    before = sorted(
        (r for r in records if r.drone == record.drone and r.id != record.id
         and r.state in ("landed", "aborted", "diverted") and r.start_s <= record.start_s),
        key=lambda r: r.start_s,
    )  # fmt: skip
    since = record.start_s
    for r in reversed(before):
        if r.state != "diverted":
            break
        since = r.start_s
    return since


def divertible(record: SortieRecord, mission_of: Callable[[SortieRecord], Mission]) -> bool:
    """A patrol; or a check sortie whose orbit is flown (its drone is on its way home)."""
    if record.kind == "patrol":
        return True
    if record.kind != "check" or record.item is None:
        return False
    try:
        orbit = arrival_seq(mission_of(record)) + 1
    except MissionError:
        return False
    return record.item > orbit


def fleet_now(
    now_s: float,
    records: Sequence[SortieRecord],
    *,
    in_service: set[str],
    jobs: Mapping[str, SortieJob],
    ready_at: Mapping[str, float],
    half_swap_s: float,
    mission_of: Callable[[SortieRecord], Mission],
) -> Fleet:
    """The fleet as a request finds it. A drone with a job is free when its sortie ends and half
    its pack swap has passed, and one promised to earlier check tasks (their sorties planned, not
    yet flown) only once the last of them has ended so: in a soak, four requests within three
    minutes were each given the same drone from the ground, "in 5-7 minutes", and the last ones
    waited 12 and 16 while the other drone was free. A drone is offered for a diversion when its
    job flies a patrol or a check sortie past its orbit, it has reported where it is, no diversion
    is already ordered, and no check task waits for it on the ground (``jobs`` empty: none
    offered)."""
    free_at, airborne, site_of = {}, {}, {}
    for d in sorted(in_service):
        own = [r for r in records if r.drone == d and r.state != "planned"] or [
            r for r in records if r.drone == d]  # fmt: skip
        site_of[d] = own[-1].site if own else ""
        job = jobs.get(d)
        busy = next((r for r in records if r.drone == d and r.state in UNDER_WAY), None)
        promised = [r.end_s + half_swap_s for r in records
                    if r.drone == d and r.kind == "check" and r.state == "planned"]  # fmt: skip
        if busy is None:
            free_at[d] = max(now_s, ready_at.get(d, now_s), *promised)
            continue
        free_at[d] = max(now_s, busy.end_s + half_swap_s, *promised)
        if (job is not None and job.record.id == busy.id and busy.state == "airborne"
                and job.where is not None and job.handover is None and not promised
                and divertible(busy, mission_of)):  # fmt: skip
            airborne[d] = (busy, job.where)
    return Fleet(now_s, free_at, airborne, records, site_of)


def options(
    fleet: Fleet,
    task: str,
    lat: float,
    lon: float,
    *,
    district: District,
    mission_of: Callable[[SortieRecord], Mission],
    flight_model: FlightModel,
    alt_m: float,
    ceiling_m: float,
) -> list[Option]:
    """Every usable option (raises the ground option's ``PlanError`` when none is usable)."""
    out: list[Option] = []
    problem: MissionError | None = None
    plan = dict(district=district, flight_model=flight_model, alt_m=alt_m, ceiling_m=ceiling_m)
    for drone in sorted(fleet.free_at, key=lambda d: (fleet.free_at[d], d)):
        start = max(fleet.now_s, fleet.free_at[drone])
        try:
            planned = check_sortie(task=task, lat=lat, lon=lon, drone=drone,
                                   site=fleet.site_of.get(drone, ""), start_s=start,
                                   traffic=traffic(fleet.records, mission_of), **plan)  # type: ignore[arg-type]  # fmt: skip
            out.append(Option(drone, planned, planned.arrival_s + GROUND_PREP_S))
        except MissionError as exc:
            problem = problem or exc
    for drone, (patrol, (here_lat, here_lon)) in sorted(fleet.airborne.items()):
        start = fleet.now_s + DIVERT_PREP_S
        others = traffic(fleet.records, mission_of, without=(patrol.id,))
        try:
            planned = check_sortie(task=task, lat=lat, lon=lon, drone=drone, site=patrol.site,
                                   start_s=start, traffic=others, held=(here_lat, here_lon),
                                   **plan)  # type: ignore[arg-type]  # fmt: skip
        except MissionError:
            continue  # this drone cannot be diverted (a refusal is the ground option's to say)
        left_s = flight_model.usable_s - max(fleet.now_s - flying_since(fleet.records, patrol), 0.0)
        if planned.sortie.end_s - planned.sortie.start_s <= left_s:
            out.append(Option(drone, planned, planned.arrival_s, patrol))
    if not out:
        raise problem or PlanError(N_("no drone is in service"))
    return out


def choose(
    found: Sequence[Option], now_s: float, at_risk: Callable[[Option], int] | None = None
) -> Option:
    """The soonest ground option when it is in time (``TARGET_S``) or no diversion is
    ``DIVERT_GAIN_S`` sooner; else the soonest diversion.

    With ``at_risk`` (how many revisit limits the day's re-plan would put at risk if that option
    flew) and several ground options in time, the one leaving the fewest at risk goes, then the
    soonest: each keeps the ground team's promise, and taking the drone the day needs next for a
    due area had cost a limit in a soak. A diversion that would put more limits at risk than the
    soonest ground option is not taken either: the revisit limits are the district's guarantee,
    the five minutes a goal (a soak's one missed limit came after a diversion)."""
    soonest = sorted(found, key=lambda o: (o.arrival_s, o.drone))
    ground = [o for o in soonest if o.patrol is None]
    air = [o for o in soonest if o.patrol is not None]
    if not ground:
        return air[0]
    in_time = [o for o in ground if o.arrival_s - now_s <= TARGET_S]
    if at_risk is not None and len(in_time) > 1:
        return min(in_time, key=lambda o: (at_risk(o), o.arrival_s, o.drone))
    late = ground[0].arrival_s - now_s > TARGET_S
    if late and air and air[0].arrival_s + DIVERT_GAIN_S <= ground[0].arrival_s:
        if at_risk is None or at_risk(air[0]) <= at_risk(ground[0]):
            return air[0]
    return ground[0]


def weighed(found: Sequence[Option], best: Option, asked_s: float, now_s: float) -> str:
    """One line for the operator: each drone's way to the point, minutes after the request, and
    the one chosen. When a task waits long, this says whether anything sooner was refused."""

    def way(o: Option) -> str:
        how = f"diverted from {o.patrol.id}" if o.patrol else "from the ground"
        return f"{o.drone} {how} in {(o.arrival_s - asked_s) / 60:.1f} min"

    others = "; ".join(way(o) for o in sorted(found, key=lambda o: o.arrival_s) if o is not best)
    weighed_at = (
        f" (weighed again {(now_s - asked_s) / 60:.1f} min after)" if now_s > asked_s else ""
    )
    return f"check {best.planned.sortie.id}: {way(best)}{weighed_at}" + (
        f"; not taken: {others}" if others else ""
    )
