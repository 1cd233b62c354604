"""How big a mover is on the ground: vehicle-sized or person-sized, from the frame's sampling.

A lead is more useful when it says what size of thing moved, and a vehicle-only count must not
be spoiled by walkers. With a height (telemetry, or ``--height-m``) every work pixel has a size
on the ground, so the mover's width can be measured in metres: across the oriented rectangle of
its pixels, which stays true for a car at any heading and is not stretched by how far it drove
(motion lengthens a blob, it does not widen it). Cars, vans and buses are 1.6-2.6 m wide and at
least 2.5 m long (the smallest city cars); a walker with the shadow it drags is under a metre
wide, and a small group of walkers, wide enough, is shorter than a car. Bicycles and motorcycles
(under a metre wide) are person-sized. Without a height there is no scale and no
class is given (None): pixel sizes mean nothing across heights and lenses.

This is a size, never an identity: nothing about a person is inferred.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["PERSON", "VEHICLE", "size_class"]

PERSON = "person-sized"
VEHICLE = "vehicle-sized"


def size_class(
    mask: np.ndarray, gsd_m: float | None, min_width_m: float, min_length_m: float
) -> str | None:
    """``VEHICLE`` when the pixels of ``mask`` (non-zero) are at least ``min_width_m`` wide and
    ``min_length_m`` long on the ground at ``gsd_m`` metres per pixel, else ``PERSON``; None
    without a scale."""
    if gsd_m is None or not math.isfinite(gsd_m) or gsd_m <= 0:
        return None
    points = cv2.findNonZero(mask.astype(np.uint8))
    if points is None:
        return None
    _, (w, h), _ = cv2.minAreaRect(points)
    # A rectangle of pixel centres is one pixel narrower than the pixels themselves.
    width_m, length_m = (min(w, h) + 1.0) * gsd_m, (max(w, h) + 1.0) * gsd_m
    return VEHICLE if width_m >= min_width_m and length_m >= min_length_m else PERSON
