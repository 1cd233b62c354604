"""Re-planning the rest of a patrol day after trouble, keeping every revisit limit it can.

The patrol runner calls ``replan_rest`` when a sortie fails its preflight, a vehicle is lost, a
failsafe brings one home, a launch is late or refused, or a check task takes a drone. Sorties in
the air, ended, or inserted stay exactly as they are; the rest of the horizon is planned again
for the drones in service, from each area's last visit actually flown.

Unlike the day planner, a re-plan never refuses: the day is under way and the drones must fly
the best plan there is. When the fleet cannot keep every limit it lets the least important areas
go (lowest priority first, then the most demanding), one at a time, until the others hold; then
it tries to take each one back, so no limit is given up that a plan could keep. Every limit that
still cannot hold is returned with its worst gap, counted from the last visit flown, and a
one-line reason, for the runner to publish.

Routes are planned at the base altitude. When a new sortie planned to the edge of its battery
cannot be layered around the traffic (the next layer up no longer fits), the day is planned once
more with the climb to the fleet's highest layer taken off the endurance, and the better of the
two is kept: fewer limits at risk, then fewer sorties refused.
"""

from __future__ import annotations

import dataclasses
import math
import random
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from mission.checks import require_safe
from mission.deconflict import LayerPolicy
from mission.errors import PlanError
from mission.flight_model import FlightModel
from mission.limits import LAYER_MARGIN_M, LAYER_SPACING_M
from mission.model import District, Mission
from mission.patrol.base import Network, PatrolPlan, PatrolProblem, network
from mission.patrol.layer_around import layer_around
from mission.patrol.randomized import STAGGERED_ATTEMPTS
from mission.patrol.resume import FleetState, ResumedAttempt, floor_deadlines, with_limits
from mission.schedule import Schedule, Sortie
from mission.sortie import route_to_mission
from mission.text import N_, Msg

__all__ = ["LimitAtRisk", "Replan", "replan_rest"]

ATTEMPTS = 6  # randomised passes per set of limits tried
# Flights run a few per cent longer than modelled and launches slip, so a visit planned a minute
# inside its limit can be flown just past it; a re-plan keeps this much of each limit spare
# whenever one of its passes can.
SPARE_S = 120.0
RELAX_STEPS = (2.0, 4.0, math.inf)  # an area let go is planned against these multiples
_SID = re.compile(r"^s(\d+)$")


@dataclass(frozen=True)
class LimitAtRisk:
    """A revisit limit the re-planned day cannot keep, in numbers an operator can check."""

    area: str
    limit_min: float
    worst_gap_min: float
    reason: str


@dataclass(frozen=True)
class Replan:
    """The re-planned day: fixed sorties kept, the future new; ``refused`` lists new sorties
    left out because no separated layer was found for them (never flown)."""

    schedule: Schedule
    missions: Mapping[str, Mission]
    at_risk: tuple[LimitAtRisk, ...]
    refused: tuple[str, ...] = ()


def replan_rest(
    district: District,
    *,
    schedule: Schedule,
    now_s: float,
    last_visit_s: Mapping[str, float],
    drone_free_at: Mapping[str, float],
    fixed: Sequence[tuple[Sortie, Mission]] = (),
    flight_model: FlightModel,
    alt_m: float,
    ceiling_m: float,
    margin_m: float,
    seed: int | None = None,
    reserved_ids: Collection[str] = (),
) -> Replan:
    """The rest of the day from ``now_s`` (schedule seconds), planned again.

    ``last_visit_s``: each area's last visit flown (absent: the horizon start). ``drone_free_at``:
    when each drone can fly again; a drone absent is out of service. ``fixed``: sorties that stay
    as they are; their visits after ``now_s`` count as visits to come, so a sortie cut short (its
    drone lost, or home on a failsafe) is given with the visits it made and its real end, and a
    skipped one is left out. New sortie ids continue after every ``sNNN`` id in the schedule, ``fixed`` and
    ``reserved_ids`` (the runner's flown and skipped ones), so none is ever reused.
    """
    _check_inputs(schedule, now_s, last_visit_s, drone_free_at, fixed, district)
    common = dict(district=district, schedule=schedule, now_s=now_s, last_visit_s=last_visit_s,
                  drone_free_at=drone_free_at, fixed=fixed, flight_model=flight_model, alt_m=alt_m,
                  ceiling_m=ceiling_m, margin_m=margin_m, seed=seed, reserved_ids=reserved_ids)  # fmt: skip
    result = _replan(planning=flight_model, **common)
    if result.refused:
        tighter = _room_for_layers(flight_model, alt_m, ceiling_m, len(schedule.drones))
        second = _replan(planning=tighter, **common)
        if (len(second.at_risk), len(second.refused)) < (len(result.at_risk), len(result.refused)):
            result = second
    return result


