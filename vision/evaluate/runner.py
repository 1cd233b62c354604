"""Detectors and tracker over frames with no telemetry: what ``gridpatrol vision eval`` runs.

Without a pose nothing can be geotagged, so the tracker works in the image: positions are pixels
times the ground sampling distance when a height is given, else times a nominal one (the frame
taken as ``NOMINAL_VIEW_M`` wide), so its radii in metres keep a sensible size. The camera is
assumed still between frames for tracking only; the activity detector compensates camera motion
itself, and the tracker links movers by their measured displacement.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vision.config import VisionConfig
from vision.detectors.base import Detection, Detector, FrameContext, looked_by
from vision.geotag import GroundFix
from vision.tracker import Observation, Tracker

__all__ = ["NOMINAL_VIEW_M", "EvalRecord", "Evaluator"]

NOMINAL_VIEW_M = 100.0


@dataclass(frozen=True)
class EvalRecord:
    """One detection as written to ``--detections-out`` (one JSON object per line)."""

    frame: int
    file: str
    detector: str
    code: str
    box: tuple[int, int, int, int]
    score: float
    track: int | None
    size_class: str | None = None

    def as_json(self) -> dict:
        return {
            "frame": self.frame,
            "file": self.file,
            "detector": self.detector,
            "code": self.code,
            "box": list(self.box),
            "score": round(self.score, 4),
            "track": self.track,
            "size_class": self.size_class,
        }


@dataclass
class Evaluator:
    config: VisionConfig
    detectors: Sequence[Detector]
    height_m: float | None = None
    alerts: int = 0
    alerts_by_code: dict[str, int] = field(default_factory=dict)
    quiet: int = 0  # confirmed person-sized movers that raised no alert ([tracker])
    frames: int = 0
    busy_s: float = 0.0
    cpu_s: float = 0.0
    _tracker: Tracker | None = None
    _camera: object = None

    def __post_init__(self) -> None:
        self._tracker = Tracker(self.config.tracker)

    def process(self, index: int, t: float, image: np.ndarray, file: str = "") -> list[EvalRecord]:
        """Run every detector on one frame and the tracker on their boxes."""
        from vision.pipeline import camera_for

        started, cpu = time.perf_counter(), time.process_time()
        h, w = image.shape[:2]
        if self._camera is None or (self._camera.width, self._camera.height) != (w, h):
            self._camera = camera_for(self.config, w, h)
        ctx = FrameContext(image, t, self._camera, None, self.height_m)
        found: list[Detection] = []
        for det in self.detectors:
            boxes = det.detect(ctx)
            ctx.proposals.extend(boxes)
            found.extend(boxes)
        m_per_px = ctx.gsd_m or NOMINAL_VIEW_M / w
        observations = [_observe(d, m_per_px) for d in found]
        for event in self._tracker.update(t, observations, looked_by(self.detectors)):
            if event.kind == "new":
                self.alerts += 1
                code = event.track.code
                self.alerts_by_code[code] = self.alerts_by_code.get(code, 0) + 1
        self.quiet = self._tracker.quiet
        self.frames += 1
        self.busy_s += time.perf_counter() - started
        self.cpu_s += time.process_time() - cpu
        return [
            EvalRecord(index, file, d.detector, d.code, d.box, d.score, track, d.size_class)
            for d, track in zip(found, self._tracker.tracks, strict=True)
        ]


def _observe(det: Detection, m_per_px: float) -> Observation:
    u, v = det.ground_pixel
    fix = GroundFix(u * m_per_px, v * m_per_px, 0.0, 0.0, 0.0, 0, None)
    origin = None
    if det.shift is not None:
        origin = ((u - det.shift[0]) * m_per_px, (v - det.shift[1]) * m_per_px)
    return Observation(det, fix, origin)
