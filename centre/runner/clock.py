"""The schedule clock: which second of the schedule it is now, and when a second of it comes.

A schedule's times are seconds from its start. The clock is anchored once (``anchor_wall``, the
epoch second at which schedule time was ``anchor_s``) and runs ``rate`` times faster than the wall
clock, so a SITL flying at speed-up 10 meets a schedule run at ``--clock-rate 10``. The anchor is
kept in the runner's state, so a restarted runner continues the same clock instead of shifting
the day again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from centre.runner.errors import RunnerError
from mission.schedule import Schedule

__all__ = ["ScheduleClock"]

MAX_RATE = 1000.0


@dataclass(frozen=True)
class ScheduleClock:
    """Schedule seconds from wall seconds and back; frozen, so the anchor is never moved."""

    anchor_wall: float
    anchor_s: float
    rate: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate) and 0 < self.rate <= MAX_RATE):
            raise RunnerError(f"--clock-rate must be above 0 and at most {MAX_RATE:g}")
        if not (math.isfinite(self.anchor_wall) and math.isfinite(self.anchor_s)):
            raise RunnerError("the schedule clock's anchor is not a finite time; use a new --state")

    @classmethod
    def for_schedule(
        cls, schedule: Schedule, wall_now: float, *, start_now: bool, rate: float
    ) -> ScheduleClock:
        """``start_now``: the first sortie is due now; else the schedule's own start is real."""
        if start_now:
            first = min((s.start_s for s in schedule.sorties), default=0.0)
            return cls(wall_now, first, rate)
        return cls(schedule.start.timestamp(), 0.0, rate)

    def now_s(self, wall: float) -> float:
        """The schedule second at wall time ``wall``."""
        return self.anchor_s + (wall - self.anchor_wall) * self.rate

    def wall_at(self, schedule_s: float) -> float:
        """The wall time at which schedule second ``schedule_s`` comes."""
        return self.anchor_wall + (schedule_s - self.anchor_s) / self.rate
