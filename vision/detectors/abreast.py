"""Vehicles driving abreast, boxed as one mover, told apart across their motion.

Two cars side by side in adjacent lanes move with the same displacement, and their change joins
through the shadow or the few pixels between them: ``motion_support.moved_parts`` keeps them as
one part, and one box spans both, matching neither. On the real RGB set (aerial-cars) this was
the most common way a moving vehicle touched by a detection went unflagged: five such boxes held
10 of the 25 movers that a detection touched but did not match.

No road vehicle is wider than ``size_class.WIDEST_VEHICLE_M`` (2.6 m), and vehicles drive along
their length. So, with a height, a vehicle-sized mover whose pixels run more than ``abreast_m``
across its displacement is more than one vehicle (or one with its shadow beside it). It is cut
at the emptiest line across the motion that leaves a vehicle's width on either side, but only
when both sides are vehicle-sized themselves; a side that is mostly shadow (darker ground of the
same colour, ``shadows.shadow_like``) is dropped. Each side is judged again, up to three
abreast. A bus or a truck is long along its motion, never wide across it, so it is never cut.
"""

from __future__ import annotations

import math

import numpy as np

from vision.detectors.motion_support import Part
from vision.detectors.size_class import VEHICLE, size_class

__all__ = ["SHADOW_SHARE", "split_abreast"]

SHADOW_SHARE = 0.5  # a side with at least this share of shadow-like pixels is a shadow
_MAX_CUTS = 2  # three abreast at most: a four-lane carriageway one way


def split_abreast(
    part: Part,
    shift: tuple[float, float],
    gsd_m: float,
    *,
    abreast_m: float,
    min_width_m: float,
    min_length_m: float,
    shade: np.ndarray | None = None,
) -> list[Part]:
    """``part`` cut across its motion ``shift`` (work px) into the vehicles driving abreast in
    it. ``shade``: the frame's shadow-like pixels (uint8, work px), or None. ``[part]`` when it
    is one vehicle wide, or without a usable scale or displacement."""
    d = math.hypot(*shift)
    if not (math.isfinite(d) and d > 0 and math.isfinite(gsd_m) and gsd_m > 0):
        return [part]
    across = (-shift[1] / d, shift[0] / d)

    def vehicle(p: Part) -> bool:
        return size_class(p.mask, gsd_m, min_width_m, min_length_m) == VEHICLE

    def shadow(p: Part) -> bool:
        if shade is None:
            return False
        x, y, w, h = p.box
        return float(np.mean(shade[y : y + h, x : x + w][p.mask > 0] > 0)) >= SHADOW_SHARE

    def cut(p: Part, cuts: int) -> list[Part]:
        ys, xs = np.nonzero(p.mask)
        v = np.floor(xs * across[0] + ys * across[1]).astype(int)
        v -= v.min()
        span, min_w = int(v.max()) + 1, max(1, round(min_width_m / gsd_m))
        if cuts == 0 or span * gsd_m <= abreast_m or span < 2 * min_w:
            return [p]
        counts = np.bincount(v, minlength=span)
        at = min_w + int(np.argmin(counts[min_w : span - min_w + 1]))  # the emptiest line
        sides = [_sub(p, xs[s], ys[s]) for s in (v < at, v >= at)]
        if not all(vehicle(s) for s in sides):
            return [p]
        kept = [s for s in sides if not shadow(s)]
        return [q for s in kept for q in cut(s, cuts - 1)] if kept else [p]

    return cut(part, _MAX_CUTS) if part.mask.any() else [part]


def _sub(part: Part, xs: np.ndarray, ys: np.ndarray) -> Part:
    """The pixels ``xs``, ``ys`` of ``part`` (in its box) as a part of their own."""
    x0, y0 = int(xs.min()), int(ys.min())
    w, h = int(xs.max()) + 1 - x0, int(ys.max()) + 1 - y0
    mask = np.zeros((h, w), np.uint8)
    mask[ys - y0, xs - x0] = 1
    return Part((part.box[0] + x0, part.box[1] + y0, w, h), mask)