def _room_for_layers(fm: FlightModel, alt_m: float, ceiling_m: float, drones: int) -> FlightModel:
    """The flight model with the climb to (and descent from) the layer the last of ``drones``
    concurrent sorties may need taken off its endurance.

    Routes are planned at the base altitude; a sortie planned to the edge of its battery is then
    refused by ``layer_around`` when traffic takes the base layer and the next one up no longer
    fits. Planned with this much less, its routes fit any layer the fleet can need."""
    layers = LayerPolicy(alt_m, ceiling_m, LAYER_SPACING_M, LAYER_MARGIN_M).altitudes() or [alt_m]
    rise = layers[min(max(drones - 1, 0), len(layers) - 1)] - alt_m
    extra_s = fm.climb_s(rise) + fm.descent_s(rise)
    usable = max(fm.usable_s - extra_s, 0.5 * fm.usable_s)
    return dataclasses.replace(fm, endurance_min=usable / 60.0 / (1.0 - fm.reserve))


def _replan(
    *, district, schedule, now_s, last_visit_s, drone_free_at, fixed, flight_model, planning,
    alt_m, ceiling_m, margin_m, seed, reserved_ids,
) -> Replan:  # fmt: skip
    """Routes planned with the ``planning`` flight model, layered and checked with the real one."""
    names = tuple(d for d in schedule.drones if d in drone_free_at)
    problem = PatrolProblem(
        district, schedule.horizon_s / 3600.0, len(names), schedule.start, planning, alt_m,
        ceiling_m, margin_m,
    )  # fmt: skip
    net = network(problem)
    state = _state(
        problem, net, schedule, now_s, last_visit_s, drone_free_at, fixed, names, reserved_ids
    )
    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    plan, relaxed = _search(problem, net, state, rng, seed)
    planned = [
        (s, route_to_mission(plan.routes[s.id], district, s.alt_m, flight_model.cruise_mps))
        for s in plan.schedule.sorties
    ]
    airborne = [(s, m) for s, m in fixed if s.end_s + flight_model.swap_s > now_s]
    placed, refused = layer_around(
        planned, airborne, district=district, flight_model=flight_model, alt_m=alt_m,
        ceiling_m=ceiling_m,
    )  # fmt: skip
    for _, m in placed:
        require_safe(m, district, ceiling_m=ceiling_m, margin_m=margin_m,
                     flight_model=flight_model)  # fmt: skip
    kept = [*fixed, *placed]
    out = dataclasses.replace(
        schedule,
        sorties=tuple(sorted((s for s, _ in kept), key=lambda s: (s.start_s, s.id))),
        seed=seed,
    )
    missions = {s.id: m for s, m in kept}
    floors, reach = floor_deadlines(problem, net, state)
    risks = _at_risk(out, net, state, relaxed, reach, floors)
    return Replan(out, missions, risks, tuple(refused))


