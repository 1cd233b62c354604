"""The drone's camera in the demo: synthetic footage along the flown track, run through vision.

``sim.footage`` renders what a nadir camera saw along the flight (procedural ground, moving people
and vehicles, flowering plots, all seeded); the vision pipeline flags frames, geotags them with
poses and publishes alerts through the telemetry spool. Only the airborne part is filmed (see
``sim.footage.TrackFlight``), a few seconds of low-resolution frames: enough to show alerts, quick
on two cores.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

from mission.model import District
from sim.footage import FootageSpec, Renderer, TrackFlight
from vision.alerts import Alert, MqttAlertSink
from vision.config import load_config
from vision.pipeline import PipelineStats
from vision.pose import PoseTrack
from vision.run import flag_frames, vision_pipeline
from vision.source import Frame

__all__ = ["slowed", "film_and_flag", "FOOTAGE", "DETECTORS"]

FOOTAGE = {"width": 480, "height": 270, "fps": 4.0, "people": 6, "vehicles": 6, "blooms": 4}
DETECTORS = ("activity", "bloom")
PATROL_SHARE = 0.8  # filmed from this share of the highest altitude up


def slowed(track: PoseTrack, factor: float) -> PoseTrack:
    """The same flight on a clock ``factor`` times slower, counted from its first sample.

    SITL at speed-up N lives N times faster than the wall clock its telemetry is stamped with;
    slowing its track by N gives the camera back its real ground speed, so frame-to-frame motion
    (what the activity detector registers) is that of a real patrol.
    """
    out = PoseTrack(track.max_gap_s * factor)
    t0 = track.start
    for t, *_ in track.positions():
        pose = track.at(t)
        if pose is None:
            continue
        moved = t0 + (t - t0) * factor
        out.add_position(moved, pose.lat, pose.lon, pose.alt_msl_m, pose.alt_rel_m)
        a = pose.attitude
        out.add_attitude(moved, a.roll_deg, a.pitch_deg, a.yaw_deg)
    return out


def film_and_flag(
    district: District,
    flown: PoseTrack,
    poses: PoseTrack,
    *,
    publisher,
    vehicle: str,
    evidence_dir: Path,
    seed: int,
    seconds: float,
    wait_pose: Callable[[float], bool] = lambda t: True,
    on_alert: Callable[[Alert], None] = lambda a: None,
) -> PipelineStats:
    """Film ``seconds`` of the airborne part of ``flown`` and flag it, geotagging with ``poses``.

    ``wait_pose(t)`` holds each frame until the telemetry for its time has arrived (False: it
    never will), so in a live run the alerts follow the drone instead of running ahead of it.
    """
    patrol_height = max(p[4] for p in flown.positions())  # relative altitude: not the climb
    flight = TrackFlight(flown, district, min_height_m=PATROL_SHARE * patrol_height)
    spec = FootageSpec(**FOOTAGE, seconds=seconds, seed=seed, start_time=flight.t0)
    renderer = Renderer(district, flight, spec)
    config = load_config().with_changes(
        alerts={"vehicle": vehicle, "evidence_dir": str(evidence_dir)}
    )
    pipeline = vision_pipeline(
        district, config, detectors=DETECTORS, poses=poses, sink=MqttAlertSink(publisher),
        evidence_dir=evidence_dir,
    )  # fmt: skip
    frames = (
        Frame(r.index, r.time, r.image)
        for r in itertools.takewhile(lambda r: wait_pose(r.time), renderer.frames())
    )
    return flag_frames(pipeline, frames, on_alert=on_alert)
