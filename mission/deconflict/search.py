"""Searching for a separated layering: try layerings, then hold departures, until the check passes.

Layers alone are not proof (drones climb through the other layers at take-off and landing), so
each candidate layering is flown and checked; results are cached by sortie, start and layer so
another attempt only re-flies what changed.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping, Sequence

from mission.deconflict.conflicts import Conflict, Flight, describe, find_conflicts, trajectories
from mission.deconflict.layers import LayerPolicy, assign_layers, with_layer
from mission.errors import PlanError
from mission.geo import LocalFrame
from mission.model import Mission
from mission.text import N_
from mission.trajectory import Speeds, Trajectory

__all__ = ["separate"]

_DEFAULT_POLICY = LayerPolicy()


def separate(
    flights: Sequence[Flight],
    *,
    speeds: Speeds,
    frame: LocalFrame,
    policy: LayerPolicy = _DEFAULT_POLICY,
    seed: int = 0,
    attempts: int = 8,
    max_hold_s: float = 0.0,
    hold_step_s: float = 15.0,
    caps: Mapping[str, float] | None = None,
) -> list[Flight]:
    """The flights at altitude layers that pass the separation check, or a one-line refusal.

    The lowest-free-layer colouring is tried first, then the highest-free (under each sortie's
    battery cap), then seeded random layerings. Layers cannot
    help two drones using one launch site within seconds of each other (one climbs through the
    other's descent), so with ``max_hold_s`` the later departure of a conflicting pair is held
    on the ground, ``hold_step_s`` at a time, as a tower would; ``Flight.start_s`` carries it.
    """
    current = list(flights)
    first: list[Conflict] = []
    space = _Airspace(speeds, frame)
    while True:
        layered, conflicts = _layerings(current, policy, seed, attempts, space, caps)
        if layered is not None:
            return layered
        first = first or conflicts
        c = conflicts[0]
        by_id = {f.id: f for f in current}
        later = max((by_id[c.a], by_id[c.b]), key=lambda f: (f.start_s, f.id))
        held = later.start_s + hold_step_s - next(f for f in flights if f.id == later.id).start_s
        if held > max_hold_s + 1e-9:
            break
        current = [
            dataclasses.replace(
                f,
                start_s=f.start_s + hold_step_s,
                end_s=None if f.end_s is None else f.end_s + hold_step_s,
            )
            if f.id == later.id
            else f
            for f in current
        ]
    more = N_(" (and {n} more)", n=len(first) - 1) if len(first) > 1 else ""
    hold = (
        N_(" even with {max_hold_s:g} s ground holds", max_hold_s=max_hold_s)
        if max_hold_s > 0
        else ""
    )
    raise PlanError(
        N_(
            "cannot separate the sorties inside the {ceiling_m:g} m ceiling{hold}: "
            "{conflict}{more}; stagger their start times or use fewer drones",
            ceiling_m=policy.ceiling_m,
            hold=hold,
            conflict=describe(first[0], frame),
            more=more,
        )
    )


class _Airspace:
    """Layered missions, trajectories and pair results, cached by sortie, start and layer, so
    trying another layering or holding one departure only re-flies what changed."""

    def __init__(self, speeds: Speeds, frame: LocalFrame):
        self.speeds, self.frame = speeds, frame
        self._missions: dict[tuple[str, float], Mission] = {}
        self._paths: dict[tuple, Trajectory] = {}
        self.pairs: dict = {}

    def layered(self, f: Flight, alt_m: float) -> Flight:
        key = (f.id, alt_m)
        if key not in self._missions:
            self._missions[key] = with_layer(f.mission, alt_m)
        return dataclasses.replace(f, mission=self._missions[key], rtl_alt_m=alt_m)

    def path(self, f: Flight) -> Trajectory:
        key = (f.id, f.start_s, f.end_s, f.rtl_alt_m, id(f.mission))
        if key not in self._paths:
            self._paths[key] = trajectories([f], speeds=self.speeds, frame=self.frame)[0]
        return self._paths[key]


def _layerings(flights, policy, seed, attempts, space: _Airspace, caps=None):
    """(layered flights, None) for the first layering that passes, else (None, conflicts)."""
    top = (policy.altitudes() or [policy.floor_m])[-1]
    windows = []
    for f in flights:
        end = space.path(space.layered(f, top)).end_s
        windows.append((f.id, f.start_s, max(end, f.end_s or end)))
    first: list[Conflict] = []
    refusal: PlanError | None = None
    for attempt in range(max(attempts, 2)):
        rng = None if attempt < 2 else random.Random(seed * 1_000_003 + attempt)
        try:
            layers = assign_layers(windows, policy, rng=rng, caps=caps, highest=attempt == 1)
        except PlanError as exc:
            refusal = refusal or exc
            continue
        layered = [space.layered(f, layers[f.id]) for f in flights]
        paths = [space.path(f) for f in layered]
        conflicts = find_conflicts(paths, pair_cache=space.pairs)
        if not conflicts:
            return layered, None
        first = first or conflicts
    if not first and refusal is not None:
        raise refusal
    return None, first
