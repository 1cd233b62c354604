"""Keeping concurrent sorties apart: altitude layers, and the loss-of-separation check.

Several drones patrol one dense district at once. Sorties whose time slots overlap fly at
different altitude layers (10 m apart by default, inside the ceiling), and each sortie's RTL
altitude is its own layer, so two drones coming home never climb into each other. Layers alone
are not proof: drones climb and descend through the other layers at take-off and landing. The
separation check therefore flies every pair of concurrent sorties under the flight model
(``mission.trajectory``) and reports every moment they are closer than 30 m horizontally AND
10 m vertically. Between trajectory vertices both drones move in straight lines, so each interval
is solved exactly (a quadratic for the horizontal distance, a line for the vertical); nothing
slips between samples.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from mission.errors import MissionError, PlanError
from mission.flight_model import POSITIONAL, FlightModel, haversine_m
from mission.geo import LocalFrame
from mission.model import Cmd, District, Frame, Mission
from mission.schedule import Schedule, revisit_gaps
from mission.sortie import mission_layer_m
from mission.trajectory import Speeds, Trajectory, trajectory

__all__ = [
    "Flight",
    "LayerPolicy",
    "Conflict",
    "assign_layers",
    "with_layer",
    "trajectories",
    "find_conflicts",
    "describe",
    "check_separation",
    "separate",
    "schedule_flights",
    "schedule_missions",
    "check_schedule",
    "layer_schedule",
    "check_files",
]

HORIZONTAL_M = 30.0
VERTICAL_M = 10.0
_EPS = 1e-9


@dataclass(frozen=True)
class Flight:
    """One sortie as the separation check sees it: a mission launched at ``start_s``.

    ``launch_xy`` is the launch site in district metres (default: the mission's home);
    ``rtl_alt_m`` the RTL_ALT the vehicle will be given; ``end_s`` the end of its slot, which
    bounds hovering at the end of missions that do not land.
    """

    id: str
    mission: Mission
    start_s: float
    launch_xy: tuple[float, float] | None = None
    rtl_alt_m: float | None = None
    end_s: float | None = None


@dataclass(frozen=True)
class LayerPolicy:
    """Where layers may be: from ``floor_m`` up, ``spacing_m`` apart, ``margin_m`` under the ceiling.

    The margin keeps the top layer clear of FENCE_ALT_MAX (= the ceiling), which ArduPilot
    enforces with its own FENCE_MARGIN; a drone cruising exactly at the fence would breach it on
    the first gust.
    """

    floor_m: float = 60.0
    ceiling_m: float = 120.0
    spacing_m: float = 10.0
    margin_m: float = 5.0

    def altitudes(self) -> list[float]:
        top = self.ceiling_m - self.margin_m
        if self.spacing_m <= 0 or top < self.floor_m:
            return []
        n = int(math.floor((top - self.floor_m) / self.spacing_m + 1e-9)) + 1
        return [self.floor_m + k * self.spacing_m for k in range(n)]


@dataclass(frozen=True)
class Conflict:
    """The worst moment of one loss of separation between two sorties."""

    a: str
    b: str
    t_s: float
    duration_s: float
    horizontal_m: float
    vertical_m: float
    x: float
    y: float


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
                f"cannot separate sortie {sid} at t={start:.0f} s: every free layer is above "
                f"{cap:g} m, the highest its battery allows (climb and descent take longer than "
                "the endurance less reserve); shorten its route or fly fewer drones at once"
            )
        if not free:
            raise PlanError(_too_many(sid, start, busy, layers, policy))
        alt = rng.choice(free) if rng is not None else free[-1] if highest else free[0]
        out[sid] = alt
        busy.append((end, alt))
    return out


def _too_many(sid: str, start: float, busy, layers: list[float], policy: LayerPolicy) -> str:
    return (
        f"cannot separate sortie {sid} at t={start:.0f} s: {len(busy) + 1} sorties fly at once "
        f"but only {len(layers)} altitude layers {policy.spacing_m:g} m apart fit between "
        f"{policy.floor_m:g} m and {policy.ceiling_m - policy.margin_m:g} m (ceiling "
        f"{policy.ceiling_m:g} m less {policy.margin_m:g} m margin); fly fewer drones at once, "
        "or lower the layer floor"
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


def trajectories(
    flights: Sequence[Flight], *, speeds: Speeds, frame: LocalFrame
) -> list[Trajectory]:
    return [
        trajectory(
            f.mission,
            id=f.id,
            start_s=f.start_s,
            speeds=speeds,
            frame=frame,
            launch_xy=f.launch_xy,
            rtl_alt_m=f.rtl_alt_m,
            hold_until_s=f.end_s,
        )
        for f in flights
    ]


def find_conflicts(
    paths: Sequence[Trajectory],
    *,
    horizontal_m: float = HORIZONTAL_M,
    vertical_m: float = VERTICAL_M,
    pair_cache: dict | None = None,
) -> list[Conflict]:
    """Every loss of separation between every pair of airborne paths, by time then sortie.

    Only pairs whose airborne times overlap are flown against each other. ``pair_cache`` keeps
    results per pair of path objects, for callers that re-check with most paths unchanged.
    """
    out: list[Conflict] = []
    ordered = sorted(paths, key=lambda p: p.start_s)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b.start_s >= a.end_s:
                break
            first, second = (a, b) if a.id <= b.id else (b, a)
            if pair_cache is None:
                out.extend(_pair_conflicts(first, second, horizontal_m, vertical_m))
                continue
            key = (id(first), id(second))
            if key not in pair_cache:
                pair_cache[key] = _pair_conflicts(first, second, horizontal_m, vertical_m)
            out.extend(pair_cache[key])
    return sorted(out, key=lambda c: (c.t_s, c.a, c.b))


def _pair_conflicts(a: Trajectory, b: Trajectory, hm: float, vm: float) -> list[Conflict]:
    t0, t1 = max(a.start_s, b.start_s), min(a.end_s, b.end_s)
    if t1 <= t0:
        return []
    inside = np.concatenate([a.t[(a.t > t0) & (a.t < t1)], b.t[(b.t > t0) & (b.t < t1)]])
    times = np.unique(np.concatenate([[t0, t1], inside]))
    pa, pb = a.at(times), b.at(times)
    r = pa - pb
    r0, dr = r[:-1], np.diff(r, axis=0)
    h_lo, h_hi = _inside_circle(r0[:, :2], dr[:, :2], hm)
    v_lo, v_hi = _inside_band(r0[:, 2], dr[:, 2], vm)
    lo, hi = np.maximum(h_lo, v_lo), np.minimum(h_hi, v_hi)
    hit = np.flatnonzero(hi - lo > _EPS)
    if hit.size == 0:
        return []
    dt = np.diff(times)
    episodes: list[list[int]] = []
    for k in hit:
        if episodes and episodes[-1][-1] == k - 1 and hi[k - 1] >= 1 - _EPS and lo[k] <= _EPS:
            episodes[-1].append(k)
        else:
            episodes.append([k])
    out = []
    for ks in episodes:
        ks_arr = np.array(ks)
        s_best = np.clip(_closest_s(r0[ks_arr, :2], dr[ks_arr, :2]), lo[ks_arr], hi[ks_arr])
        rel = r0[ks_arr] + dr[ks_arr] * s_best[:, None]
        dist = np.hypot(rel[:, 0], rel[:, 1])
        j = int(np.argmin(dist))
        k = ks[j]
        t = times[k] + s_best[j] * dt[k]
        mid = (a.at(t)[0] + b.at(t)[0]) / 2.0
        start = times[ks[0]] + lo[ks[0]] * dt[ks[0]]
        end = times[ks[-1]] + hi[ks[-1]] * dt[ks[-1]]
        out.append(
            Conflict(
                a.id,
                b.id,
                float(t),
                float(end - start),
                float(dist[j]),
                float(abs(rel[j, 2])),
                float(mid[0]),
                float(mid[1]),
            )
        )
    return out


def _inside_circle(r0: np.ndarray, d: np.ndarray, radius: float):
    """Per interval, the [lo, hi] fraction (within [0, 1]) where |r0 + s d| < radius."""
    a = np.einsum("ij,ij->i", d, d)
    b = 2.0 * np.einsum("ij,ij->i", r0, d)
    c = np.einsum("ij,ij->i", r0, r0) - radius * radius
    lo, hi = np.ones_like(a), np.zeros_like(a)
    flat = a < _EPS
    lo[flat & (c < 0)], hi[flat & (c < 0)] = 0.0, 1.0
    disc = b * b - 4.0 * a * c
    ok = ~flat & (disc > 0)
    root = np.sqrt(np.where(ok, disc, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        s1 = (-b - root) / (2.0 * a)
        s2 = (-b + root) / (2.0 * a)
    lo[ok], hi[ok] = np.maximum(s1[ok], 0.0), np.minimum(s2[ok], 1.0)
    return lo, hi


def _inside_band(z0: np.ndarray, dz: np.ndarray, half: float):
    """Per interval, the [lo, hi] fraction where |z0 + s dz| < half."""
    lo, hi = np.ones_like(z0), np.zeros_like(z0)
    flat = np.abs(dz) < _EPS
    lo[flat & (np.abs(z0) < half)], hi[flat & (np.abs(z0) < half)] = 0.0, 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        e1, e2 = (-half - z0) / dz, (half - z0) / dz
    moving = ~flat
    lo[moving] = np.maximum(np.minimum(e1, e2)[moving], 0.0)
    hi[moving] = np.minimum(np.maximum(e1, e2)[moving], 1.0)
    return lo, hi


def _closest_s(r0: np.ndarray, d: np.ndarray) -> np.ndarray:
    a = np.einsum("ij,ij->i", d, d)
    b = np.einsum("ij,ij->i", r0, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > _EPS, -b / a, 0.0)


def describe(
    conflict: Conflict,
    frame: LocalFrame,
    *,
    district: District | None = None,
    epoch: datetime | None = None,
) -> str:
    """One line an operator can act on: which sorties, when, how close, where."""
    lon, lat = frame.to_lonlat(conflict.x, conflict.y)
    when = f"t={conflict.t_s:.0f} s"
    if epoch is not None:
        stamp = epoch + timedelta(seconds=conflict.t_s)
        when = f"{stamp.isoformat(timespec='seconds')} ({when})"
    where = f"{float(lat):.5f}N {float(lon):.5f}E"
    if district is not None and district.cells:
        from mission.district import CellIndex

        cell = int(CellIndex(district).lookup_xy(conflict.x, conflict.y)[0])
        where += f", cell {cell}" if cell else ", outside every cell"
    return (
        f"sorties {conflict.a} and {conflict.b} lose separation at {when} for "
        f"{conflict.duration_s:.0f} s: {conflict.horizontal_m:.0f} m apart horizontally and "
        f"{conflict.vertical_m:.0f} m vertically at {where}"
    )


def check_separation(
    flights: Sequence[Flight],
    *,
    speeds: Speeds,
    frame: LocalFrame,
    district: District | None = None,
    epoch: datetime | None = None,
    horizontal_m: float = HORIZONTAL_M,
    vertical_m: float = VERTICAL_M,
) -> list[str]:
    """One line per loss of separation between concurrent sorties; empty means separated."""
    paths = trajectories(flights, speeds=speeds, frame=frame)
    conflicts = find_conflicts(paths, horizontal_m=horizontal_m, vertical_m=vertical_m)
    return [describe(c, frame, district=district, epoch=epoch) for c in conflicts]


def separate(
    flights: Sequence[Flight],
    *,
    speeds: Speeds,
    frame: LocalFrame,
    policy: LayerPolicy = LayerPolicy(),
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
    more = f" (and {len(first) - 1} more)" if len(first) > 1 else ""
    hold = f" even with {max_hold_s:g} s ground holds" if max_hold_s > 0 else ""
    raise PlanError(
        f"cannot separate the sorties inside the {policy.ceiling_m:g} m ceiling{hold}: "
        f"{describe(first[0], frame)}{more}; stagger their start times or use fewer drones"
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


def _frame(district: District | None, missions: Iterable[Mission]) -> LocalFrame:
    if district is not None:
        return district.frame
    for m in missions:
        for it in (m.home, *m.items):
            if it is not None and (it.lat or it.lon):
                return LocalFrame.around(it.lon, it.lat)
    raise PlanError("no sortie has a position; give the missions a home or waypoints")


def schedule_flights(
    schedule: Schedule, missions: Mapping[str, Mission], district: District | None = None
) -> list[Flight]:
    """The schedule's sorties as flights; ``missions`` maps sortie id to its mission."""
    out = []
    for s in schedule.sorties:
        if s.id not in missions:
            raise PlanError(f"sortie {s.id} has no mission ({s.plan}); write the schedule again")
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
    ceiling_m: float = 120.0,
    spacing_m: float = 10.0,
    margin_m: float = 5.0,
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
                f"holding departures to clear the launch sites stretches the revisits of {area} "
                f"to {after / 60:.1f} min, over its {limit_min:g} min limit; plan again with "
                "another seed or fewer drones"
            )


