"""What a patrol run is given (``RunnerConfig``) and what it reports at the end (``RunSummary``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from centre.runner.store import SortieRecord
from mission.flight_model import FlightModel
from mission.model import District

__all__ = ["RunnerConfig", "RunSummary"]


@dataclass(frozen=True)
class RunnerConfig:
    district: District
    flight_model: FlightModel
    ceiling_m: float
    check_alt_m: float = 40.0
    limit: int | None = None
    progress_every_s: float = 30.0


@dataclass
class RunSummary:
    """What this run did; ``ok`` only when every sortie it started ended landed (or diverted to
    a check sortie, which was started too)."""

    started: set[str] = field(default_factory=set)
    ended: dict[str, SortieRecord] = field(default_factory=dict)
    replans: int = 0
    replans_failed: int = 0  # re-plans refused by their own checks: the old plan stayed
    refused: int = 0
    missed: int = 0  # revisit limits passed as flown (``overdue``)

    @property
    def ok(self) -> bool:
        return all(self.ended.get(s) is not None
                   and self.ended[s].state in ("landed", "diverted") for s in self.started)  # fmt: skip
