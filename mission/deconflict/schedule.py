"""The separation check and the layering over a whole schedule (or missions flown together).

``layer_schedule`` puts every sortie of a planned schedule on its layer, holds departures where
needed, and refuses in one line when the holds would break an area's revisit limit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from mission.deconflict.conflicts import Flight, check_separation
from mission.deconflict.layers import LayerPolicy, with_layer
from mission.deconflict.search import separate
from mission.errors import MissionError, PlanError
from mission.flight_model import FlightModel
from mission.geo import LocalFrame
from mission.limits import CEILING_M, LAYER_MARGIN_M, LAYER_SPACING_M
from mission.model import District, Mission
from mission.schedule import Schedule, revisit_gaps
from mission.sortie import mission_layer_m
from mission.text import N_
from mission.trajectory import Speeds

__all__ = [
    "schedule_flights",
    "schedule_missions",
    "check_schedule",
    "check_missions",
    "layer_schedule",
]


def _frame(district: District | None, missions: Iterable[Mission]) -> LocalFrame:
    if district is not None:
        return district.frame
    for m in missions:
        for it in (m.home, *m.items):
            if it is not None and (it.lat or it.lon):
                return LocalFrame.around(it.lon, it.lat)
    raise PlanError(N_("no sortie has a position; give the missions a home or waypoints"))


def schedule_flights(
    schedule: Schedule, missions: Mapping[str, Mission], district: District | None = None
) -> list[Flight]:
    """The schedule's sorties as flights; ``missions`` maps sortie id to its mission."""
    out = []
    for s in schedule.sorties:
        if s.id not in missions:
            raise PlanError(
                N_(
                    "sortie {id} has no mission ({plan}); write the schedule again",
                    id=s.id,
                    plan=s.plan,
                )
            )
        launch = None
        if district is not None:
            site = next((x for x in district.launch_sites if x.id == s.launch_site), None)
            launch = (site.position.x, site.position.y) if site is not None else None
        out.append(Flight(s.id, missions[s.id], s.start_s, launch, s.rtl_alt_m, s.end_s))
    return out


def schedule_missions(schedule: Schedule, folder: Path) -> dict[str, Mission]:
    """Each sortie's mission, read from the plan file named in the schedule (relative to it)."""
    from mission.formats import read_mission

    return {s.id: read_mission(Path(folder) / s.plan) for s in schedule.sorties}


def check_schedule(
    schedule: Schedule,
    missions: Mapping[str, Mission],
    *,
    speeds: Speeds,
    district: District | None = None,
) -> list[str]:
    """The separation check over a whole schedule; lines carry ISO times from its start."""
    frame = _frame(district, missions.values())
    flights = schedule_flights(schedule, missions, district)
    return check_separation(flights, speeds=speeds, frame=frame, district=district,
                            epoch=schedule.start)  # fmt: skip


def layer_schedule(
    schedule: Schedule,
    missions: Mapping[str, Mission],
    *,
    speeds: FlightModel,
    district: District | None = None,
    ceiling_m: float = CEILING_M,
    spacing_m: float = LAYER_SPACING_M,
    margin_m: float = LAYER_MARGIN_M,
    floor_m: float | None = None,
    max_hold_s: float = 120.0,
    seed: int = 0,
) -> tuple[Schedule, dict[str, Mission]]:
    """The schedule with every sortie on its layer (``alt_m`` = ``rtl_alt_m``), and the missions
    rewritten to fly it; refuses in one line (``PlanError``) when no layering is separated.

    The lowest layer is the planner's own altitude (the lowest ``alt_m``) unless ``floor_m``
    says otherwise. No sortie is lifted to a layer whose extra climb and descent would take it
    past the endurance less reserve. A departure held on the ground to clear its launch site
    shifts the sortie and its visits; a hold that would break an area's revisit limit is
    refused, never flown.
    """
    if not schedule.sorties:
        return schedule, dict(missions)
    floor = floor_m if floor_m is not None else min(s.alt_m for s in schedule.sorties)
    policy = LayerPolicy(floor, ceiling_m, spacing_m, margin_m)
    frame = _frame(district, missions.values())
    caps = {s.id: _endurance_cap(missions[s.id], speeds, policy) for s in schedule.sorties}
    flights = separate(schedule_flights(schedule, missions, district), speeds=speeds,
                       frame=frame, policy=policy, seed=seed, max_hold_s=max_hold_s,
                       caps=caps)  # fmt: skip
    by_id = {f.id: f for f in flights}
    sorties = []
    for s in schedule.sorties:
        f = by_id[s.id]
        hold = f.start_s - s.start_s
        sorties.append(
            dataclasses.replace(
                s,
                alt_m=float(f.rtl_alt_m),
                rtl_alt_m=float(f.rtl_alt_m),
                start_s=f.start_s,
                end_s=s.end_s + hold,
                visits=tuple(dataclasses.replace(v, eta_s=v.eta_s + hold) for v in s.visits),
            )
        )
    layered = dataclasses.replace(schedule, sorties=tuple(sorties))
    _require_revisits(layered, schedule)
    return layered, {f.id: f.mission for f in flights}


def _endurance_cap(mission: Mission, fm: FlightModel, policy: LayerPolicy) -> float:
    """The highest layer at which the mission still fits the battery (the floor at least: a
    mission too long even there is the planner's to refuse)."""
    cap = policy.floor_m
    for alt in policy.altitudes():
        if fm.mission_time_s(with_layer(mission, alt)) > fm.usable_s + 1e-6:
            break
        cap = alt
    return cap


def _require_revisits(layered: Schedule, planned: Schedule) -> None:
    """Ground holds must not stretch a revisit gap past its limit (unless the plan already did)."""
    for area, limit_min in layered.limits_min.items():
        before = max(revisit_gaps(planned, area), default=0.0)
        after = max(revisit_gaps(layered, area), default=0.0)
        if after > max(limit_min * 60.0, before) + 1e-6:
            raise PlanError(
                N_(
                    "holding departures to clear the launch sites stretches the revisits of {area} "
                    "to {after:.1f} min, over its {limit_min:g} min limit; plan again with another "
                    "seed or fewer drones",
                    area=area,
                    after=after / 60,
                    limit_min=limit_min,
                )
            )


def check_missions(
    missions: Sequence[tuple[str, Mission, float]],
    *,
    speeds: Speeds,
    district: District | None = None,
    epoch: datetime | None = None,
) -> list[str]:
    """The separation check over missions flown together, each ``(id, mission, start_s)``; a
    mission's RTL altitude is its own layer when it has one. One line per loss of separation."""
    flights = [Flight(sid, m, start_s, rtl_alt_m=_layer_or_none(m)) for sid, m, start_s in missions]
    frame = _frame(district, [f.mission for f in flights])
    return check_separation(flights, speeds=speeds, frame=frame, district=district, epoch=epoch)


def _layer_or_none(mission: Mission) -> float | None:
    try:
        return mission_layer_m(mission)
    except MissionError:
        return None