def check_files(
    paths: Sequence[str | Path],
    *,
    speeds: Speeds,
    district: District | None = None,
) -> list[str]:
    """The separation check for ``plan check``: one ``schedule.json`` (plans beside it), or
    several mission files flown together, each as ``FILE@START`` with START in seconds or as an
    ISO 8601 time. One line per loss of separation; empty means separated."""
    from mission.formats import read_mission
    from mission.schedule import read_schedule

    if len(paths) == 1 and Path(paths[0]).suffix.lower() == ".json":
        schedule = read_schedule(paths[0])
        missions = schedule_missions(schedule, Path(paths[0]).parent)
        return check_schedule(schedule, missions, speeds=speeds, district=district)
    starts: list[tuple[Path, str]] = []
    for raw in paths:
        name, sep, start = str(raw).rpartition("@")
        if not sep or not name:
            raise PlanError(
                f"{raw}: give each mission its start time as FILE@START (seconds or ISO time), "
                "for example a.plan@0 b.plan@600, or check a schedule.json"
            )
        starts.append((Path(name), start))
    offsets, epoch = _start_offsets([start for _, start in starts])
    flights = []
    for (path, _), start_s in zip(starts, offsets, strict=True):
        mission = read_mission(path)
        rtl = _layer_or_none(mission)
        flights.append(Flight(path.stem, mission, start_s, rtl_alt_m=rtl))
    frame = _frame(district, [f.mission for f in flights])
    return check_separation(flights, speeds=speeds, frame=frame, district=district, epoch=epoch)


def _start_offsets(starts: Sequence[str]) -> tuple[list[float], datetime | None]:
    try:
        return [float(s) for s in starts], None
    except ValueError:
        pass
    try:
        times = [datetime.fromisoformat(s) for s in starts]
        epoch = min(times)
        return [(t - epoch).total_seconds() for t in times], epoch
    except (ValueError, TypeError):
        raise PlanError(
            f"start times {', '.join(starts)} are neither all seconds nor all ISO 8601 times "
            "(with the same time zone); write them as a.plan@0 or a.plan@2026-11-28T08:00"
        ) from None


def _layer_or_none(mission: Mission) -> float | None:
    try:
        return mission_layer_m(mission)
    except MissionError:
        return None
