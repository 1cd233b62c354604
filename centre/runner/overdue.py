"""Revisit limits as flown: an area whose limit has passed without a visit is said at once.

A re-plan announces the limits it cannot keep (``limit_at_risk``), but a limit can also slip as
flown: launches a little late, flights a few per cent slow, a check task taking the drone that
was on its way. The soak found one 5 minutes over with nothing said. So the runner keeps, per key
area, when a sortie last reported it reached (the schedule second it heard so); when the gap
since then passes the area's limit, one ``limit_missed`` event names the area, its limit and when
it was last seen, and a later visit makes it due again. After a restart the last visits are taken
from the store, dated at their planned time (``planning.last_visits``), as the re-plan does.
Gaps are counted only within the day's horizon.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence

from centre.runner.outbox import Outbox
from centre.runner.planning import last_visits
from centre.runner.store import SortieRecord
from mission.model import District
from mission.schedule import Schedule

__all__ = ["OverdueWatch"]


class OverdueWatch:
    """Last visit per limited area, fed from sortie states (any thread), checked by the loop."""

    def __init__(self, schedule: Schedule, outbox: Outbox, last: Mapping[str, float]):
        self.schedule = schedule
        self.outbox = outbox
        self.limits_s = {a: m * 60.0 for a, m in schedule.limits_min.items()}
        self.last = {a: float(last.get(a, 0.0)) for a in self.limits_s}
        self.said: set[str] = set()
        self.missed = 0
        self._seen: dict[str, set[str]] = {}  # sortie id -> areas already counted
        self._lock = threading.Lock()

    @classmethod
    def resumed(
        cls, schedule: Schedule, outbox: Outbox, district: District,
        records: Sequence[SortieRecord], now_s: float,
    ) -> OverdueWatch:  # fmt: skip
        """Seeded from the store: each area's last visit flown, dated at its planned time."""
        return cls(schedule, outbox, last_visits(records, district, now_s))

    def note(self, record: SortieRecord, now_s: float) -> None:
        """A sortie's state: areas it reports reached for the first time are seen now."""
        with self._lock:
            seen = self._seen.setdefault(record.id, set())
            for area in record.visited:
                if area not in seen:
                    seen.add(area)
                    self._seen_at(area, now_s)

    def reached(self, areas: Sequence[str], now_s: float) -> None:
        """A sortie reached an item lying in ``areas``: each is seen now. A sortie's states list
        an area once, however often it passes; a patrol planned over an area twice (at 60 and
        67 minutes in a soak) was taken as last seen at the first pass, so its limit would be
        said missed 7 minutes early."""
        with self._lock:
            for area in areas:
                self._seen_at(area, now_s)

    def _seen_at(self, area: str, now_s: float) -> None:
        """(Lock held.) A key area seen at ``now_s``: never moved back, and due again."""
        if area in self.last and self.last[area] < now_s:
            self.last[area] = now_s
            self.said.discard(area)

    def check(self, now_s: float) -> None:
        """One ``limit_missed`` event per area newly past its limit (within the horizon)."""
        at = min(now_s, self.schedule.horizon_s)
        with self._lock:  # the last visits as one snapshot: workers may note a visit meanwhile
            late = sorted((a, self.last[a]) for a, limit in self.limits_s.items()
                          if at - self.last[a] > limit and a not in self.said)  # fmt: skip
            self.said.update(a for a, _ in late)
        for area, last in late:
            self.missed += 1
            # rounded up: a gap just past its limit must never read as the limit itself
            gap_min = math.ceil((at - last) / 6.0) / 10.0
            limit_min = self.limits_s[area] / 60.0
            self.outbox.event(
                "limit_missed",
                f"area {area}: not visited for {gap_min:.1f} min, over its {limit_min:g} min "
                f"limit (last seen at {self.schedule.at(last)})",
                area=area, limit_min=limit_min, gap_min=gap_min,
            )  # fmt: skip
