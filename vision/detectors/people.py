"""People-shaped figures, as activity leads only: OpenCV's built-in HOG + linear SVM pedestrian model.

The model knows the outline of an upright body and nothing else; it says "something shaped like a
person is here", which is all an alert needs. No identity, appearance or trait is inferred.

HOG needs people roughly ``target_person_px`` tall. From the pose and camera the detector works out
how tall a 1.75 m upright person appears at the picture's centre: if that is under
``min_person_px`` (high altitude, or a nadir view where an upright body is seen end-on) it does
not run at all. Otherwise it rescales the frame so people come out at the right size, and because
HOG is slow (about 2 fps at 720p) it scans the whole frame only every ``every_n`` frames and, in
between, only the regions the activity detector proposed and those where it found figures in the
previous frame (so a figure, once found, is followed from frame to frame and can be confirmed).

At patrol heights it mostly does not apply (from 60-90 m an upright person is 0 px tall straight
down and 7-14 px at 45 deg). It says so once, in ``notices`` (for the command line to print),
and counts the frames it skipped in ``stats``, rather than returning nothing silently per frame.
Without a pose it cannot tell, and says that once instead.
"""

from __future__ import annotations

import cv2
import numpy as np

from vision.camera import ground_points, project_points
from vision.config import PeopleConfig
from vision.detectors.base import Detection, FrameContext

__all__ = ["PeopleDetector", "PERSON_HEIGHT_M"]

PERSON_HEIGHT_M = 1.75


class PeopleDetector:
    name = "people"

    def __init__(self, config: PeopleConfig):
        self.cfg = config
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.count = 0
        self._last: list[tuple[int, int, int, int]] = []
        self.notices: list[str] = []
        self.stats = {
            "frames": 0,
            "no_pose": 0,
            "not_applicable": 0,
            "full_scans": 0,
            "region_scans": 0,
        }

    def person_px(self, ctx: FrameContext, u: float | None = None, v: float | None = None) -> float:
        """Apparent height (px) of an upright person whose feet are at pixel (u, v) (default: centre)."""
        if ctx.pose is None or ctx.height_m is None:
            return 0.0
        cam, att = ctx.camera, ctx.pose.attitude
        pos = (0.0, 0.0, ctx.height_m)
        gx, gy = ground_points(
            cam, att, pos, cam.cx if u is None else u, cam.cy if v is None else v
        )
        pts = np.array([[gx[0], gy[0], 0.0], [gx[0], gy[0], PERSON_HEIGHT_M]])
        uv, front = project_points(cam, att, pos, pts)
        return float(np.hypot(*(uv[1] - uv[0]))) if front.all() else 0.0

    def detect(self, ctx: FrameContext) -> list[Detection]:
        self.stats["frames"] += 1
        self.count += 1
        if ctx.pose is None or ctx.height_m is None:
            self.stats["no_pose"] += 1
            if self.stats["no_pose"] == 1:
                self.notices.append(
                    "people: no pose, so it cannot tell whether upright people are tall enough "
                    f"(>= {self.cfg.min_person_px:g} px) to find; skipped. Give telemetry, or use "
                    "the thermal or model detector"
                )
            return []
        tall = self.person_px(ctx)
        if tall < self.cfg.min_person_px:
            self.stats["not_applicable"] += 1
            if self.stats["not_applicable"] == 1:
                self.notices.append(
                    f"people: an upright person is {tall:.0f} px tall at {ctx.height_m:.0f} m "
                    f"with this camera, under the {self.cfg.min_person_px:g} px HOG needs; "
                    "skipped while that holds. Fly lower with the camera tilted, or use the "
                    "thermal or model detector"
                )
            return []
        h, w = ctx.image.shape[:2]
        if self.count % self.cfg.every_n == 1 or self.cfg.every_n <= 1:
            self.stats["full_scans"] += 1
            regions = [((0, 0, w, h), tall)]
        else:
            regions = []
            for b in [*(p.box for p in ctx.proposals), *self._last]:
                # People nearer the camera look taller: scale each region for its own distance.
                here = self.person_px(ctx, (b[0] + b[2]) / 2, b[3]) or tall
                pad = int(here)
                box = (
                    max(0, b[0] - pad),
                    max(0, b[1] - pad),
                    min(w, b[2] + pad),
                    min(h, b[3] + pad),
                )
                regions.append((box, here))
            self.stats["region_scans"] += len(regions)
        boxes, scores = [], []
        for (x0, y0, x1, y1), px in regions:
            f = self.cfg.target_person_px / px
            crop = ctx.image[y0:y1, x0:x1]
            size = (int(round((x1 - x0) * f)), int(round((y1 - y0) * f)))
            if size[0] < 64 or size[1] < 128:
                continue
            crop = cv2.resize(
                crop, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
            )
            rects, weights = self.hog.detectMultiScale(
                crop,
                hitThreshold=self.cfg.hit_threshold,
                winStride=(8, 8),
                padding=(8, 8),
                scale=1.1,
            )
            for (rx, ry, rw, rh), wt in zip(rects, np.ravel(weights), strict=True):
                boxes.append([x0 + rx / f, y0 + ry / f, rw / f, rh / f])
                scores.append(float(wt))
        keep = cv2.dnn.NMSBoxes(boxes, scores, self.cfg.hit_threshold, 0.3) if boxes else []
        out = []
        for i in np.ravel(keep):
            x, y, bw, bh = boxes[i]
            box = (int(x), int(y), int(x + bw), int(y + bh))
            out.append(
                Detection(box, min(1.0, scores[i] / 3.0), self.name, "people", anchor="foot")
            )
        self._last = [d.box for d in out]
        return out
