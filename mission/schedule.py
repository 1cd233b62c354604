"""A patrol schedule: who flies when, from where, at what altitude, visiting which areas.

Times are seconds from the horizon start (``start_s``/``end_s``, ``eta_s``), with ISO 8601 copies
for people. Each sortie keeps its own altitude (``alt_m``) and an optional RTL altitude, so
altitude-layer deconfliction can be applied on top without re-planning.

``schedule.json`` is written with sorted keys and fixed rounding (0.1 s, 0.01 bits), so the same
plan always gives the same bytes.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from mission.errors import FormatError
from mission.text import N_

__all__ = [
    "Visit",
    "Sortie",
    "Schedule",
    "AreaStats",
    "area_stats",
    "revisit_gaps",
    "visit_times",
    "return_time_entropy",
    "pooled_return_entropy",
    "write_schedule",
    "read_schedule",
    "BIN_S",
]

BIN_S = 300.0  # return-time entropy is measured over 5-minute bins


@dataclass(frozen=True)
class Visit:
    area: str
    eta_s: float


@dataclass(frozen=True)
class Sortie:
    id: str
    drone: str
    launch_site: str
    start_s: float
    end_s: float
    alt_m: float
    visits: tuple[Visit, ...]
    plan: str
    rtl_alt_m: float | None = None


@dataclass(frozen=True)
class Schedule:
    district: str
    start: datetime
    horizon_s: float
    drones: tuple[str, ...]
    sorties: tuple[Sortie, ...]
    limits_min: dict[str, float] = field(default_factory=dict)
    seed: int | None = None

    def at(self, seconds: float) -> str:
        return (self.start + timedelta(seconds=round(seconds))).isoformat(timespec="seconds")


@dataclass(frozen=True)
class AreaStats:
    area: str
    limit_min: float
    visits: int
    worst_min: float
    mean_min: float
    entropy_bits: float


def visit_times(schedule: Schedule) -> dict[str, list[float]]:
    """Each area's planned visit times (schedule seconds), sorted."""
    times: dict[str, list[float]] = {}
    for s in schedule.sorties:
        for v in s.visits:
            times.setdefault(v.area, []).append(v.eta_s)
    return {area: sorted(t) for area, t in times.items()}


def revisit_gaps(schedule: Schedule, area: str) -> list[float]:
    """Gaps between visits, counting the horizon start and end as bounds (the guarantee)."""
    marks = [0.0, *visit_times(schedule).get(area, []), schedule.horizon_s]
    return [b - a for a, b in zip(marks, marks[1:], strict=False)]


def _entropy_bits(bins: list[int]) -> float:
    """Shannon entropy (bits) of the distribution of ``bins``; 0 for none."""
    counts = Counter(bins)
    n = len(bins)
    return -sum(c / n * math.log2(c / n) for c in counts.values()) + 0.0


def return_time_entropy(times: list[float]) -> float:
    """Shannon entropy (bits) of the times between consecutive visits, in 5-minute bins."""
    times = sorted(times)
    return _entropy_bits([int((b - a) // BIN_S) for a, b in zip(times, times[1:], strict=False)])


def pooled_return_entropy(
    times_by_area: Mapping[str, Sequence[float]], limits_min: Mapping[str, float]
) -> float:
    """Shannon entropy (bits) of every area's gaps between visits as a share of its revisit
    limit, in tenths (a gap at or over the limit in the last bin), pooled over the areas.

    How unpredictable a return is within its guarantee. One area's ``return_time_entropy`` over a
    2-hour day rests on 1 to 5 gaps, so it is mostly noise; pooled, the measure rests on tens."""
    shares = []
    for area, limit in limits_min.items():
        times = sorted(times_by_area.get(area, ()))
        if limit > 0:
            shares += [(b - a) / (limit * 60.0) for a, b in zip(times, times[1:], strict=False)]
    return _entropy_bits([min(10, int(share * 10)) for share in shares])


def area_stats(schedule: Schedule) -> list[AreaStats]:
    out = []
    by_area = visit_times(schedule)
    for area, limit in sorted(schedule.limits_min.items()):
        times = by_area.get(area, [])
        gaps = revisit_gaps(schedule, area)
        inner = [b - a for a, b in zip(times, times[1:], strict=False)]
        out.append(
            AreaStats(
                area,
                limit,
                len(times),
                max(gaps) / 60.0,
                (sum(inner) / len(inner) / 60.0) if inner else math.nan,
                return_time_entropy(times),
            )
        )
    return out


def _r(x: float) -> float:
    return round(float(x), 1)


def schedule_json(s: Schedule) -> dict:
    return {
        "format": "gridpatrol-schedule",
        "version": 1,
        "district": s.district,
        "start": s.start.isoformat(timespec="seconds"),
        "end": s.at(s.horizon_s),
        "horizon_s": _r(s.horizon_s),
        "drones": list(s.drones),
        "seed": s.seed,
        "sorties": [
            {
                "id": o.id,
                "drone": o.drone,
                "launch_site": o.launch_site,
                "start_s": _r(o.start_s),
                "end_s": _r(o.end_s),
                "start": s.at(o.start_s),
                "end": s.at(o.end_s),
                "alt_m": _r(o.alt_m),
                "rtl_alt_m": None if o.rtl_alt_m is None else _r(o.rtl_alt_m),
                "plan": o.plan,
                "visits": [
                    {"area": v.area, "eta_s": _r(v.eta_s), "eta": s.at(v.eta_s)} for v in o.visits
                ],
            }
            for o in s.sorties
        ],
        "areas": [
            {
                "id": a.area,
                "revisit_minutes": a.limit_min,
                "visits": a.visits,
                "worst_revisit_min": _r(a.worst_min),
                "mean_revisit_min": None if math.isnan(a.mean_min) else _r(a.mean_min),
                "entropy_bits": round(a.entropy_bits, 2),
            }
            for a in area_stats(s)
        ],
    }


def write_schedule(schedule: Schedule, path: str | Path) -> None:
    text = json.dumps(schedule_json(schedule), sort_keys=True, indent=2, ensure_ascii=False)
    try:
        Path(path).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise FormatError(
            N_("{path}: cannot write the schedule ({exc}); check the folder", path=path, exc=exc)
        ) from None


def read_schedule(path: str | Path) -> Schedule:
    path = Path(path)
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        sorties = tuple(
            Sortie(
                o["id"],
                o["drone"],
                o["launch_site"],
                float(o["start_s"]),
                float(o["end_s"]),
                float(o["alt_m"]),
                tuple(Visit(v["area"], float(v["eta_s"])) for v in o["visits"]),
                o["plan"],
                None if o.get("rtl_alt_m") is None else float(o["rtl_alt_m"]),
            )
            for o in d["sorties"]
        )
        return Schedule(
            d["district"],
            datetime.fromisoformat(d["start"]),
            float(d["horizon_s"]),
            tuple(d["drones"]),
            sorties,
            {a["id"]: float(a["revisit_minutes"]) for a in d.get("areas", [])},
            d.get("seed"),
        )
    except FileNotFoundError:
        raise FormatError(N_("{path}: no such file; check the path", path=path)) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FormatError(
            N_(
                "{name}: not a gridpatrol schedule ({exc}); write it with gridpatrol plan patrol",
                name=path.name,
                exc=exc,
            )
        ) from None
