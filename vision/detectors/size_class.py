"""How big a mover is on the ground: vehicle-sized or person-sized, from the frame's sampling.

A lead is more useful when it says what size of thing moved, and a vehicle-only count must not
be spoiled by walkers. With a height (telemetry, or ``--height-m``) every work pixel has a size
on the ground, so the mover's width can be measured in metres: across the oriented rectangle of
its pixels, which stays true for a car at any heading and is not stretched by how far it drove
(motion lengthens a blob, it does not widen it). Cars, vans and buses are 1.6-2.6 m wide and at
least 2.5 m long (the smallest city cars); a walker with the shadow it drags is under a metre
wide, and a small group of walkers, wide enough, is shorter than a car. Bicycles and motorcycles
(under a metre wide) are person-sized. Without a height there is no scale and no
class is given (None): pixel sizes mean nothing across heights and lenses. (The activity detector
then bounds the scale from above instead: see ``ActivityDetector._size``.)

A vehicle also moves along its own length: wheels do not slide sideways. A vehicle-sized mover
that is clearly elongated (``ELONGATED``: at least twice as long as wide; cars are 2.2-2.8, buses
4-5) and whose measured displacement points nearer across it than along it (more than
``ACROSS_DEG`` off its long axis) is not a vehicle driving: on the real sets these are walkers
whose displacement was a chance match with another walker's shadow, boxed with their own earlier
place. A car turning at a junction moves along a chord, at most 45 degrees off its final heading
for a right-angle turn, so the margin keeps it. Only a shape as narrow as one vehicle is judged
so (``WIDEST_VEHICLE_M``, the legal maximum width of road vehicles): wider, it may be cars driving
abreast in one box, whose long axis runs across the lanes.

This is a size, never an identity: nothing about a person is inferred.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = [
    "ACROSS_DEG",
    "ELONGATED",
    "PERSON",
    "VEHICLE",
    "WIDEST_VEHICLE_M",
    "moves_across",
    "size_class",
]

PERSON = "person-sized"
VEHICLE = "vehicle-sized"
ELONGATED = 2.0
ACROSS_DEG = 60.0
WIDEST_VEHICLE_M = 2.6


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


def moves_across(mask: np.ndarray, shift: tuple[float, float], gsd_m: float) -> bool:
    """Whether the pixels of ``mask`` (``gsd_m`` metres each) form one vehicle's elongated shape
    (``ELONGATED``, at most ``WIDEST_VEHICLE_M`` wide) that moved by ``shift`` more than
    ``ACROSS_DEG`` away from its long axis (see the module docstring)."""
    dx, dy = shift
    d = math.hypot(dx, dy)
    points = cv2.findNonZero(mask.astype(np.uint8))
    if points is None or not (math.isfinite(d) and d > 0 and math.isfinite(gsd_m) and gsd_m > 0):
        return False
    _, (w, h), angle = cv2.minAreaRect(points)
    length, width = max(w, h) + 1.0, min(w, h) + 1.0
    if length < ELONGATED * width or width * gsd_m > WIDEST_VEHICLE_M:
        return False
    axis = math.radians(angle if w >= h else angle + 90.0)
    along = abs(dx * math.cos(axis) + dy * math.sin(axis)) / d
    return math.degrees(math.acos(min(1.0, along))) > ACROSS_DEG
