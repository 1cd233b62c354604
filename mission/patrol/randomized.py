"""Randomised patrols: unpredictable order and timing, with every revisit limit kept.

Sorties are planned in order of their start time. A sortie picks its next area at random, weighted
by priority and by how much of the area's revisit limit has already passed, among the areas it
can still reach and return from. A look-ahead keeps the guarantee: a pick is only allowed when
every area that no other drone can reach in time is still served before its deadline, in
earliest-deadline order. Start times get a random delay bounded by the same slack. A schedule
that misses a limit anyway is thrown away and planned again; after a few tries the plan is
refused with the figure the fleet managed.

Drones' landings are kept apart (``STAGGER_SHARE`` of an even spread over the fleet's cycle), so
that at any moment one drone is either in the air with pack to spare or on the ground with a
fresh one, ready for a check task within minutes. Two drones that drift into landing together
were a soak's late check: both packs spent, nobody to send. A sortie that would land too close
to another drone's landing takes off later when the deadlines' slack allows, or comes back
earlier, whichever moves it less. Limits come first: the later tries of a plan drop the rule.

Randomness comes only from the injected ``random.Random`` (``random.SystemRandom()`` by
default, the OS source), so a seeded planner is reproducible and an unseeded one is not.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from mission.errors import PlanError
from mission.flight_model import FlightModel
from mission.patrol.base import Network, PatrolPlan, PatrolProblem, network
from mission.patrol.return_reach import reach_check
from mission.schedule import Schedule, Sortie, Visit, revisit_gaps
from mission.sortie import Route, Waypoint, route_to_mission
from mission.text import N_

__all__ = ["RandomizedPatrol", "capacity_check", "close_landings", "landings_apart_s"]

ATTEMPTS = 6
SAFETY = 0.98  # share of the usable battery a sortie plans to use (metres vs geodesic noise)
MARGIN_S = 60.0  # slack kept against deadlines in the look-ahead
# Pick weight = priority * (floor + overdue + waited ** power): "overdue" counts from a random
# wish time after each visit (spreads return times), "waited" from the visit (keeps urgency).
WEIGHT_FLOOR = 0.03
URGENCY_POWER = 4
STAGGER_SHARE = 0.6  # landings kept this share of an even spread over the cycle apart
STAGGERED_ATTEMPTS = ATTEMPTS // 2  # the first tries stagger landings; the rest only keep limits


@dataclass
class _Leg:
    area: int
    eta: float


def _infeasible(area: str, limit_min: float, drones: int, best_min: float) -> PlanError:
    fleet = f"{drones} drone{'s' if drones != 1 else ''}"
    return PlanError(
        N_(
            "infeasible: area {area} needs a visit every {limit_min:g} min; {fleet} can "
            "manage every {best_min} min at best; add a drone or relax the limit",
            area=area,
            limit_min=limit_min,
            fleet=fleet,
            best_min=math.ceil(best_min),
        )
    )


def capacity_check(problem: PatrolProblem, net: Network) -> None:
    """Refuse at once when the fleet's flying time cannot cover the visits the limits demand."""
    fm = problem.flight_model
    n_sites, n_areas = len(net.sites), len(net.areas)
    overhead = fm.takeoff_s(problem.alt_m) + fm.landing_s(problem.alt_m)
    for a, svc in enumerate(net.areas):
        best_site = min(
            net.time_s[s, net.entry(a)] + net.time_s[net.exit(a), s] for s in range(n_sites)
        )
        if best_site + svc.service_s + overhead > fm.usable_s * SAFETY:
            raise PlanError(
                N_(
                    "infeasible: area {id} cannot be reached, visited and left within one battery "
                    "({usable_s:.1f} min usable); add a nearer launch site or a longer "
                    "--endurance-min",
                    id=svc.id,
                    usable_s=fm.usable_s / 60,
                )
            )
    # each visit costs its service plus at least the cheapest way in
    cost = []
    for a, svc in enumerate(net.areas):
        ins = [
            net.time_s[j, net.entry(a)]
            for j in range(len(net.time_s))
            if j not in (net.entry(a), net.exit(a))
        ]
        cost.append(svc.service_s + min(ins))
    load = sum(c / svc.limit_s for c, svc in zip(cost, net.areas, strict=True))
    supply = problem.drones * (fm.usable_s - overhead) / (fm.usable_s + fm.swap_s)
    if load > supply:
        worst = min(range(n_areas), key=lambda a: (net.areas[a].limit_s, -cost[a]))
        svc = net.areas[worst]
        raise _infeasible(
            svc.id, svc.limit_s / 60, problem.drones, svc.limit_s / 60 * load / supply
        )


