"""Altitude layers for new sorties around traffic that must stay as it is.

A re-plan (or a check task) adds sorties while others are already in the air or were promised to
the runner. Those keep their layer and start time; each new sortie, in start order, takes the
lowest layer (under the ceiling, within its battery) that no overlapping sortie uses AND that the
exact separation check (``mission.deconflict``) passes against every overlapping one. When no
layer passes, its departure is held on the ground 15 s at a time, up to ``max_hold_s``, as a
tower would; a sortie that still cannot be separated is returned as refused, never flown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from mission.deconflict import Flight, LayerPolicy, find_conflicts, trajectories, with_layer
from mission.flight_model import FlightModel
from mission.limits import LAYER_MARGIN_M, LAYER_SPACING_M
from mission.model import District, Mission
from mission.schedule import Sortie
from mission.trajectory import Trajectory

__all__ = ["layer_around", "layer_of"]

HOLD_STEP_S = 15.0


def layer_of(sortie: Sortie) -> float:
    """The layer a sortie flies (and returns) at."""
    return sortie.rtl_alt_m if sortie.rtl_alt_m is not None else sortie.alt_m


def layer_around(
    new: Sequence[tuple[Sortie, Mission]],
    traffic: Sequence[tuple[Sortie, Mission]],
    *,
    district: District,
    flight_model: FlightModel,
    alt_m: float,
    ceiling_m: float,
    max_hold_s: float = 120.0,
) -> tuple[list[tuple[Sortie, Mission]], list[str]]:
    """The new sorties on their layers (held where needed), and the ids of those refused.

    ``traffic`` is never changed: its sorties keep their layer and start time.
    """
    policy = LayerPolicy(alt_m, ceiling_m, LAYER_SPACING_M, LAYER_MARGIN_M)
    altitudes = policy.altitudes() or [alt_m]
    placed = [(layer_of(s), _path(_flight(s, m, district), district, flight_model))
              for s, m in traffic]  # fmt: skip
    out: list[tuple[Sortie, Mission]] = []
    refused: list[str] = []
    for sortie, mission in sorted(new, key=lambda sm: (sm[0].start_s, sm[0].id)):
        candidates = [(alt, with_layer(mission, alt)) for alt in altitudes]
        layers = [
            (alt, m)
            for alt, m in candidates
            if flight_model.mission_time_s(m) <= flight_model.usable_s
        ]
        found = _place(sortie, layers, placed, district, flight_model, max_hold_s)
        if found is None:
            refused.append(sortie.id)
            continue
        layered, path = found
        placed.append((layer_of(layered[0]), path))
        out.append(layered)
    return out, refused


def _place(sortie, layers, placed, district, fm, max_hold_s):
    hold = 0.0
    while hold <= max_hold_s + 1e-9:
        for alt, mission in layers:
            moved = dataclasses.replace(
                sortie,
                start_s=sortie.start_s + hold,
                end_s=sortie.end_s + hold,
                alt_m=alt,
                rtl_alt_m=alt,
                visits=tuple(dataclasses.replace(v, eta_s=v.eta_s + hold) for v in sortie.visits),
            )
            path = _path(_flight(moved, mission, district), district, fm)
            near = [(a, p) for a, p in placed if p.start_s < path.end_s and p.end_s > path.start_s]
            if any(abs(a - alt) < 1e-6 for a, _ in near):
                continue
            clash = [
                c for c in find_conflicts([path, *(p for _, p in near)]) if sortie.id in (c.a, c.b)
            ]
            if not clash:
                return (moved, mission), path
        hold += HOLD_STEP_S
    return None


def _flight(sortie: Sortie, mission: Mission, district: District) -> Flight:
    """The sortie's flight from its mission's home (where a diverted one starts, in the air),
    else from its launch site."""
    site = next((x for x in district.launch_sites if x.id == sortie.launch_site), None)
    homed = mission.home is not None and bool(mission.home.lat or mission.home.lon)
    launch = (site.position.x, site.position.y) if site is not None and not homed else None
    return Flight(sortie.id, mission, sortie.start_s, launch, layer_of(sortie), sortie.end_s)


def _path(flight: Flight, district: District, fm: FlightModel) -> Trajectory:
    return trajectories([flight], speeds=fm, frame=district.frame)[0]
