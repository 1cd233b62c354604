"""Cast shadows of movers, stripped from the change mask before blobs are judged.

A mover in sunlight drags its shadow along: the shadow changes the picture as much as the object
does, so the blob of change covers both (a car's box doubles, two cars in adjacent lanes are
joined by one's shadow, a walker becomes a long streak). A shadow is recognised by two physical
properties, neither of which needs a per-camera number:

1. **Photometry.** Per pixel, the ground got darker (brightness ratio now / before under 1, but
   not below ``min_ratio``: skylight still lights an umbra) while its chromaticity (the shares
   of blue, green and red) stayed within ``max_chroma``: the light dropped, the surface did not
   change.
2. **Geometry.** Every shadow in one frame lies on the same side of its caster: away from the
   sun. In each blob of change, the offset from its non-shadow part (the caster) to its
   shadow-like part is measured; only when at least ``min_casters`` blobs agree on a direction
   (mean resultant length of their unit offsets >= ``agreement``) is there a sun to speak of,
   and only in blobs whose offset points that way (within 60 degrees) are shadow-like pixels
   removed, and only those beyond the caster's centre on that side.

A dark grey or black vehicle on asphalt also "darkens the ground without changing its colour";
the geometric test is what keeps it: its shadow-like pixels surround its highlights in no
particular direction, and in overcast light (no consistent direction in the frame) nothing is
removed at all.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["shadow_like", "strip_shadows"]

_SUN_SIDE_COS = 0.5  # within 60 degrees of the frame's shadow direction


def shadow_like(
    now: np.ndarray,
    before: np.ndarray,
    min_ratio: float,
    max_chroma: float,
    where: np.ndarray | None = None,
):
    """Pixels (uint8 mask) where ``now`` is ``before`` (both registered BGR float32) in less
    light: darker, by a factor of at least ``min_ratio``, with the same chromaticity. With
    ``where`` (uint8), only its pixels are judged and the rest are 0: the motion detector asks
    only around its change, a few per cent of the frame, and judging all of it cost a fifth of
    the pipeline's time."""
    if where is None:
        ys, xs = np.indices(now.shape[:2]).reshape(2, -1)
    else:
        ys, xs = np.nonzero(where)
    a, b = now[ys, xs], before[ys, xs]
    s_now = a.sum(axis=1) + 1.0
    s_ref = b.sum(axis=1) + 1.0
    ratio = s_now / s_ref
    chroma = np.abs(a / s_now[:, None] - b / s_ref[:, None]).max(axis=1)
    out = np.zeros(now.shape[:2], np.uint8)
    out[ys, xs] = ((ratio > min_ratio) & (ratio < 1.0) & (chroma < max_chroma)) * np.uint8(255)
    return out


def strip_shadows(
    mask: np.ndarray, shadow: np.ndarray, min_casters: int, agreement: float, min_px: float
) -> tuple[np.ndarray, int]:
    """``mask`` without the shadow-like pixels of blobs whose shadow lies on the frame's common
    shadow side; also how many blobs lost their shadow (0 when the frame has no sun).

    A blob whose caster alone is smaller than ``min_px`` (the smallest object reported) keeps its
    shadow: a walker seen from high up is mostly shadow, and stripping it would hide the walker.
    """
    n, labels = cv2.connectedComponents(mask, None, 8)
    if n <= 1:
        return mask, 0
    # Only the blobs' own pixels, in raster order: the frame around them plays no part.
    py, px = np.nonzero(labels)
    lab = labels[py, px]
    dark = shadow[py, px] > 0
    s, c = dark.astype(np.float64), (~dark).astype(np.float64)
    xs, ys = px.astype(np.float64), py.astype(np.float64)
    ns, nc = np.bincount(lab, s, n), np.bincount(lab, c, n)
    both = (ns >= 3) & (nc >= 3)
    both[0] = False
    if int(both.sum()) < min_casters:
        return mask, 0
    dx = np.bincount(lab, s * xs, n)[both] / ns[both] - np.bincount(lab, c * xs, n)[both] / nc[both]
    dy = np.bincount(lab, s * ys, n)[both] / ns[both] - np.bincount(lab, c * ys, n)[both] / nc[both]
    norm = np.hypot(dx, dy) + 1e-9
    w = np.minimum(ns[both], nc[both])  # a blob that is nearly all caster or all shadow says less
    ux, uy = (w * dx / norm).sum() / w.sum(), (w * dy / norm).sum() / w.sum()
    length = float(np.hypot(ux, uy))
    if length < agreement:
        return mask, 0
    strip = np.zeros(n, bool)
    strip[np.flatnonzero(both)] = ((dx * ux + dy * uy) / (norm * length) > _SUN_SIDE_COS) & (
        nc[both] >= min_px
    )
    # Only the shadow-like pixels beyond the caster's centre, on the shadow side, are shadow.
    cx = np.zeros(n)
    cy = np.zeros(n)
    cx[1:] = np.bincount(lab, c * xs, n)[1:] / np.maximum(nc[1:], 1)
    cy[1:] = np.bincount(lab, c * ys, n)[1:] / np.maximum(nc[1:], 1)
    beyond = (xs - cx[lab]) * ux + (ys - cy[lab]) * uy > 0
    gone = strip[lab] & dark & beyond
    out = mask.copy()
    out[py[gone], px[gone]] = 0
    return out, int(strip.sum())