def landings_apart_s(flight_model: FlightModel, drones: int) -> float:
    """How far apart the planner keeps two drones' landings: ``STAGGER_SHARE`` of an even spread
    of the fleet over one cycle (a pack flown and swapped)."""
    return STAGGER_SHARE * ((flight_model.usable_s + flight_model.swap_s) / max(drones, 1))


def close_landings(schedule: Schedule, flight_model: FlightModel) -> list[float]:
    """Gaps (s) between landings of two drones closer than the planner keeps them apart, with a
    minute's tolerance (the plan's ends are the missions' flight times, the planner's its own
    estimate), the horizon's end aside (a sortie cut there cannot move)."""
    apart = landings_apart_s(flight_model, len(schedule.drones))
    ends = sorted((s.end_s, s.drone) for s in schedule.sorties)
    return [
        b[0] - a[0]
        for a, b in zip(ends, ends[1:], strict=False)
        if a[1] != b[1] and b[0] - a[0] < apart - 60.0 and b[0] < schedule.horizon_s - apart
    ]


class RandomizedPatrol:
    def __init__(self, rng: random.Random | None = None, seed: int | None = None):
        self.rng = rng if rng is not None else random.SystemRandom()
        self.seed = seed

    def plan(self, problem: PatrolProblem) -> PatrolPlan:
        net = network(problem)
        capacity_check(problem, net)
        reach_check(net, problem.flight_model)
        closest: tuple[float, str, float] | None = None  # (overrun ratio, area, worst gap)
        for k in range(ATTEMPTS):
            stagger = k < STAGGERED_ATTEMPTS
            plan = _Attempt(problem, net, self.rng, self.seed, stagger).run()
            ratio, area, gap = max(
                (
                    max(revisit_gaps(plan.schedule, svc.id)) / svc.limit_s,
                    svc.id,
                    max(revisit_gaps(plan.schedule, svc.id)),
                )
                for svc in net.areas
            )
            if ratio <= 1.0 + 1e-9:
                return plan
            if closest is None or ratio < closest[0]:
                closest = (ratio, area, gap)
        _, area, gap = closest
        limit = next(s.limit_s for s in net.areas if s.id == area)
        raise _infeasible(area, limit / 60, problem.drones, gap / 60)