def _fail(message: Msg) -> PlanError:
    return PlanError(N_("cannot re-plan: {problem}", problem=message))


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _check_inputs(schedule, now_s, last_visit_s, drone_free_at, fixed, district) -> None:
    """One line for each way the runner's state can be wrong; nothing reaches the planner."""
    if not _finite(now_s) or not 0.0 <= now_s < schedule.horizon_s:
        raise _fail(
            N_(
                "now_s={now_s} is not within the schedule's horizon [0, {horizon_s:g}) s; "
                "plan a new day with gridpatrol plan patrol",
                now_s=now_s,
                horizon_s=schedule.horizon_s,
            )
        )
    known = {a.id for a in district.key_areas}
    for area, t in last_visit_s.items():
        if area not in known:
            raise _fail(
                N_(
                    "last visit given for unknown area {area}; use the district's key areas",
                    area=repr(area),
                )
            )
        if not _finite(t) or t > now_s + 1e-6:
            raise _fail(
                N_(
                    "last visit of {area} at {t} s is not a finite time at or before now "
                    "({now_s:g} s); give the time of the visit actually flown",
                    area=area,
                    t=t,
                    now_s=now_s,
                )
            )
    for drone, t in drone_free_at.items():
        if drone not in schedule.drones:
            raise _fail(
                N_(
                    "drone {drone} is not in the schedule's fleet {fleet}",
                    drone=repr(drone),
                    fleet=list(schedule.drones),
                )
            )
        if not _finite(t):
            raise _fail(
                N_(
                    "drone {drone} free at {t}: not a finite time; give schedule seconds",
                    drone=drone,
                    t=t,
                )
            )
    if not drone_free_at:
        raise _fail(N_("no drone is in service; bring a drone back or stop the patrol"))
    seen: set[str] = set()
    for s, _ in fixed:
        if s.id in seen:
            raise _fail(N_("fixed sortie {sortie} is given twice; give each once", sortie=s.id))
        seen.add(s.id)
    for s, _ in fixed:
        if s.drone not in schedule.drones:
            raise _fail(
                N_(
                    "fixed sortie {sortie} flies {drone}, not in the schedule's fleet",
                    sortie=s.id,
                    drone=repr(s.drone),
                )
            )
        if not all(_finite(x) for x in (s.start_s, s.end_s, *(v.eta_s for v in s.visits))):
            raise _fail(
                N_(
                    "fixed sortie {sortie} has a time that is not finite; fix the runner state",
                    sortie=s.id,
                )
            )


def _state(
    problem, net: Network, schedule, now_s, last_visit_s, drone_free_at, fixed, names, reserved
) -> FleetState:
    """Where the day stands for the planner: each drone's site (that of its sortie in the air,
    else its first), when it is free (after landing and a battery swap), its promised sorties,
    each area's last visit and visits still to come, and the next unused sortie number."""
    swap = problem.flight_model.swap_s
    site_index = {site: k for k, site in enumerate(net.sites)}
    site_of, free_at, windows = [], [], []
    for k, name in enumerate(names):
        own = sorted((s for s, _ in fixed if s.drone == name), key=lambda s: s.start_s)
        ever = sorted((s for s in schedule.sorties if s.drone == name), key=lambda s: s.start_s)
        flying = [s for s in own if s.start_s <= now_s]
        ref = flying[-1] if flying else ever[0] if ever else None
        fallback = k % len(net.sites)
        site_of.append(site_index.get(ref.launch_site, fallback) if ref else fallback)
        free = max([drone_free_at[name], now_s, *(s.end_s + swap for s in flying)])
        free_at.append(free)
        windows.append(tuple((s.start_s - swap, s.end_s + swap) for s in own if s.start_s > now_s))
    area_ids = [svc.id for svc in net.areas]
    coming = tuple(
        tuple(
            sorted(v.eta_s for s, _ in fixed for v in s.visits if v.area == a and v.eta_s > now_s)
        )
        for a in area_ids
    )
    numbers = [
        int(m.group(1))
        for sid in (*(s.id for s in schedule.sorties), *(s.id for s, _ in fixed), *reserved)
        if (m := _SID.match(sid))
    ]
    return FleetState(
        now_s, names, tuple(site_of), tuple(free_at), tuple(windows),
        tuple(float(last_visit_s.get(a, 0.0)) for a in area_ids), coming, max(numbers, default=0) + 1,
    )  # fmt: skip


def _search(problem, net, state, rng, seed) -> tuple[PatrolPlan, set[int]]:
    """The plan keeping the most limits, and the areas let go.

    Areas are let go in order of priority (lowest first, the most demanding first among equals),
    one at a time, until the rest hold. Before an area of higher priority gives way, the areas
    already let go are squeezed further (planned against 4x, then no limit), so they do not take
    flying time the more important ones need. Then each area let go is tried back, most important
    first, and kept whenever a plan holds it too.
    """
    order = sorted(
        range(len(net.areas)),
        key=lambda a: (net.areas[a].priority, -net.areas[a].service_s / net.areas[a].limit_s),
    )
    factors: dict[int, float] = {}
    plan, broken = _best(problem, net, state, rng, seed, factors)
    for a in order:
        for stretch in RELAX_STEPS[1:]:
            if not broken:
                break
            lower = [b for b in factors if net.areas[b].priority < net.areas[a].priority]
            if not lower:
                break
            factors.update({b: max(factors[b], stretch) for b in lower})
            plan, broken = _best(problem, net, state, rng, seed, factors)
        if not broken:
            break
        factors[a] = RELAX_STEPS[0]
        plan, broken = _best(problem, net, state, rng, seed, factors)
    for a in sorted(factors, key=lambda a: -net.areas[a].priority):
        trial_factors = {b: f for b, f in factors.items() if b != a}
        trial, trial_broken = _best(problem, net, state, rng, seed, trial_factors)
        if not trial_broken or len(trial_broken) < len(broken):
            factors, plan, broken = trial_factors, trial, trial_broken
    return plan, set(factors)


