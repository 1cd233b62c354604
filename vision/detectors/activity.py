"""Moving things seen from a moving camera.

1. The camera's own motion between frames: ORB features matched between the current frame and
   earlier ones, then a robust (RANSAC or MAGSAC++) homography; from patrol height the ground is
   close to a plane, so one homography maps a whole earlier frame onto the current one.
2. The earlier frames are warped onto the current one and differenced. Two earlier frames are
   used (``gap_s`` and ``2 x gap_s`` back) and only change seen against both is kept: that is
   where a moving object is *now*, not where it was.
3. The difference tolerates one pixel of misregistration (it is measured against the local
   min/max of the warped frame) and a change of focus between frames (a further-smoothed copy
   of the current frame must differ too), is grouped by a morphological close of ``group_m``,
   and blobs between the minimum and maximum areas (square metres, turned into pixels from
   the ground sampling distance) are reported; one-pixel-thin streaks never are.

Frames whose ego-motion cannot be estimated, or where too much of the picture changes (a
registration failure), report nothing rather than guesses.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from vision.config import ActivityConfig
from vision.detectors.base import Detection, FrameContext, scale_box

__all__ = ["ActivityDetector"]

_K3 = np.ones((3, 3), np.uint8)
_BORDER_PX = 4  # JPEG blocks and lens fall-off make the picture's own edge unreliable
_ROBUST = {"ransac": cv2.RANSAC, "magsac": cv2.USAC_MAGSAC}


@dataclass
class _Past:
    time: float
    grey: np.ndarray
    valid: np.ndarray
    kp: np.ndarray
    des: np.ndarray | None
    soft: np.ndarray


class ActivityDetector:
    name = "activity"

    def __init__(self, config: ActivityConfig):
        self.cfg = config
        self.orb = cv2.ORB_create(nfeatures=config.orb_features, fastThreshold=10)
        self.matcher = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True)
        self.history: deque[_Past] = deque()
        self.stats = {"frames": 0, "no_ego_motion": 0, "discarded": 0}

    def detect(self, ctx: FrameContext) -> list[Detection]:
        self.stats["frames"] += 1
        bgr, grey, hidden, scale = ctx.work(self.cfg.work_width)
        if self.cfg.channel == "red":
            grey = cv2.extractChannel(bgr, 2)
        grey = cv2.GaussianBlur(grey, (0, 0), self.cfg.smooth_px)
        valid = np.full(grey.shape, 255, np.uint8) if hidden is None else cv2.bitwise_not(hidden)
        b = _BORDER_PX
        valid[:b], valid[-b:], valid[:, :b], valid[:, -b:] = 0, 0, 0, 0
        kp, des = self.orb.detectAndCompute(grey, valid)
        pts = np.float32([k.pt for k in kp]).reshape(-1, 2)
        soft = cv2.GaussianBlur(grey, (0, 0), self.cfg.smooth_px)
        now = _Past(ctx.time, grey, valid, pts, des, soft)
        refs = [
            self._reference(ctx.time - self.cfg.gap_s),
            self._reference(ctx.time - 2 * self.cfg.gap_s),
        ]
        self._remember(now)
        if ctx.gsd_m is None or any(r is None for r in refs) or refs[0] is refs[1]:
            return []
        diffs = []
        for ref in refs:
            d = self._difference(ref, now)
            if d is None:
                self.stats["no_ego_motion"] += 1
                return []
            diffs.append(d)
        moving = cv2.min(diffs[0], diffs[1])
        _, mask = cv2.threshold(moving, self.cfg.diff_threshold, 255, cv2.THRESH_BINARY)
        if cv2.countNonZero(mask) > self.cfg.max_frame_fraction * mask.size:
            self.stats["discarded"] += 1
            return []
        gsd = ctx.gsd_m * scale
        k = 2 * max(1, int(round(self.cfg.group_m / gsd / 2))) + 1
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
        min_px, max_px = self.cfg.min_area_m2 / gsd**2, self.cfg.max_area_m2 / gsd**2
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        out = []
        for x, y, w, h, area in stats[1:n]:
            if min_px <= area <= max_px and min(w, h) >= 2:  # 1-px lines are aliasing, not objects
                peak = float(moving[y : y + h, x : x + w].max())
                box = scale_box(x, y, w, h, scale)
                out.append(Detection(box, min(1.0, peak / 128.0), self.name, "activity"))
        return out

    def _reference(self, t: float) -> _Past | None:
        best = None
        for past in self.history:
            if past.time <= t + 1e-6:
                best = past
        return best

    def _remember(self, now: _Past) -> None:
        self.history.append(now)
        keep = 2 * self.cfg.gap_s + 1.0
        while len(self.history) > 2 and self.history[1].time < now.time - keep:
            self.history.popleft()

    def _difference(self, ref: _Past, now: _Past) -> np.ndarray | None:
        if ref.des is None or now.des is None or len(ref.kp) < self.cfg.min_matches:
            return None
        matches = self.matcher.match(ref.des, now.des)
        if len(matches) < self.cfg.min_matches:
            return None
        src = ref.kp[[m.queryIdx for m in matches]]
        dst = now.kp[[m.trainIdx for m in matches]]
        h, inliers = cv2.findHomography(src, dst, _ROBUST[self.cfg.estimator], self.cfg.ransac_px)
        if h is None or int(inliers.sum()) < self.cfg.min_matches:
            return None
        size = (now.grey.shape[1], now.grey.shape[0])
        warped = cv2.warpPerspective(ref.grey, h, size, flags=cv2.INTER_LINEAR)
        wvalid = cv2.warpPerspective(ref.valid, h, size, flags=cv2.INTER_NEAREST)
        valid = cv2.erode(cv2.bitwise_and(wvalid, now.valid), _K3, iterations=3)
        m_now = cv2.mean(now.grey, valid)[0]
        m_ref = cv2.mean(warped, valid)[0]
        if m_ref > 1.0:
            warped = cv2.convertScaleAbs(warped, alpha=m_now / m_ref)
        hi = cv2.dilate(warped, _K3)
        lo = cv2.erode(warped, _K3)
        diff = cv2.min(_outside(now.grey, lo, hi), _outside(now.soft, lo, hi))
        return cv2.bitwise_and(diff, valid)


def _outside(grey: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """How far each pixel lies outside the [lo, hi] range of the warped earlier frame."""
    return cv2.max(cv2.subtract(grey, hi), cv2.subtract(lo, grey))
