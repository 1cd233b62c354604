"""The day the runner flies: ``schedule.json`` and the ``.plan`` beside it for each sortie."""

from __future__ import annotations

from pathlib import Path

from centre.runner.errors import RunnerError
from mission.formats import read_mission
from mission.model import Mission
from mission.schedule import Schedule, read_schedule
from mission.text import N_

__all__ = ["load_schedule"]


def load_schedule(path: Path, drones: set[str]) -> tuple[Schedule, dict[str, Mission]]:
    """The schedule and each sortie's mission (the ``.plan`` next to it); every drone it names
    must have a ``--vehicle``."""
    schedule = read_schedule(path)
    missing = sorted({s.drone for s in schedule.sorties} - drones)
    if missing:
        raise RunnerError(N_(
            "{schedule} flies {drones} but no --vehicle gives {plural_its} link; add --vehicle "
            "{first}=tcp:HOST:PORT", schedule=path.name, drones=", ".join(missing),
            plural_its="its" if len(missing) == 1 else "their", first=missing[0]))  # fmt: skip
    missions = {s.id: read_mission(path.parent / s.plan) for s in schedule.sorties}
    return schedule, missions
