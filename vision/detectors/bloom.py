"""Flowering patches of opium-poppy colours (red, pink, purple, white) inside green vegetation.

Works in HSV on a downscaled frame: flower-coloured pixels are gathered into patches by a
morphological close, and a patch is kept only when

- it covers ``min_patch_m2``, is at least ``min_side_m`` across and at most ``max_aspect`` times
  longer than wide: kerb paint, kerb stones, road markings and cables are strips, a plot is not;
- it lies whole in the frame (a patch cut by the edge is judged in a later frame, ring and all);
- nearly all of the ring round it (``min_green_ring``) is vegetation by excess green
  (2G - R - B over R + G + B >= ``min_exg``), not merely "green-ish" in hue: red paint at the edge
  of a lawn has road on one side, and a plain HSV test counted a bus's green roof as a lawn.

Without a height (no telemetry, no ``--height-m``) sizes on the ground are unknown and nothing is
judged; it says so once, in ``notices``.

Precision on real poppy plots is unknown: no real poppy imagery was available. On real aerial RGB
(41 frames of city streets with lawns) and thermal night frames it raises no alerts at the
altitudes measured; see the README.
"""

from __future__ import annotations

import cv2
import numpy as np

from vision.config import BloomConfig
from vision.detectors.base import Detection, FrameContext, scale_box

__all__ = ["BloomDetector"]


class BloomDetector:
    name = "bloom"

    def __init__(self, config: BloomConfig):
        self.cfg = config
        self.notices: list[str] = []
        self.unsized = 0  # frames skipped for want of a height

    def detect(self, ctx: FrameContext) -> list[Detection]:
        if ctx.gsd_m is None:
            self.unsized += 1
            if self.unsized == 1:  # said once, not per frame
                self.notices.append(
                    "bloom: no height, so a patch's size on the ground is unknown; skipped. "
                    "Give --height-m or telemetry"
                )
            return []
        bgr, _, hidden, scale = ctx.work(self.cfg.work_width)
        gsd = ctx.gsd_m * scale
        hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
        green = cv2.inRange(hsv, np.array(self.cfg.green_lo), np.array(self.cfg.green_hi))
        green &= _vegetation(bgr, self.cfg.min_exg)
        flower = np.zeros_like(green)
        for lo, hi in self.cfg.flower_ranges:
            flower |= cv2.inRange(hsv, np.array(lo), np.array(hi))
        if hidden is not None:
            flower[hidden > 0] = 0
            green[hidden > 0] = 0
        r = max(1, int(round(0.5 / gsd)))
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        patches = cv2.morphologyEx(flower, cv2.MORPH_CLOSE, k)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(patches, connectivity=8)
        min_px = self.cfg.min_patch_m2 / gsd**2
        min_side = self.cfg.min_side_m / gsd
        ring_px = max(2, int(round(self.cfg.ring_m / gsd)))
        out = []
        for i in range(1, n):
            x, y, w, h, area = stats[i]
            if area < min_px or min(w, h) < min_side or max(w, h) > self.cfg.max_aspect * min(w, h):
                continue
            if x == 0 or y == 0 or x + w == bgr.shape[1] or y + h == bgr.shape[0]:
                continue  # cut by the frame edge: judged when seen whole, ring and all
            x0, y0 = max(0, x - ring_px), max(0, y - ring_px)
            x1, y1 = min(bgr.shape[1], x + w + ring_px), min(bgr.shape[0], y + h + ring_px)
            blob = (labels[y0:y1, x0:x1] == i).astype(np.uint8)
            ring = cv2.dilate(blob, np.ones((2 * ring_px + 1,) * 2, np.uint8)) - blob
            ring &= (patches[y0:y1, x0:x1] == 0).astype(np.uint8)
            ring_n = int(ring.sum())
            if ring_n == 0:
                continue
            share = float((green[y0:y1, x0:x1][ring > 0] > 0).sum()) / ring_n
            if share < self.cfg.min_green_ring:
                continue
            fill = (
                float(flower[y : y + h, x : x + w][labels[y : y + h, x : x + w] == i].mean())
                / 255.0
            )
            box = scale_box(x, y, w, h, scale)
            score = round(min(1.0, 0.5 * share + 0.5 * fill), 3)
            out.append(Detection(box, score, self.name, "bloom"))
        return out


def _vegetation(bgr: np.ndarray, min_exg: float) -> np.ndarray:
    """255 where the excess-green index 2G - R - B (over R + G + B) reaches ``min_exg``."""
    b, g, r = cv2.split(bgr.astype(np.float32))
    exg = (2 * g - r - b) / (r + g + b + 1.0)
    return np.where(exg >= min_exg, 255, 0).astype(np.uint8)
