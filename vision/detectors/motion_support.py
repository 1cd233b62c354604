"""Which pixels of a changed blob moved with the blob's measured displacement, as objects.

A blob of change is rarely one object: a car's blob also holds the place it left (its ghost), and
in traffic it touches the ghost of the car that was there before, or a neighbour in the next
lane, through their shadows. Once the motion tests have measured the blob's displacement ``d``,
each pixel can be asked whether it moved with ``d``:

- the picture now at ``p`` is the earlier picture at ``p - d`` (within one pixel, the tolerance
  of the change test itself), and
- the place ``p - d`` it came from changed too (what drove away left a changed spot behind;
  the empty road where a car *was* is explained by the road behind it, which did not change).

What passes is the object where it is now, without its ghost, and without whatever moved
differently (another car, a walker, parallax). Its connected parts, with parts closer than half
the blob's shorter side joined (or the detector's grouping distance, if larger), are the
objects; so a bus whose roof breaks into pieces stays one, and two cars joined only by a shadow
or a ghost come apart. A part smaller than ``min_px`` is a fragment, not
an object. No per-camera number is needed: the tolerance is the one-pixel neighbourhood, and the
sizes are the detector's own bounds.

When the displacement explains too little of a blob to say which pixels moved, and the blob was
cut to its leading end as the union of the mover's old and new place (``motion_tests``), that cut
can leave a sliver: a car whose roof and body are one even colour changes only at its ends, so
the blob at its new place is a thin strip of the car, not the car. ``grown_box`` recovers the
car from the same frame pair by hysteresis (as Canny does for edges): the strip grows through
the pixels that changed above a lower threshold and connect to it, no further than the
displacement that was cut off: the strip is the length of that displacement, and growing
further would take in the ghost and the neighbours the trim and the blob's bounds left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from vision.detectors.motion_tests import Blob

__all__ = ["Part", "grown_box", "moved_parts"]

_K3 = np.ones((3, 3), np.uint8)


@dataclass(frozen=True)
class Part:
    """One object of a blob: its box (x, y, w, h, work px) and its moved pixels in that box."""

    box: tuple[int, int, int, int]
    mask: np.ndarray


def moved_parts(
    blob: Blob,
    now: np.ndarray,
    before: np.ndarray,
    changed: np.ndarray,
    shift: tuple[float, float],
    threshold: float,
    *,
    gap_px: int,
    min_px: float,
) -> list[Part] | None:
    """The blob's parts that moved by ``shift``.

    ``now``/``before``: registered float32 images; ``changed``: 1.0 where they differ beyond the
    noise; ``threshold``: the change threshold of the pair. None when the displacement explains
    too little of the blob to say (the caller keeps the blob's own box).
    """
    if not (math.isfinite(shift[0]) and math.isfinite(shift[1])):
        return None
    dx, dy = int(round(shift[0])), int(round(shift[1]))
    x0, y0, x1, y1 = blob.x, blob.y, blob.x + blob.w, blob.y + blob.h
    # The earlier picture moved by d: before[p - d] for every p of the box (and a pixel round it
    # for the tolerance). Where p - d lies outside the frame nothing came from there.
    src = _crop(before, x0 - dx - 1, y0 - dy - 1, x1 - dx + 1, y1 - dy + 1, np.nan)
    if src is None:
        return None
    hi = cv2.dilate(src, _K3)[1:-1, 1:-1]
    lo = cv2.erode(src, _K3)[1:-1, 1:-1]
    patch = now[y0:y1, x0:x1]
    err = np.maximum(patch - hi, lo - patch)
    came_from = _crop(changed, x0 - dx, y0 - dy, x1 - dx, y1 - dy, 0.0) > 0
    with np.errstate(invalid="ignore"):
        support = (blob.mask > 0) & came_from & (err <= threshold)
    total = int(np.count_nonzero(blob.mask))
    if total == 0 or np.count_nonzero(support) < max(min_px, 0.2 * total):
        return None
    gap = max(gap_px, min(blob.w, blob.h) // 2)
    k = 2 * max(1, gap // 2) + 1
    joined = cv2.morphologyEx(support.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    parts = []
    for i in range(1, n):
        px, py, pw, ph, area = (int(v) for v in stats[i])
        if area < min_px or min(pw, ph) < 3:
            continue
        own = (labels[py : py + ph, px : px + pw] == i) & support[py : py + ph, px : px + pw]
        parts.append(Part((x0 + px, y0 + py, pw, ph), own.astype(np.uint8)))
    return parts or None


def grown_box(
    box: tuple[int, int, int, int], mask: np.ndarray, weak: np.ndarray, reach: int
) -> tuple[int, int, int, int]:
    """``box`` (x, y, w, h, work px; ``mask`` its pixels) grown to the pixels of ``weak`` (uint8,
    non-zero where the pair changed above the lower threshold) connected to them, within
    ``reach`` px of the box. Without pixels to grow from, the box is returned as it is."""
    x, y, w, h = box
    if mask.shape != (h, w) or not mask.any() or reach <= 0:
        return box
    height, width = weak.shape
    x0, y0 = max(0, x - reach), max(0, y - reach)
    x1, y1 = min(width, x + w + reach), min(height, y + h + reach)
    seed = np.zeros((y1 - y0, x1 - x0), np.uint8)
    seed[y - y0 : y - y0 + h, x - x0 : x - x0 + w] = mask > 0
    region = ((weak[y0:y1, x0:x1] > 0) | (seed > 0)).astype(np.uint8)
    n, labels = cv2.connectedComponents(region, connectivity=8)
    keep = np.zeros(n, bool)
    keep[labels[seed > 0]] = True
    keep[0] = False
    ys, xs = np.nonzero(keep[labels])
    gx, gy = x0 + int(xs.min()), y0 + int(ys.min())
    return gx, gy, x0 + int(xs.max()) + 1 - gx, y0 + int(ys.max()) + 1 - gy


def _crop(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, fill: float) -> np.ndarray | None:
    """``img[y0:y1, x0:x1]`` with ``fill`` where the window leaves the image; None when it lies
    wholly outside (a displacement that points out of the frame)."""
    h, w = img.shape
    if x1 <= 0 or y1 <= 0 or x0 >= w or y0 >= h:
        return None
    out = np.full((y1 - y0, x1 - x0), fill, np.float32)
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    out[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0] = img[cy0:cy1, cx0:cx1]
    return out
