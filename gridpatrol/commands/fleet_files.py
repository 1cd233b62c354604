"""``plan check`` over several sorties: a ``schedule.json``, or mission files given as FILE@START.

Parsing the command line (``a.plan@0 b.plan@600`` or ISO start times) is the CLI's job; the check
itself is ``mission.deconflict`` (``check_schedule`` / ``check_missions``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from mission.deconflict import check_missions, check_schedule, schedule_missions
from mission.errors import PlanError
from mission.formats import read_mission
from mission.model import District
from mission.schedule import read_schedule
from mission.text import N_
from mission.trajectory import Speeds

__all__ = ["check_files", "file_starts", "start_offsets"]

MAX_START_S = 7 * 24 * 3600.0  # a NaN start was never compared, and passed as "separated"


def check_files(
    paths: Sequence[str | Path], *, speeds: Speeds, district: District | None = None
) -> list[str]:
    """One line per loss of separation among the sorties the files name; empty means separated."""
    if len(paths) == 1 and Path(paths[0]).suffix.lower() == ".json":
        schedule = read_schedule(paths[0])
        missions = schedule_missions(schedule, Path(paths[0]).parent)
        return check_schedule(schedule, missions, speeds=speeds, district=district)
    starts = file_starts(paths)
    offsets, epoch = start_offsets([start for _, start in starts])
    flown = [
        (path.stem, read_mission(path), s) for (path, _), s in zip(starts, offsets, strict=True)
    ]
    return check_missions(flown, speeds=speeds, district=district, epoch=epoch)


def file_starts(paths: Sequence[str | Path]) -> list[tuple[Path, str]]:
    """Each ``FILE@START`` split into the file and its start text; refuses one without ``@``."""
    starts: list[tuple[Path, str]] = []
    for raw in paths:
        name, sep, start = str(raw).rpartition("@")
        if not sep or not name:
            raise PlanError(
                N_(
                    "{raw}: give each mission its start time as FILE@START (seconds or ISO time), "
                    "for example a.plan@0 b.plan@600, or check a schedule.json",
                    raw=raw,
                )
            )
        starts.append((Path(name), start))
    return starts


def start_offsets(starts: Sequence[str]) -> tuple[list[float], datetime | None]:
    """Start texts as seconds from the first: all plain seconds (no epoch), or all ISO times
    (seconds from the earliest, which is returned as the epoch for the report's clock times)."""
    try:
        seconds = [float(s) for s in starts]
    except ValueError:
        pass
    else:
        if not all(abs(x) <= MAX_START_S for x in seconds):
            raise PlanError(
                N_(
                    "start times {starts} must be finite seconds, at most {most:g} from 0 (a week); "
                    "write them as a.plan@0 b.plan@600",
                    starts=", ".join(starts),
                    most=MAX_START_S,
                )
            )
        return seconds, None
    try:
        times = [datetime.fromisoformat(s) for s in starts]
        epoch = min(times)
        return [(t - epoch).total_seconds() for t in times], epoch
    except (ValueError, TypeError):
        raise PlanError(
            N_(
                "start times {starts} are neither all seconds nor all ISO 8601 times (with the "
                "same time zone); write them as a.plan@0 or a.plan@2026-11-28T08:00",
                starts=", ".join(starts),
            )
        ) from None
