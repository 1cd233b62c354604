"""Altitude layers: which layer each sortie flies, so sorties whose slots overlap are apart.

Layers sit from a floor up, a spacing apart, a margin under the ceiling; a sortie's RTL altitude is
its own layer, so two drones coming home never climb into each other.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mission.errors import PlanError
from mission.flight_model import POSITIONAL, haversine_m
from mission.limits import CEILING_M, LAYER_MARGIN_M, LAYER_SPACING_M, PATROL_ALT_M
from mission.model import Cmd, Frame, Mission
from mission.text import N_, Msg

__all__ = ["LayerPolicy", "assign_layers", "with_layer"]


@dataclass(frozen=True)
class LayerPolicy:
    """Where layers may be: from ``floor_m`` up, ``spacing_m`` apart, ``margin_m`` under the ceiling.

    The margin keeps the top layer clear of FENCE_ALT_MAX (= the ceiling), which ArduPilot
    enforces with its own FENCE_MARGIN; a drone cruising exactly at the fence would breach it on
    the first gust.
    """

    floor_m: float = PATROL_ALT_M
    ceiling_m: float = CEILING_M
    spacing_m: float = LAYER_SPACING_M
    margin_m: float = LAYER_MARGIN_M

    def altitudes(self) -> list[float]:
        top = self.ceiling_m - self.margin_m
        if self.spacing_m <= 0 or top < self.floor_m:
            return []
        n = int(math.floor((top - self.floor_m) / self.spacing_m + 1e-9)) + 1
        return [self.floor_m + k * self.spacing_m for k in range(n)]


def assign_layers(
    windows: Iterable[tuple[str, float, float]],
    policy: LayerPolicy = LayerPolicy(),
    *,
    rng: random.Random | None = None,
    caps: Mapping[str, float] | None = None,
    highest: bool = False,
) -> dict[str, float]:
    """Altitude layer per sortie id, distinct for sorties whose ``[start, end)`` slots overlap.

    Greedy colouring in start order is optimal for intervals, so a refusal means the ceiling
    really is too low for that many drones at once. With ``rng``, each sortie takes a random free
    layer instead of the lowest (used to look for another layering when one fails the check).
    ``caps`` bounds a sortie's layer (higher layers cost climb and descent time its battery may
    not have); ``highest`` takes the highest free layer under the cap instead of the lowest,
    which keeps low layers free for later sorties with little battery to spare.
    """
    layers = policy.altitudes()
    slots = sorted(windows, key=lambda w: (w[1], w[2], w[0]))
    busy: list[tuple[float, float]] = []  # (end, layer) of sorties still flying
    out: dict[str, float] = {}
    for sid, start, end in slots:
        busy = [(e, alt) for e, alt in busy if e > start]
        taken = {alt for _, alt in busy}
        cap = (caps or {}).get(sid, math.inf)
        free = [alt for alt in layers if alt not in taken and alt <= cap + 1e-9]
        if not free and any(alt not in taken for alt in layers):
            raise PlanError(
                N_(
                    "cannot separate sortie {sid} at t={start:.0f} s: every free layer is above "
                    "{cap:g} m, the highest its battery allows (climb and descent take longer than "
                    "the endurance less reserve); shorten its route or fly fewer drones at once",
                    sid=sid,
                    start=start,
                    cap=cap,
                )
            )
        if not free:
            raise PlanError(_too_many(sid, start, busy, layers, policy))
        alt = rng.choice(free) if rng is not None else free[-1] if highest else free[0]
        out[sid] = alt
        busy.append((end, alt))
    return out


def _too_many(sid: str, start: float, busy, layers: list[float], policy: LayerPolicy) -> Msg:
    return N_(
        "cannot separate sortie {sid} at t={start:.0f} s: {n_flying} sorties fly at once "
        "but only {n_layers} altitude layers {spacing_m:g} m apart fit between "
        "{floor_m:g} m and {top_m:g} m (ceiling {ceiling_m:g} m less {margin_m:g} m margin); "
        "fly fewer drones at once, or lower the layer floor",
        sid=sid,
        start=start,
        n_flying=len(busy) + 1,
        n_layers=len(layers),
        spacing_m=policy.spacing_m,
        floor_m=policy.floor_m,
        top_m=policy.ceiling_m - policy.margin_m,
        ceiling_m=policy.ceiling_m,
        margin_m=policy.margin_m,
    )


def with_layer(mission: Mission, alt_m: float) -> Mission:
    """The mission flown at one altitude: take-off and every positioned item except LAND.

    RTL must bring the drone back to its own launch site along its own layer, as the separation
    check assumes; ArduPilot returns to the closest rally point, so only the rally point at the
    mission's home is kept (the closest one to home when none is there), at the layer altitude.
    """
    items = tuple(
        dataclasses.replace(it, alt=alt_m, frame=Frame.GLOBAL_RELATIVE_ALT)
        if it.command in POSITIONAL and it.command != Cmd.NAV_LAND
        else it
        for it in mission.items
    )
    rally = mission.rally
    home = mission.home
    if rally and home is not None and (home.lat or home.lon):
        nearest = min(rally, key=lambda r: haversine_m(r.lat, r.lon, home.lat, home.lon))
        rally = (nearest,)
    rally = tuple(dataclasses.replace(r, alt=alt_m) for r in rally)
    return dataclasses.replace(mission, items=items, rally=rally)
