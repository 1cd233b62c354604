"""The loss-of-separation check: fly every pair of concurrent sorties and report where they meet.

Each sortie is flown under the flight model (``mission.trajectory``); every moment two are closer
than 30 m horizontally AND 10 m vertically is a conflict. Between trajectory vertices both drones
move in straight lines, so each interval is solved exactly (a quadratic for the horizontal
distance, a line for the vertical); nothing slips between samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from mission.geo import LocalFrame
from mission.model import District, Mission
from mission.text import N_, Msg
from mission.trajectory import Speeds, Trajectory, trajectory

__all__ = [
    "HORIZONTAL_M",
    "VERTICAL_M",
    "Flight",
    "Conflict",
    "trajectories",
    "find_conflicts",
    "describe",
    "check_separation",
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
) -> Msg:
    """One line an operator can act on: which sorties, when, how close, where."""
    lon, lat = frame.to_lonlat(conflict.x, conflict.y)
    when = N_("t={t_s:.0f} s", t_s=conflict.t_s)
    if epoch is not None:
        stamp = epoch + timedelta(seconds=conflict.t_s)
        when = N_("{stamp} ({when})", stamp=stamp.isoformat(timespec="seconds"), when=when)
    where = f"{float(lat):.5f}N {float(lon):.5f}E"
    if district is not None and district.cells:
        from mission.district import CellIndex

        cell = int(CellIndex(district).lookup_xy(conflict.x, conflict.y)[0])
        if cell:
            where = N_("{where}, cell {cell}", where=where, cell=cell)
        else:
            where = N_("{where}, outside every cell", where=where)
    return N_(
        "sorties {a} and {b} lose separation at {when} for {duration_s:.0f} s: "
        "{horizontal_m:.0f} m apart horizontally and {vertical_m:.0f} m vertically at {where}",
        a=conflict.a,
        b=conflict.b,
        when=when,
        duration_s=conflict.duration_s,
        horizontal_m=conflict.horizontal_m,
        vertical_m=conflict.vertical_m,
        where=where,
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
