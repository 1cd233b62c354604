"""What a detector sees (``FrameContext``), what it returns (``Detection``) and its Protocol.

The context carries the frame with privacy zones already blacked out, the mask of those zones,
the ground sampling distance implied by altitude and camera, and the boxes earlier detectors
proposed (the people detector only looks where the activity detector saw motion). Downscaled
working copies are made once per frame and shared by all detectors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import cv2
import numpy as np

from vision.camera import Attitude, Camera, ground_points
from vision.pose import Pose

__all__ = [
    "Detection",
    "Detector",
    "FrameContext",
    "chroma",
    "looked_by",
    "scale_box",
    "take_notices",
]


@dataclass(frozen=True)
class Detection:
    """One box in full-frame pixels. ``anchor`` says which point stands on the ground.

    A mover also carries ``shift``: how far (full-frame pixels) it moved in the ``shift_s``
    seconds before this frame, which lets the tracker link its sightings however fast it drives,
    and, when the frame's ground sampling is known, ``size_class`` ("vehicle-sized" or
    "person-sized", ``vision.detectors.size_class``).
    """

    box: tuple[int, int, int, int]
    score: float
    detector: str
    code: str
    anchor: Literal["centre", "foot"] = "centre"
    shift: tuple[float, float] | None = None
    shift_s: float = 0.0
    size_class: str | None = None

    @property
    def ground_pixel(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.box
        return ((x0 + x1) / 2.0, y1 if self.anchor == "foot" else (y0 + y1) / 2.0)


@dataclass
class FrameContext:
    """One frame as detectors see it; ``hidden`` is 255 where privacy zones were blacked out."""

    image: np.ndarray
    time: float
    camera: Camera
    pose: Pose | None
    height_m: float | None
    hidden: np.ndarray | None = None
    proposals: list[Detection] = field(default_factory=list)
    _work: dict = field(default_factory=dict, repr=False)
    _gsd: float | None = field(default=None, repr=False)

    @property
    def gsd_m(self) -> float | None:
        """Metres per full-resolution pixel at the image centre, or None without a usable pose.

        The square root of the pixel's ground area, so oblique views (where a pixel covers more
        ground along the line of sight than across it) turn square metres into pixels correctly.
        A height at or below the ground, or not a number, gives None: detectors then fall back
        to pixel sizes or skip, instead of dividing by zero.
        """
        if self._gsd is None:
            self._gsd = self.gsd_at(self.height_m)
        return self._gsd

    def gsd_at(self, height_m: float | None) -> float | None:
        """Metres per full-resolution pixel at the image centre seen from ``height_m``: the
        frame's own height for ``gsd_m``, or a bound on it when the height is unknown."""
        if height_m is None or not math.isfinite(height_m) or height_m <= 0:
            return None
        cam = self.camera
        att = self.pose.attitude if self.pose is not None else Attitude()
        u = [cam.cx - 0.5, cam.cx + 0.5, cam.cx, cam.cx]
        v = [cam.cy, cam.cy, cam.cy - 0.5, cam.cy + 0.5]
        gx, gy = ground_points(cam, att, (0.0, 0.0, height_m), u, v)
        across = math.hypot(gx[1] - gx[0], gy[1] - gy[0])
        along = math.hypot(gx[3] - gx[2], gy[3] - gy[2])
        gsd = math.sqrt(across * along)
        return gsd if math.isfinite(gsd) and gsd > 0 else None

    def work(self, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, float]:
        """(bgr, grey, hidden, scale) at ``width`` px wide; ``scale`` = full px per work px."""
        key = int(width)
        hit = self._work.get(key)
        if hit is None:
            h, w = self.image.shape[:2]
            if w <= width:
                bgr, hidden, scale = self.image, self.hidden, 1.0
            else:
                scale = w / width
                size = (width, int(round(h / scale)))
                bgr = cv2.resize(self.image, size, interpolation=cv2.INTER_AREA)
                hidden = None
                if self.hidden is not None:
                    hidden = cv2.resize(self.hidden, size, interpolation=cv2.INTER_NEAREST)
            grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
            hit = (bgr, grey, hidden, scale)
            self._work[key] = hit
        return hit


class Detector(Protocol):
    """A frame detector: stateful ones (activity) keep their own short history. One that skips
    frames (activity judges at most ``max_rate_hz``) sets ``looked`` False for a frame it did not
    look at (``looked_by``), so that frame is no miss for its candidates."""

    name: str

    def detect(self, ctx: FrameContext) -> list[Detection]: ...


def looked_by(detectors: Sequence[Detector]) -> set[str]:
    """The names of the detectors that looked at the last frame (``Tracker.update``'s
    ``looked``): a 30 fps video judged at 10 Hz must not count two misses between sightings."""
    return {d.name for d in detectors if getattr(d, "looked", True)}


def take_notices(detectors: Sequence[Detector]) -> list[str]:
    """What detectors have to say once (``people`` cannot resolve anyone at this height,
    ``thermal`` was given colour frames), taken so that each is printed once, when it arises."""
    out: list[str] = []
    for det in detectors:
        notices = getattr(det, "notices", None)
        if isinstance(notices, list):
            out += notices
            notices.clear()
    return out


def scale_box(x: int, y: int, w: int, h: int, scale: float) -> tuple[int, int, int, int]:
    """A work-image box (x, y, w, h) as a full-frame (x0, y0, x1, y1) box."""
    return (
        int(x * scale),
        int(y * scale),
        int(np.ceil((x + w) * scale)),
        int(np.ceil((y + h) * scale)),
    )


def chroma(bgr: np.ndarray) -> float:
    """Mean colour saturation proxy: 0 for greyscale, about 13-19 for daylight aerial RGB."""
    small = bgr[::4, ::4].astype(np.int16)
    return float(
        np.mean(np.abs(small[..., 0] - small[..., 1]) + np.abs(small[..., 1] - small[..., 2]))
    )
