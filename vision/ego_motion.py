"""The camera's own motion between two frames, as one homography of the ground plane.

From patrol height the ground is close to a plane, so one homography maps an earlier frame onto
the current one; what it does not explain (movers, tall buildings under parallax) is left for the
motion tests. ORB features are matched both ways and the homography is fitted robustly
(MAGSAC++ or RANSAC). A fit is refused, rather than guessed, when too few matches agree or too
small a share of them do: that is a scene cut, a blurred frame or a featureless view.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Features", "Registration", "features", "register"]

_ROBUST = {"ransac": cv2.RANSAC, "magsac": cv2.USAC_MAGSAC}


@dataclass(frozen=True)
class Features:
    """Keypoint positions (N x 2, work pixels) and their ORB descriptors."""

    points: np.ndarray
    descriptors: np.ndarray | None


@dataclass(frozen=True)
class Registration:
    """``homography`` maps earlier-frame pixels onto current-frame pixels."""

    homography: np.ndarray
    inliers: int
    matches: int


def features(orb: cv2.ORB, grey: np.ndarray, mask: np.ndarray | None) -> Features:
    """ORB keypoints and descriptors of one working image (``mask`` 255 where usable)."""
    kp, des = orb.detectAndCompute(grey, mask)
    return Features(np.float32([k.pt for k in kp]).reshape(-1, 2), des)


def register(
    earlier: Features,
    now: Features,
    *,
    estimator: str,
    reproj_px: float,
    min_inliers: int,
    min_inlier_share: float,
) -> Registration | None:
    """The ground homography from ``earlier`` to ``now``, or None when it cannot be trusted."""
    if earlier.descriptors is None or now.descriptors is None:
        return None
    if min(len(earlier.points), len(now.points)) < min_inliers:
        return None
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True)
    matches = matcher.match(earlier.descriptors, now.descriptors)
    if len(matches) < min_inliers:
        return None
    src = earlier.points[[m.queryIdx for m in matches]]
    dst = now.points[[m.trainIdx for m in matches]]
    h, inliers = cv2.findHomography(src, dst, _ROBUST[estimator], reproj_px)
    if h is None or inliers is None or not np.isfinite(h).all():
        return None
    n_in = int(inliers.sum())
    if n_in < min_inliers or n_in < min_inlier_share * len(matches):
        return None
    return Registration(h, n_in, len(matches))