def _best(problem, net, state, rng, seed, factors: dict[int, float]) -> tuple[PatrolPlan, set[int]]:
    """The best of a few randomised passes: fewest limits (not let go) broken, then fewest
    kept with less than ``SPARE_S`` to spare, then the smallest overrun; the first pass that
    keeps every limit with time to spare wins at once. ``factors`` stretches the planning limit
    of each area let go."""
    limits = [svc.limit_s * factors.get(a, 1.0) for a, svc in enumerate(net.areas)]
    planning = with_limits(net, [min(x, problem.horizon_s) for x in limits])
    floors, _ = floor_deadlines(problem, planning, state)
    best: tuple[tuple[int, int, float], PatrolPlan, set[int]] | None = None
    for k in range(ATTEMPTS):
        stagger = k < STAGGERED_ATTEMPTS
        plan = ResumedAttempt(problem, planning, rng, seed, state, floors, stagger).run()
        broken, tight, overrun = set(), 0, 0.0
        for a, svc in enumerate(net.areas):
            if a in factors:
                continue
            times = [*_visits(plan.schedule, svc.id, state.now_s), *state.coming[a]]
            worst = _gaps(times, state.last[a], problem.horizon_s, floors[a] > 0)
            if worst > svc.limit_s + 1e-6:
                broken.add(a)
                overrun += worst / svc.limit_s
            elif worst > svc.limit_s - SPARE_S:
                tight += 1
        score = (len(broken), tight, overrun)
        if best is None or score < best[0]:
            best = (score, plan, broken)
        if not broken and not tight:
            break
    assert best is not None
    return best[1], best[2]


def _visits(schedule: Schedule, area: str, now_s: float) -> list[float]:
    return [
        v.eta_s for s in schedule.sorties for v in s.visits if v.area == area and v.eta_s > now_s
    ]


def _gaps(times: Sequence[float], last: float, horizon_s: float, after_first: bool) -> float:
    """The worst gap from the last visit flown through the visits to come to the horizon end;
    ``after_first`` starts at the first visit to come (for an area already past saving)."""
    marks = [last, *sorted(times), horizon_s]
    if after_first and times:
        marks = marks[1:]
    return max(b - a for a, b in zip(marks, marks[1:], strict=False))


def _at_risk(out, net, state, relaxed, reach, floors) -> tuple[LimitAtRisk, ...]:
    risks = []
    n = len(state.names)
    for a, svc in enumerate(net.areas):
        times = _visits(out, svc.id, state.now_s)
        worst = _gaps(times, state.last[a], out.horizon_s, False)
        if worst <= svc.limit_s + 1e-6:
            continue
        later = _gaps(times, state.last[a], out.horizon_s, True)
        if floors[a] > 0 and (a not in relaxed or later <= svc.limit_s + 1e-6):
            reason = N_(
                "last visited at {last}; the first drone free can be over it "
                "at {reach} at the earliest",
                last=out.at(state.last[a]),
                reach=out.at(reach[a]),
            )
        elif a in relaxed:
            reason = N_(
                "{n} drone{plural} in service cannot keep every limit; this "
                "priority {priority} area gives way to more important ones",
                n=n,
                plural="s" if n != 1 else "",
                priority=svc.priority,
            )
        else:
            reason = N_(
                "no sortie of the re-plan reaches it in time; add a drone or relax the limit"
            )
        risks.append(LimitAtRisk(svc.id, svc.limit_s / 60.0, float(worst) / 60.0, reason))
    return tuple(risks)