class _Attempt:
    """One randomised pass over the horizon."""

    def __init__(
        self, problem: PatrolProblem, net: Network, rng: random.Random, seed, stagger: bool = True
    ):
        self.p, self.net, self.rng, self.seed = problem, net, rng, seed
        fm = problem.flight_model
        self.fm = fm
        self.climb = fm.takeoff_s(problem.alt_m)
        self.descent = fm.landing_s(problem.alt_m)
        self.budget = fm.usable_s * SAFETY
        self.H = problem.horizon_s
        self.last = [0.0] * len(net.areas)
        self.want = [self._wish(a, 0.0) for a in range(len(net.areas))]
        n_sites = len(net.sites)
        self.site_of = [d % n_sites for d in range(problem.drones)]
        cycle = (fm.usable_s + fm.swap_s) / problem.drones
        self.free_at = [
            d * cycle * rng.uniform(0.5, 1.0) if d else 0.0 for d in range(problem.drones)
        ]
        self.names = tuple(f"drone-{k + 1}" for k in range(problem.drones))
        self.first_id = 1
        self.lands = [-math.inf] * problem.drones  # each drone's latest planned landing
        self.apart_s = landings_apart_s(fm, problem.drones) if stagger else 0.0

    def _until(self, d: int, t0: float) -> float:
        """When a sortie of drone d starting at t0 must be back on the ground at the latest."""
        return min(t0 + self.budget, self.H)

    def _wish(self, a: int, t: float) -> float:
        """A random moment, well before the deadline, from which area a becomes attractive."""
        return t + self.rng.uniform(0.0, 0.8) * self.net.areas[a].limit_s

    def deadline(self, a: int) -> float:
        return self.last[a] + self.net.areas[a].limit_s

    def reach(self, site: int, a: int, t: float) -> float:
        return t + self.climb + self.net.time_s[site, self.net.entry(a)]

    def run(self) -> PatrolPlan:
        sorties: list[tuple[int, float, float, list[_Leg]]] = []
        while True:
            d = min(range(self.p.drones), key=lambda k: (self.free_at[k], k))
            t0 = self.free_at[d]
            if t0 >= self.H:
                break
            t0 += self._delay(d, t0)
            t0, legs, end = self._staggered(d, t0)
            if legs:
                sorties.append((d, t0, end, legs))
                self.free_at[d] = end + self.fm.swap_s
                self.lands[d] = end
            else:
                self.free_at[d] = t0 + 60.0
        return self._plan(sorties)

    def _others_reach(self, d: int, a: int, t0: float) -> float:
        """Earliest time anybody else (or this drone, next sortie) can be over area a."""
        own = self.reach(self.site_of[d], a, t0 + self.budget + self.fm.swap_s)
        others = [
            self.reach(self.site_of[k], a, self.free_at[k]) for k in range(self.p.drones) if k != d
        ]
        return min([own, *others])

    def _slack(self, d: int, t0: float) -> float:
        """How long drone d may wait past t0 and still be over every area before it is due."""
        site = self.site_of[d]
        return min(
            self.deadline(a) - self.reach(site, a, t0) - MARGIN_S
            for a in range(len(self.net.areas))
        )

    def _may_wait(self, d: int, t0: float) -> float:
        """The longest drone d may hold its take-off past t0: half the deadlines' slack."""
        return max(self._slack(d, t0), 0.0) / 2

    def _delay(self, d: int, t0: float) -> float:
        cap = min(self.fm.swap_s, self._may_wait(d, t0))
        return self.rng.uniform(0.0, cap) if cap > 0 else 0.0

    def _near(self, d: int, end: float) -> list[float]:
        """Other drones' landings too close to a landing of drone d at ``end`` (to the second:
        a moved landing sits exactly ``apart_s`` from the one it moved away from)."""
        return [t for k, t in enumerate(self.lands) if k != d and abs(end - t) < self.apart_s - 1.0]

    def _clear_from(self, d: int, end: float, later: bool) -> float:
        """The nearest landing time from ``end``, later or earlier, apart from every other
        drone's landing."""
        while near := self._near(d, end):
            end = max(near) + self.apart_s if later else min(near) - self.apart_s
        return end

    def _staggered(self, d: int, t0: float) -> tuple[float, list[_Leg], float]:
        """Drone d's sortie from t0, moved to land apart from the other drones when it can:
        (start, legs, end). Taking off later is bounded by the deadlines' slack; coming back
        earlier by the sortie still visiting something. Otherwise the sortie stays as drawn."""
        before = (self.last[:], self.want[:])
        legs, end = self._sortie(d, t0)
        if not legs or not self._near(d, end):
            return t0, legs, end
        drawn = (legs, end, self.last[:], self.want[:])
        later = self._clear_from(d, end, True) - end
        earlier = end - self._clear_from(d, end, False)
        moves = sorted([(later, t0 + later, math.inf), (earlier, t0, end - earlier)])
        may_wait = self._may_wait(d, t0)
        for _, start, land_by in moves:
            if start - t0 > may_wait:
                continue
            self.last, self.want = before[0][:], before[1][:]
            moved, moved_end = self._sortie(d, start, land_by)
            if moved and not self._near(d, moved_end):
                return start, moved, moved_end
        legs, end, self.last, self.want = drawn
        return t0, legs, end

    def _sortie(self, d: int, t0: float, land_by: float = math.inf) -> tuple[list[_Leg], float]:
        net, site = self.net, self.site_of[d]
        n = len(net.areas)
        due = {a for a in range(n) if self.deadline(a) < self._others_reach(d, a, t0)}
        pos, t = site, t0 + self.climb
        legs: list[_Leg] = []
        limit = min(self._until(d, t0), land_by) - self.descent
        while True:
            options, weights, fallback = [], [], []
            for a in range(n):
                if legs and legs[-1].area == a:
                    continue
                svc = net.areas[a]
                if (
                    net.reach is not None
                    and net.reach.worst_m(site, pos, net.entry(a), a) > self.fm.return_budget_m
                ):
                    continue  # its way home from there is longer than the reserve flies
                eta = t + net.time_s[pos, net.entry(a)]
                done = eta + svc.service_s
                if done + net.time_s[net.exit(a), site] > limit:
                    continue
                fallback.append((self.deadline(a), a, eta, done))
                if not self._keeps_deadlines(a, done, due - {a}, site, limit):
                    continue
                overdue = max(eta - self.want[a], 0.0) / svc.limit_s
                waited = max(eta - self.last[a], 0.0) / svc.limit_s
                options.append((a, eta, done))
                weights.append(svc.priority * (WEIGHT_FLOOR + overdue + waited**URGENCY_POWER))
            if not fallback:
                break
            if not options:  # nothing keeps every deadline: serve the most urgent, no dice
                options, weights = [min(fallback)[1:]], [1.0]
            a, eta, done = self.rng.choices(options, weights)[0]
            legs.append(_Leg(a, eta))
            self.last[a] = max(self.last[a], eta)
            self.want[a] = self._wish(a, self.last[a])
            due.discard(a)
            pos, t = net.exit(a), done
        end = t + net.time_s[pos, site] + self.descent if legs else t0
        return legs, end

    def _keeps_deadlines(
        self, first: int, t: float, due: set[int], site: int, limit: float
    ) -> bool:
        """After visiting ``first`` (done at t), can the due areas still be met in EDF order?"""
        net = self.net
        pos = net.exit(first)
        for a in sorted(due, key=self.deadline):
            eta = t + net.time_s[pos, net.entry(a)]
            if eta > self.deadline(a) - MARGIN_S:
                return False
            t = eta + net.areas[a].service_s
            pos = net.exit(a)
        return t + net.time_s[pos, site] <= limit

    def _plan(self, raw: list[tuple[int, float, float, list[_Leg]]]) -> PatrolPlan:
        net, p = self.net, self.p
        drones = self.names
        sorties, routes = [], {}
        ordered = sorted(raw, key=lambda s: (s[1], s[0]))
        for k, (d, t0, end, legs) in enumerate(ordered, start=self.first_id):
            sid = f"s{k:03d}"
            site = self.site_of[d]
            plan_name = f"{sid}-{drones[d]}.plan"
            steps: list = []
            pos = site
            for leg in legs:
                path = net.paths[(pos, net.entry(leg.area))]
                steps += [Waypoint(*xy) for xy in path[1:-1]]
                steps += list(net.areas[leg.area].steps)
                pos = net.exit(leg.area)
            steps += [Waypoint(*xy) for xy in net.paths[(pos, site)][1:-1]]
            routes[sid] = Route(net.sites[site], net.site_xy[site], tuple(steps))
            if legs:  # the pieces above each end in a stop; the mission flies through some joins
                mission = route_to_mission(routes[sid], p.district, p.alt_m, self.fm.cruise_mps)
                end = min(end, t0 + self.fm.mission_time_s(mission))
            visits = tuple(Visit(net.areas[leg.area].id, leg.eta) for leg in legs)
            sorties.append(
                Sortie(sid, drones[d], net.sites[site], t0, end, p.alt_m, visits, plan_name)
            )
        limits = {svc.id: svc.limit_s / 60.0 for svc in net.areas}
        schedule = Schedule(
            p.district.name, p.start, self.H, drones, tuple(sorties), limits, self.seed
        )
        return PatrolPlan(schedule, routes)
