"""Which changed blobs of a registered frame pair are movers, and which are not.

A blob of change after ego-motion compensation is a mover only if it passes these tests, none of
which needs a per-camera number (each compares the blob with the frame pair's own noise or with
itself). First, its change must stand out from the noise of its own surroundings (compression
and resampling make textured ground noisier than the frame as a whole). Then:

1. **Local alignment.** If shifting the earlier frame by a pixel or two (and removing a brightness
   offset) explains the blob down to the measured noise, or leaves the same pattern with another
   contrast (correlation >= 0.9), it is misregistration, parallax of low relief, a shadow, a
   brightness change or a line blurred by interpolation, not an object that moved. The blob is
   judged with a ring of ``_CONTEXT_PX`` of its surroundings: a car of one even colour fills its
   own box, so inside the box it differs from the road it covers by an offset only, which the
   test removes (on real airborne frames every moving dark car was taken for a brightness
   change); the road around it did not change, so with the ring no offset explains it.
2. **Ghost.** Against one earlier frame, a mover leaves two blobs: where it is now and where it
   was. The object is where the frame holds more edges *now* than it did before (outlines,
   windows, a walker's limbs); the empty spot it left is plain road now.
3. **Consistent displacement.** The blob's content must be found again in the earlier frame, at a
   distance no faster than a vehicle drives, with a correlation that says it is the same thing,
   and at a place that changed too (where a mover was, the picture has changed since: this stops
   a plain patch from "matching" any plain stretch of ground).
   Smoke, flicker and compression blocks have no such match. The shift found is the mover's
   displacement, which the tracker uses to link sightings.

Against a single earlier frame, a mover that moved less than its own length leaves one blob
covering where it was and where it is. The displacement found says which end it is at now, and
the blob is trimmed to that end (``trim``); the ghost test does not apply to such a union. A
trim that would leave the blob thinner than any object (under 3 px) says the blob is not that
union (it is the mover alone, turning, or a mover with a neighbour): it is judged whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Blob", "Verdict", "judge"]

_THINNEST_PX = 3  # the thinnest blob the activity detector takes for an object (its _compact)


@dataclass(frozen=True)
class Blob:
    """A changed region in work pixels: bounding box and its own mask (same size as the box)."""

    x: int
    y: int
    w: int
    h: int
    mask: np.ndarray


@dataclass(frozen=True)
class Verdict:
    """``reason`` is "" for a mover, else which test rejected the blob."""

    reason: str
    shift: tuple[float, float] = (0.0, 0.0)
    score: float = 0.0
    box: tuple[int, int, int, int] = (0, 0, 0, 0)


def judge(
    blob: Blob,
    now: np.ndarray,
    before: np.ndarray,
    sigma: float,
    *,
    local_px: int,
    max_shift_px: int,
    min_ncc: float,
    trim: bool,
    changed: np.ndarray,
    noise_k: float,
) -> Verdict:
    """Apply the tests to one blob of ``now`` against ``before`` (registered, float32).

    ``trim``: the blob comes from a single earlier frame and may join a mover's old and new place.
    ``changed``: 1.0 where ``now`` differs from ``before`` beyond the noise (float32).
    """
    if not _stands_above_local_noise(blob, now, before, noise_k):
        return Verdict("local noise")
    if _locally_aligned(blob, now, before, sigma, local_px):
        return Verdict("aligned")
    found = _displacement(blob, now, before, changed, local_px, max_shift_px)
    if found is None or found[2] < min_ncc:
        return Verdict("no match")
    dx, dy, ncc = found
    mx, my = int(round(dx)), int(round(dy))
    union = trim and abs(mx) <= blob.w - _THINNEST_PX and abs(my) <= blob.h - _THINNEST_PX
    if not union and not _stands_out_now(blob, now, before):
        return Verdict("ghost")
    x, y, w, h = blob.x, blob.y, blob.w, blob.h
    if union:
        x, w = x + max(0, mx), w - abs(mx)
        y, h = y + max(0, my), h - abs(my)
    return Verdict("", (dx, dy), ncc, (x, y, w, h))


def _stands_above_local_noise(blob: Blob, now, before, k: float) -> bool:
    """Whether the blob's change exceeds ``k`` x the noise of its own surroundings.

    The frame-wide noise is set by flat ground; textured ground (foliage, paving, façades) is
    noisier after compression and resampling, so a blob there must stand out from *its* ground.
    The surroundings' noise is a robust (MAD) spread of the registered difference in a window
    of the blob's own size around it, so other movers nearby barely raise it.
    """
    H, W = now.shape
    pad = max(blob.w, blob.h)
    x0, y0 = max(0, blob.x - pad), max(0, blob.y - pad)
    x1, y1 = min(W, blob.x + blob.w + pad), min(H, blob.y + blob.h + pad)
    r = now[y0:y1, x0:x1] - before[y0:y1, x0:x1]
    inside = np.zeros(r.shape, bool)
    inside[blob.y - y0 : blob.y - y0 + blob.h, blob.x - x0 : blob.x - x0 + blob.w] = blob.mask > 0
    ring = r[~inside]
    if ring.size < 16:
        return True
    spread = 1.4826 * float(np.median(np.abs(ring - np.median(ring))))
    return float(np.mean(np.abs(r[inside]))) > k * spread


def _locally_aligned(blob: Blob, now, before, sigma: float, s: int) -> bool:
    """Whether some shift of at most ``s`` px, plus a brightness offset, explains the box and a
    ring of ``_CONTEXT_PX`` around it (as far as the frame allows).

    The mean squared zero-mean difference of two windows is var(p) + var(q) - 2 cov(p, q); one
    ``matchTemplate`` gives cov for every shift and a box filter gives var(q).
    """
    H, W = now.shape
    if blob.x < s or blob.y < s or blob.x + blob.w > W - s or blob.y + blob.h > H - s:
        return False  # no room to shift the earlier frame: not explained
    m = _CONTEXT_PX
    x0, y0 = max(s, blob.x - m), max(s, blob.y - m)
    x1, y1 = min(W - s, blob.x + blob.w + m), min(H - s, blob.y + blob.h + m)
    area = before[y0 - s : y1 + s, x0 - s : x1 + s]
    patch = now[y0:y1, x0:x1]
    w, h = x1 - x0, y1 - y0
    n = float(w * h)
    cov = cv2.matchTemplate(area, patch, cv2.TM_CCOEFF) / n
    mean_q = cv2.boxFilter(area, -1, (w, h), normalize=True, anchor=(0, 0))
    mean_q2 = cv2.boxFilter(area * area, -1, (w, h), normalize=True, anchor=(0, 0))
    var_q = (mean_q2 - mean_q * mean_q)[: cov.shape[0], : cov.shape[1]]
    var_p = float(patch.var())
    msd = var_p + var_q - 2.0 * cov
    if float(np.sqrt(max(0.0, float(msd.min())))) <= 2.0 * sigma:
        return True
    # A change of contrast (a sharp line against its interpolated copy, a thin cloud) keeps the
    # pattern: correlation explains all but a fifth of the variance.
    ncc = cov / np.sqrt(np.maximum(var_p * var_q, 1e-6))
    return float(ncc.max()) >= _SAME_PATTERN


_SAME_PATTERN = 0.9
_CONTEXT_PX = 2  # past an outline blurred by smoothing and resampling, onto what surrounds it


def _stands_out_now(blob: Blob, now, before) -> bool:
    """Whether the blob holds more edges now than before: the object is where it is now.

    Outlines, windows and roof edges make a vehicle or a person richer in gradient than the
    road it covers, whatever its brightness; the spot it left is plainer now than it was. (A
    brightness contrast against the surroundings fails for a dark car on dark asphalt, where
    noise decides: on held-out frames that test threw away a quarter of the real movers.)
    """
    pad = 1
    x0, y0 = max(0, blob.x - pad), max(0, blob.y - pad)
    x1 = min(now.shape[1], blob.x + blob.w + pad)
    y1 = min(now.shape[0], blob.y + blob.h + pad)
    inside = np.zeros((y1 - y0, x1 - x0), np.uint8)
    inside[blob.y - y0 : blob.y - y0 + blob.h, blob.x - x0 : blob.x - x0 + blob.w] = blob.mask
    inside = cv2.dilate(inside, np.ones((3, 3), np.uint8)) > 0

    def edges(img: np.ndarray) -> float:
        win = img[y0:y1, x0:x1]
        gx = cv2.Sobel(win, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(win, cv2.CV_32F, 0, 1, ksize=3)
        return float(np.mean(np.sqrt(gx * gx + gy * gy)[inside]))

    return edges(now) > edges(before)


def _displacement(
    blob: Blob, now, before, changed, s: int, r: int
) -> tuple[float, float, float] | None:
    """(dx, dy, correlation) of the blob's motion: the best match of its box in ``before``
    further than ``s`` and at most ``r`` px away, on changed ground. Wide searches run on
    half-resolution images first and are refined at full resolution."""
    patch = now[blob.y : blob.y + blob.h, blob.x : blob.x + blob.w]
    if float(patch.std()) < 1e-3:
        return None
    if r > 8 and min(blob.w, blob.h) >= 8:
        H, W = before.shape
        x0, y0 = max(0, blob.x - r) & ~1, max(0, blob.y - r) & ~1
        x1, y1 = min(W, blob.x + blob.w + r), min(H, blob.y + blob.h + r)
        small = _search(
            cv2.pyrDown(patch),
            cv2.pyrDown(before[y0:y1, x0:x1]),
            cv2.pyrDown(changed[y0:y1, x0:x1]),
            (blob.x - x0) // 2,
            (blob.y - y0) // 2,
            max(1, s // 2),
            r // 2,
        )
        if small is None:
            return None
        cx, cy = blob.x - 2 * int(small[0]), blob.y - 2 * int(small[1])
        return _search(patch, before, changed, cx, cy, -1, 3, origin=(blob.x, blob.y), keep_out=s)
    return _search(patch, before, changed, blob.x, blob.y, s, r)


_MIN_COVER = 0.25  # share of a mover's earlier box that must have changed since


def _search(
    patch: np.ndarray,
    before: np.ndarray,
    changed: np.ndarray,
    x: int,
    y: int,
    s: int,
    r: int,
    origin: tuple[int, int] | None = None,
    keep_out: int | None = None,
) -> tuple[float, float, float] | None:
    """Best normalised correlation of ``patch`` in ``before`` around (x, y), at most ``r`` away
    and (for ``s`` >= 0) more than ``s`` away; motion is reported relative to ``origin``."""
    ph, pw = patch.shape
    H, W = before.shape
    x0, y0 = max(0, x - r), max(0, y - r)
    x1, y1 = min(W, x + pw + r), min(H, y + ph + r)
    area = before[y0:y1, x0:x1]
    if area.shape[0] < ph or area.shape[1] < pw:
        return None
    ncc = cv2.matchTemplate(area, patch, cv2.TM_CCOEFF_NORMED)
    cover = cv2.boxFilter(changed[y0:y1, x0:x1], -1, (pw, ph), anchor=(0, 0))
    cover = cover[: ncc.shape[0], : ncc.shape[1]]
    ox, oy = origin or (x, y)
    out = keep_out if keep_out is not None else s
    dx = (np.arange(ncc.shape[1]) + x0 - ox)[None, :]
    dy = (np.arange(ncc.shape[0]) + y0 - oy)[:, None]
    bad = (np.abs(dx) <= out) & (np.abs(dy) <= out) | (cover < _MIN_COVER)
    if origin is None:
        bad |= dx * dx + dy * dy > r * r
    ncc = np.where(bad | ~np.isfinite(ncc), -1.0, ncc)
    iy, ix = np.unravel_index(int(np.argmax(ncc)), ncc.shape)
    if ncc[iy, ix] <= -1.0:
        return None
    # The content now at the origin was at (origin + d) in the earlier frame: motion is -d.
    return float(-dx[0, ix]), float(-dy[iy, 0]), float(ncc[iy, ix])
