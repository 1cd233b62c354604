"""Warm people and vehicles in white-hot thermal frames, sized from the altitude and the camera.

At night a person or a running vehicle is warmer than the ground round it, so it is a small bright
blob on a darker, slowly varying background. The detector:

1. removes the background with a morphological top-hat whose square is wider than any object it
   looks for (``background_m``, or ``background_px`` without a pose): warm roofs and roads wider
   than that stay in the background, people and cars stand out. The square is never wider than
   ``background_px``: seen from close (steeply down from 60 m, 3.5 m is 80 px) a wider square
   lets paths, kerbs and shadows into the top-hat, and the clutter floor they raise hides people;
2. segments the top-hat above the frame's own clutter (median + ``noise_k`` x MAD), so no grey
   level is tuned per camera;
3. splits each blob at ``split_fraction`` of its own peak, which separates people walking side
   by side (one lead each, not one for the group);
4. keeps a blob only when its top-hat peak clears the clutter (median + ``min_peak_k`` x MAD)
   and its hot part is ``min_contrast`` of the frame's hot span (99.5th percentile minus median)
   warmer than nearly all of the ring round it (``ring_percentile``): the AGC of a thermal camera
   maps the scene's range of temperatures onto 0-255, so a warm body is near the top of that span
   whatever the gain, and a person in the open is warmer than all of its surroundings, while a
   gap in a tree canopy or the bright side of a wall edge has warm ground on one side; and its
   hottest pixel is ``min_hot_share`` of that span above the median: at night people and running
   engines are among the hottest things in view, while a lamp's glow, a parked car's warm part or
   a hot spot on a wall is a local peak on a cooler scene;
5. sorts what is left by its area on the ground (square metres from ``ctx.gsd_m``; configured
   pixel areas without a pose) into ``person`` and ``vehicle``, dropping thin streaks (kerbs,
   wall edges) by fill and aspect.

Colour frames are not white-hot thermal (a daylight camera, or a pseudo-colour palette): they are
skipped and counted, with one notice, rather than scanned for "warm" pixels that are only bright.
"""

from __future__ import annotations

import cv2
import numpy as np

from vision.config import ThermalConfig
from vision.detectors.base import Detection, FrameContext, chroma, scale_box

__all__ = ["ThermalDetector"]

_RING_PX = 2  # the ring the contrast is measured against starts this far from the blob


class ThermalDetector:
    name = "thermal"

    def __init__(self, config: ThermalConfig):
        self.cfg = config
        self.notices: list[str] = []
        self.stats = {"frames": 0, "colour_frames": 0}

    def detect(self, ctx: FrameContext) -> list[Detection]:
        self.stats["frames"] += 1
        bgr, grey, hidden, scale = ctx.work(self.cfg.work_width)
        if chroma(bgr) > self.cfg.max_chroma:
            self.stats["colour_frames"] += 1
            if self.stats["colour_frames"] == 1:
                self.notices.append(
                    "thermal: colour frames are skipped (it reads white-hot greyscale thermal "
                    "video); set the camera to a white-hot palette or drop the thermal detector"
                )
            return []
        cfg = self.cfg
        if ctx.gsd_m is not None:
            px_m2 = (ctx.gsd_m * scale) ** 2
            person = (cfg.person_m2[0] / px_m2, cfg.person_m2[1] / px_m2)
            vehicle = (cfg.vehicle_m2[0] / px_m2, cfg.vehicle_m2[1] / px_m2)
            k = min(int(round(cfg.background_m / (ctx.gsd_m * scale))), cfg.background_px)
        else:
            person, vehicle, k = cfg.person_px, cfg.vehicle_px, cfg.background_px
        k = max(3, min(k, *grey.shape[:2]) | 1)  # a square larger than the frame gains nothing
        img = cv2.GaussianBlur(grey, (3, 3), 0)
        if hidden is not None:
            img = img.copy()
            img[hidden > 0] = int(np.median(img))
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
        top = cv2.morphologyEx(img, cv2.MORPH_TOPHAT, kernel)
        med = float(np.median(top))
        mad = max(1.0, 1.4826 * float(np.median(np.abs(top.astype(np.float32) - med))))
        floor = med + cfg.noise_k * mad
        img_med = float(np.median(img))
        span = max(1.0, float(np.percentile(img, 99.5)) - img_med)
        need = cfg.min_contrast * span
        hot = img_med + cfg.min_hot_share * span
        n, labels, stats, _ = cv2.connectedComponentsWithStats(
            (top > floor).astype(np.uint8), connectivity=8
        )
        out = []
        for i in range(1, n):
            x, y, w, h, area = stats[i]
            if area < person[0] or float(top[y : y + h, x : x + w].max()) < need * 0.5:
                continue
            for blob, (bx, by, bw, bh, barea) in _split(top, labels, i, stats[i], floor, cfg):
                code = _code(barea, person, vehicle)
                if code is None or barea / (bw * bh) < cfg.min_fill:
                    continue
                if max(bw, bh) > cfg.max_aspect * min(bw, bh):
                    continue
                peak = float(top[by : by + bh, bx : bx + bw][blob].max())
                if peak < med + cfg.min_peak_k * mad:
                    continue
                if float(img[by : by + bh, bx : bx + bw][blob].max()) < hot:
                    continue
                contrast = _contrast(img, blob, bx, by, cfg.ring_percentile)
                if contrast < need:
                    continue
                score = round(min(1.0, contrast / (2.0 * need)), 3)
                out.append(Detection(scale_box(bx, by, bw, bh, scale), score, self.name, code))
        return out


def _split(top: np.ndarray, labels: np.ndarray, i: int, st, floor: float, cfg: ThermalConfig):
    """Blob ``i`` cut at ``split_fraction`` of its peak: (mask in box, (x, y, w, h, area)) each."""
    x, y, w, h, _ = st
    tb = top[y : y + h, x : x + w]
    cut = max(floor, cfg.split_fraction * float(tb.max()))
    core = ((labels[y : y + h, x : x + w] == i) & (tb > cut)).astype(np.uint8)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(core, connectivity=8)
    for j in range(1, n):
        sx, sy, sw, sh, sa = stats[j]
        mask = lab[sy : sy + sh, sx : sx + sw] == j
        yield mask, (x + sx, y + sy, sw, sh, sa)


def _code(area: float, person: tuple[float, float], vehicle: tuple[float, float]) -> str | None:
    if person[0] <= area <= person[1]:
        return "person"
    if vehicle[0] <= area <= vehicle[1]:
        return "vehicle"
    return None


def _contrast(img: np.ndarray, mask: np.ndarray, x: int, y: int, ring_pct: float) -> float:
    """How much warmer the blob's hot part (90th percentile) is than the ring round it."""
    r = _RING_PX + 2
    h, w = mask.shape
    x0, y0 = max(0, x - r), max(0, y - r)
    x1, y1 = min(img.shape[1], x + w + r), min(img.shape[0], y + h + r)
    full = np.zeros((y1 - y0, x1 - x0), np.uint8)
    full[y - y0 : y - y0 + h, x - x0 : x - x0 + w] = mask
    near = cv2.dilate(full, np.ones((2 * _RING_PX + 1,) * 2, np.uint8))
    patch = img[y0:y1, x0:x1]
    ring = patch[near == 0]
    if ring.size == 0:
        return 0.0
    return float(np.percentile(patch[full > 0], 90)) - float(np.percentile(ring, ring_pct))
