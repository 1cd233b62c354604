"""Privacy zones blacked out of frames, before any detector sees them and before anything is stored.

Each zone from the district is widened by ``margin_m`` (pose and attitude are never exact), cut to
the frame's ground footprint, and projected into the picture through the frame's own pose. The
mask is one uint8 image (255 = hidden) that the detectors also receive, so that motion across the
mask's edge is not mistaken for activity.
"""

from __future__ import annotations

import cv2
import numpy as np
import shapely
from shapely.geometry import Polygon

from mission.model import District
from vision.camera import Camera, ground_points, ground_to_image
from vision.pose import Pose

__all__ = ["PrivacyMasker"]


class PrivacyMasker:
    def __init__(self, district: District, camera: Camera, margin_m: float = 5.0):
        self.district = district
        self.camera = camera
        zones = [z.shape.buffer(margin_m) for z in district.privacy_zones]
        self.zones = shapely.union_all(zones) if zones else None

    def footprint(self, pose: Pose, height_m: float, x: float, y: float) -> Polygon:
        """Ground outline of the frame in world metres, sampled along the edges."""
        w, h = self.camera.width, self.camera.height
        t = np.linspace(0.0, 1.0, 9)[:-1]
        u = np.concatenate([t * w, np.full(8, w), (1 - t) * w, np.zeros(8)])
        v = np.concatenate([np.zeros(8), t * h, np.full(8, h), (1 - t) * h])
        gx, gy = ground_points(self.camera, pose.attitude, (x, y, height_m), u, v)
        return Polygon(np.column_stack([gx, gy])).buffer(0)

    def mask(self, pose: Pose, height_m: float) -> np.ndarray | None:
        """255 where a privacy zone is in the picture; None when no zone is in view."""
        if self.zones is None:
            return None
        x, y = (float(a) for a in self.district.frame.to_metric(pose.lon, pose.lat))
        seen = self.zones.intersection(self.footprint(pose, height_m, x, y))
        if seen.is_empty:
            return None
        hom = ground_to_image(self.camera, pose.attitude, (0.0, 0.0, height_m))
        out = np.zeros((self.camera.height, self.camera.width), np.uint8)
        polys = (
            [seen]
            if isinstance(seen, Polygon)
            else [g for g in getattr(seen, "geoms", []) if isinstance(g, Polygon)]
        )
        for poly in polys:
            rings = [poly.exterior, *poly.interiors]
            pix = []
            for ring in rings:
                xy = np.asarray(ring.coords, float) - (x, y)
                uv = cv2.perspectiveTransform(xy.reshape(-1, 1, 2), hom)
                pix.append(np.round(uv).astype(np.int32))
            cv2.fillPoly(out, pix[:1], 255)
            if len(pix) > 1:
                cv2.fillPoly(out, pix[1:], 0)
        return cv2.dilate(out, np.ones((5, 5), np.uint8)) if out.any() else None

    @staticmethod
    def apply(image: np.ndarray, hidden: np.ndarray | None) -> np.ndarray:
        """A copy of ``image`` with hidden pixels black (the original is never modified)."""
        if hidden is None:
            return image
        out = image.copy()
        out[hidden > 0] = 0
        return out
