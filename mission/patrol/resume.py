"""The randomised patrol planner, resumed mid-day from the state the fleet is really in.

The day planner starts every drone on the ground at the horizon start with every area just seen.
A re-plan starts at ``now`` from what happened: each area's last visit actually flown, when each
drone in service is free again, and the sorties that must stay as they are (in the air, or a
check task inserted). Their visits still to come count as visits, and a drone's promised sorties
are windows it cannot fly a patrol in. Areas may carry a relaxed planning limit (the ones the
fleet gives up when it cannot keep all), and an area already past saving gets a deadline at the
earliest moment a drone can be over it, so the look-ahead serves it first instead of giving up.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from dataclasses import dataclass

from mission.patrol.base import Network, PatrolProblem
from mission.patrol.randomized import MARGIN_S, _Attempt

__all__ = [
    "FleetState",
    "ResumedAttempt",
    "chained_deadline",
    "earliest_reach",
    "floor_deadlines",
    "with_limits",
]


@dataclass(frozen=True)
class FleetState:
    """Where the day stands, indexed like the network's areas and the drones in service."""

    now_s: float
    names: tuple[str, ...]
    site_of: tuple[int, ...]
    free_at: tuple[float, ...]
    windows: tuple[tuple[tuple[float, float], ...], ...]  # per drone, promised [start, end)
    last: tuple[float, ...]  # per area, last visit flown
    coming: tuple[tuple[float, ...], ...]  # per area, sorted visits still to come in fixed sorties
    first_id: int


def with_limits(net: Network, limits_s: Sequence[float]) -> Network:
    """The same network planned against other revisit limits (relaxed ones for areas let go)."""
    areas = tuple(
        dataclasses.replace(svc, limit_s=lim) for svc, lim in zip(net.areas, limits_s, strict=True)
    )
    return dataclasses.replace(net, areas=areas)


def chained_deadline(last: float, coming: Sequence[float], limit_s: float) -> float:
    """When the area is next due, counting visits still to come that arrive in time."""
    eff = last
    for t in coming:
        if t <= eff:
            continue
        if t > eff + limit_s:
            break
        eff = t
    return eff + limit_s


def earliest_reach(problem: PatrolProblem, net: Network, state: FleetState, a: int) -> float:
    """The first moment any drone in service can be over area ``a``."""
    fm = problem.flight_model
    climb = fm.takeoff_s(problem.alt_m)
    return min(
        state.free_at[k] + climb + net.time_s[state.site_of[k], net.entry(a)]
        for k in range(len(state.names))
    )


class ResumedAttempt(_Attempt):
    """One randomised pass from ``state.now_s`` to the horizon end."""

    def __init__(
        self,
        problem: PatrolProblem,
        net: Network,
        rng: random.Random,
        seed: int | None,
        state: FleetState,
        floors: Sequence[float],
        stagger: bool = True,
    ):
        super().__init__(problem, net, rng, seed, stagger)
        self.state, self.floors = state, tuple(floors)
        self.last = list(state.last)
        self.want = [self._wish(a, max(self.last[a], state.now_s)) for a in range(len(net.areas))]
        self.site_of = list(state.site_of)
        self.free_at = list(state.free_at)
        self.lands = [t - problem.flight_model.swap_s for t in state.free_at]
        self.names = state.names
        self.first_id = state.first_id

    def deadline(self, a: int) -> float:
        own = chained_deadline(self.last[a], self.state.coming[a], self.net.areas[a].limit_s)
        return max(own, self.floors[a])

    def _until(self, d: int, t0: float) -> float:
        end = super()._until(d, t0)
        for lo, hi in self.state.windows[d]:
            if lo <= t0 < hi:
                return t0  # inside a promised sortie (or its battery swap): no patrol now
            if t0 < lo:
                end = min(end, lo)
                break
        return end


def floor_deadlines(
    problem: PatrolProblem, net: Network, state: FleetState
) -> tuple[list[float], list[float]]:
    """Per area, the deadline floor (earliest reach plus margins when already past saving, else
    0) and the earliest reach itself."""
    floors, reach = [], []
    for a, svc in enumerate(net.areas):
        first = earliest_reach(problem, net, state, a)
        due = chained_deadline(state.last[a], state.coming[a], svc.limit_s)
        reach.append(first)
        floors.append(first + 2 * MARGIN_S if due < first + MARGIN_S else 0.0)
    return floors, reach
