"""The drone's camera in the demo: synthetic footage along the flown track, run through vision.

``sim.footage`` renders what a nadir camera saw along the flight (procedural ground, moving people
and vehicles, flowering plots, all seeded); the vision pipeline flags frames, geotags them with
poses and publishes alerts through the telemetry spool. Only the stretch flown at patrol height is
filmed, a few seconds of low-resolution frames: enough to show alerts, quick on two cores.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mission.district import CellIndex
from mission.model import District
from sim.footage import FootageSpec, Renderer, TrackFlight
from vision.alerts import Alert, EvidenceStore, MqttAlertSink
from vision.config import load_config
from vision.detectors import build_detectors
from vision.pipeline import Pipeline, PipelineStats
from vision.pose import Pose, PoseTrack
from vision.source import Frame

__all__ = ["TrackWindow", "patrol_window", "film_and_flag", "FOOTAGE", "DETECTORS"]

FOOTAGE = {"width": 480, "height": 270, "fps": 4.0}
DETECTORS = ("activity", "bloom")


class TrackWindow:
    """A stretch ``[start, end]`` of a pose track, played ``stretch`` times slower.

    SITL at speed-up N lives N times faster than the wall clock its telemetry is stamped with;
    stretching by N gives the camera back its real ground speed, so frame-to-frame motion (what
    the activity detector registers) is that of a real patrol.
    """

    def __init__(self, track: PoseTrack, start: float, end: float, stretch: float = 1.0):
        self.track, self.stretch = track, stretch
        self.start = start
        self.end = start + (end - start) * stretch

    def at(self, t: float) -> Pose | None:
        pose = self.track.at(self.start + (t - self.start) / self.stretch)
        return None if pose is None else dataclasses.replace(pose, time=t)


def patrol_window(track: PoseTrack, step_s: float = 0.5, share: float = 0.9) -> tuple[float, float]:
    """The longest stretch flown at ``share`` of the highest altitude: the patrol, not the climb."""
    if track.start is None or track.end is None:
        return (0.0, 0.0)
    times = np.arange(track.start, track.end, step_s)
    alts = np.array([p.alt_rel_m if (p := track.at(t)) else 0.0 for t in times])
    high = alts >= share * alts.max() if alts.max() > 5.0 else np.zeros(len(alts), bool)
    best, run_start, span = (0.0, 0.0), None, 0.0
    for t, up in zip(times, high, strict=True):
        if up and run_start is None:
            run_start = t
        if run_start is not None and (not up or t == times[-1]):
            if t - run_start > span:
                best, span = (run_start, t), t - run_start
            run_start = None
    return best


def film_and_flag(
    district: District,
    flight: TrackWindow,
    poses: TrackWindow | PoseTrack,
    *,
    publisher,
    vehicle: str,
    evidence_dir: Path,
    seed: int,
    seconds: float,
    wait_pose: Callable[[float], bool] = lambda t: True,
    on_alert: Callable[[Alert], None] = lambda a: None,
) -> PipelineStats:
    """Render ``seconds`` of footage along ``flight`` and flag it, geotagging with ``poses``.

    ``wait_pose(t)`` holds each frame until the telemetry for its time has arrived (False: it
    never will), so in a live run the alerts follow the drone instead of running ahead of it.
    """
    spec = FootageSpec(
        **FOOTAGE,
        seconds=max(1.0, min(seconds, flight.end - flight.start)),
        seed=seed,
        start_time=flight.start,
    )
    renderer = Renderer(district, TrackFlight(flight, district), spec)
    config = load_config().with_changes(
        alerts={"vehicle": vehicle, "evidence_dir": str(evidence_dir)}
    )
    pipeline = Pipeline(
        district=district,
        config=config,
        detectors=build_detectors(DETECTORS, config),
        poses=poses,
        sink=MqttAlertSink(publisher),
        evidence=EvidenceStore(
            evidence_dir, config.alerts.retention_days, config.alerts.jpeg_quality
        ),
        cells=CellIndex(district),
    )
    for rendered in renderer.frames():
        if not wait_pose(rendered.time):
            break
        for alert in pipeline.process(Frame(rendered.index, rendered.time, rendered.image)):
            on_alert(alert)
    return pipeline.stats
