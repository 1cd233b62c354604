"""The sky of an oblique picture, found so that the motion detector leaves it out.

A patrol camera that looks ahead at an angle can see the horizon. Above it nothing drives or
walks, yet clouds drift and, more to the point, the sky does not follow the ground's homography
(it is at infinity and moves with the camera's rotation only): on the real MEVA montage 12 of the
54 motion alerts on nothing moving were on clouds, and cloud corners also pull the ground
homography that registration fits to ORB features.

The horizon is sought as the straight line, tilted at most ``MAX_ROLL_DEG`` (the picture's roll),
that best splits the picture's brightness into a brighter part above and a darker part below:
Otsu's between-class variance taken over lines instead of grey levels, after Ettinger et al.'s
horizon finder for micro air vehicles (2002). Any picture has such a line, so it is taken for the
horizon only when

0. the picture has colour: in a thermal picture the sky is cold, so a brighter part above a
   straight edge is something warm (on real HIT-UAV night frames, a grandstand);
1. the part above holds the picture's whole top edge and 5-70 % of the picture;
2. it is brighter than the part below by ``MIN_CONTRAST`` grey levels (daylight sky is brighter
   than the ground under it; a night sky is not, and is left alone);
3. the picture is brighter just above the line than just below it, by half that contrast, along
   ``MIN_EDGE_SHARE`` of the line: a horizon is an edge the whole way across. A bright plaza at
   the top of a nadir frame, bounded by kerbs and a road, is not. On the real sets, with three
   rows each side compared at 96 px wide: at most 0.66 on the 20 nadir frames that pass 1 and 2
   (15 of aerial-cars, 5 of KIT AIS; no DJI_0762 or Santiago junction frame passes them), at
   least 0.93 on each of the MEVA montage's horizons.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from vision.detectors.base import chroma

__all__ = ["sky_mask", "MIN_CHROMA", "MIN_CONTRAST", "MIN_EDGE_SHARE", "MAX_ROLL_DEG"]

MIN_CHROMA = 6.0  # greyscale thermal measures 0, daylight RGB 13-19, overcast skies 13-16
MAX_ROLL_DEG = 20.0
MIN_CONTRAST = 25.0  # grey levels, sky over ground
MIN_EDGE_SHARE = 0.9
_WIDTH = 96  # the search runs on a picture this wide: the horizon is a large structure
_ANGLE_STEP_DEG = 2.5
_SHARE = (0.05, 0.7)  # of the picture above the line
_MAX_TALL = 3  # pictures over three times taller than wide are no camera's view: not searched
_BAND = 3  # rows each side of the line compared, at _WIDTH (2: a cloud base over a dark tree
# line fell below MIN_EDGE_SHARE on a third of the montage's horizons)


@lru_cache(maxsize=8)
def _lines(height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The candidate lines of a picture ``height`` rows high at ``_WIDTH``: each tilt's slope,
    its pixel order by height across the line, those heights, and where a split may fall (between
    whole rows of the tilted grid, with 5-70 % of the picture above). Only the shape decides them,
    so they are made once per shape."""
    ys, xs = np.mgrid[0:height, 0:_WIDTH].astype(np.float32)
    n = ys.size
    slopes = np.tan(np.deg2rad(np.arange(-MAX_ROLL_DEG, MAX_ROLL_DEG + 1e-6, _ANGLE_STEP_DEG)))
    across = np.stack([(ys - s * (xs - _WIDTH / 2)).ravel() for s in slopes])
    orders = np.argsort(across, axis=1, kind="stable")
    heights = np.take_along_axis(across, orders, axis=1)
    k = np.arange(1, n)
    allowed = (heights[:, 1:] > heights[:, :-1]) & (k >= _SHARE[0] * n) & (k <= _SHARE[1] * n)
    return slopes, orders, heights, allowed


def _best_line(grey: np.ndarray) -> tuple[float, float, float] | None:
    """(slope, offset, contrast) of the line best splitting ``grey`` into brighter above."""
    slopes, orders, heights, allowed = _lines(grey.shape[0])
    n = grey.size
    sums = np.cumsum(grey.ravel()[orders], axis=1, dtype=np.float64)[:, :-1]
    k = np.arange(1, n, dtype=np.float64)
    above = sums / k
    below = (sums[:, -1:] + grey.ravel()[orders[:, -1:]] - sums) / (n - k)
    score = np.where(allowed & (above > below), k * (n - k) * np.square(above - below), 0.0)
    a, j = np.unravel_index(int(np.argmax(score)), score.shape)
    if score[a, j] <= 0:
        return None
    return float(slopes[a]), float(heights[a, j]), float(above[a, j] - below[a, j])


def _edge_share(grey: np.ndarray, slope: float, offset: float, contrast: float) -> float:
    """Share of the line's columns where the picture is brighter just above than just below."""
    h = grey.shape[0]
    cols = np.arange(_WIDTH)
    last_above = np.floor(offset + slope * (cols - _WIDTH / 2)).astype(int)
    inside = (last_above - _BAND + 1 >= 0) & (last_above + _BAND < h)
    if inside.sum() < _WIDTH // 2:
        return 0.0
    cols, rows = cols[inside], last_above[inside]
    up = np.mean([grey[rows - i, cols] for i in range(_BAND)], axis=0)
    down = np.mean([grey[rows + 1 + i, cols] for i in range(_BAND)], axis=0)
    return float(np.mean(up - down >= 0.5 * contrast))


def sky_mask(bgr: np.ndarray) -> np.ndarray | None:
    """255 over the sky of a colour picture (everything above its horizon), or None when no
    horizon is in view (nadir pictures, night)."""
    if bgr.ndim != 3 or bgr.shape[2] < 3:
        return None  # no colour, no daylight sky (as in thermal pictures)
    h0, w0 = bgr.shape[:2]
    h = round(h0 * _WIDTH / max(w0, 1))
    if min(h0, w0) < 8 or not 8 <= h <= _MAX_TALL * _WIDTH:
        return None  # too small to hold a horizon, or shaped like no camera's picture
    small = cv2.resize(bgr, (_WIDTH, h), interpolation=cv2.INTER_AREA)
    if chroma(small) <= MIN_CHROMA:
        return None
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)
    line = _best_line(grey)
    if line is None:
        return None
    slope, offset, contrast = line
    if contrast < MIN_CONTRAST or _edge_share(grey, slope, offset, contrast) < MIN_EDGE_SHARE:
        return None
    cols = (np.arange(w0) + 0.5) * _WIDTH / w0
    boundary = (offset + 0.5 + slope * (cols - _WIDTH / 2)) * h0 / h  # full-size rows
    if np.any(boundary <= 0):
        return None  # the part above does not hold the whole top edge
    rows = np.arange(h0, dtype=np.float32)[:, None]
    return np.where(rows < boundary[None, :], np.uint8(255), np.uint8(0))
