"""Is a blob's motion the parallax of something standing still? (``[activity] parallax_max_ratio``)

After the ground homography, anything standing above the ground (a tree, a roof edge, a lamp
post) still moves, by a share of the ground's own apparent motion that grows with its height
and along the same axis. From two frames alone that cannot be told from a mover going along the
camera's motion, more slowly than the ground seems to move, so this test has a blind spot by
design: it is off by default. It is for cameras that drift or travel slowly while looking at an
angle, where relief is most of the false alerts: on Kitware's MEVA UAV montage it halves them
(README, "Real oblique footage"). Over a nadir camera that holds still the ground barely moves
and nothing is refused; from a drone cruising straight, walkers and slow vehicles going along its
track are refused too (counted as ``parallax``, never silently).

The ground's motion at the blob is read from the homography that registered the frames: the
point's place in the earlier frame, ``H^-1 p``, against ``p``. The blob's own motion is the
displacement the motion tests measured, in the same working pixels.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ground_flow", "parallax_like"]


def ground_flow(h: np.ndarray, x: float, y: float) -> tuple[float, float]:
    """How far the ground at (x, y) of the later frame moved since the earlier one (px), given
    ``h`` mapping the earlier frame onto the later; (nan, nan) where ``h`` cannot be inverted."""
    try:
        inv = np.linalg.inv(h)
    except np.linalg.LinAlgError:
        return math.nan, math.nan
    px, py, pw = inv @ np.array([x, y, 1.0])
    if not pw or not math.isfinite(pw):
        return math.nan, math.nan
    return x - px / pw, y - py / pw


def parallax_like(
    shift: tuple[float, float], flow: tuple[float, float], max_ratio: float, min_cos: float
) -> bool:
    """True when ``shift`` is at most ``max_ratio`` of ``flow`` long and runs along its axis
    (|cos| of the angle between them at least ``min_cos``): what a still object above (or below)
    the ground shows. Anything not finite, and a ground that did not move, say False: a test
    that cannot be made refuses nothing."""
    sx, sy = shift
    fx, fy = flow
    if not all(math.isfinite(v) for v in (sx, sy, fx, fy)) or max_ratio <= 0:
        return False
    moved, ground = math.hypot(sx, sy), math.hypot(fx, fy)
    if ground <= 0 or moved > max_ratio * ground:
        return False
    if moved == 0:
        return True
    return abs(sx * fx + sy * fy) / (moved * ground) >= min_cos
