"""Writing rendered footage to disk: an MP4, a ``.tlog`` of the camera's flight, and the truth.

The ``.tlog`` is written through ``vehicle.tlog`` (8-byte big-endian µs stamp + MAVLink 2 packet),
the same writer a live link records with, so the geotagger replays it like any real log.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import cv2

from mission.text import N_
from sim.errors import SimError
from sim.footage.render import Renderer
from vehicle.tlog import TlogWriter
from vision.pose import Pose

__all__ = ["FootageFiles", "write_footage", "write_tlog"]


@dataclass(frozen=True)
class FootageFiles:
    video: Path
    tlog: Path
    truth: Path
    frames: int


def write_footage(renderer: Renderer, out_dir: Path, name: str = "footage") -> FootageFiles:
    """Render every frame into ``<name>.mp4``, the flight into ``<name>.tlog``, truth into JSON."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = renderer.spec
    video, tlog, truth_path = (out_dir / f"{name}{ext}" for ext in (".mp4", ".tlog", ".truth.json"))
    writer = cv2.VideoWriter(
        str(video), cv2.VideoWriter_fourcc(*"mp4v"), spec.fps, (spec.width, spec.height)
    )
    if not writer.isOpened():
        raise SimError(
            N_(
                "cannot write {video}: OpenCV has no mp4v encoder here; check the folder",
                video=video,
            )
        )
    frames = []
    try:
        for fr in renderer.frames():
            writer.write(fr.image)
            frames.append(
                {
                    "i": fr.index,
                    "t": round(fr.time, 4),
                    "pose": _pose_json(fr.pose),
                    "targets": fr.truth,
                }
            )
    finally:
        writer.release()
    _stamp_mp4(video, spec.start_time)
    write_tlog(renderer, tlog)
    cam = renderer.camera
    doc = {
        "start_time": spec.start_time,
        "fps": spec.fps,
        "district_elevation_m": renderer.elev,
        "camera": {
            "width": cam.width,
            "height": cam.height,
            "hfov_deg": spec.hfov_deg,
            "mount_pitch_deg": cam.mount_pitch_deg,
        },
        "spec": spec.model_dump(),
        "targets": [{"id": t.id, "kind": t.kind, "moving": t.moving} for t in renderer.targets],
        "frames": frames,
    }
    truth_path.write_text(json.dumps(doc))
    return FootageFiles(video, tlog, truth_path, len(frames))


def _stamp_mp4(path: Path, start_time: float) -> None:
    """Write the clip's start into the MP4's ``mvhd`` creation time, as a camera would."""
    from vision.source import mvhd_offset

    where = mvhd_offset(path)
    if where is None:
        return
    offset, width = where
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(int(start_time + 2_082_844_800).to_bytes(width, "big"))


def _pose_json(p: Pose) -> dict:
    a = p.attitude
    return {
        "lat": round(p.lat, 8),
        "lon": round(p.lon, 8),
        "alt_msl_m": round(p.alt_msl_m, 3),
        "alt_rel_m": round(p.alt_rel_m, 3),
        "roll_deg": round(a.roll_deg, 3),
        "pitch_deg": round(a.pitch_deg, 3),
        "yaw_deg": round(a.yaw_deg, 3),
    }


def write_tlog(renderer: Renderer, path: Path, rate_hz: float = 20.0) -> None:
    """The camera's flight as a telemetry log a ground station (and the geotagger) can replay."""
    from pymavlink.dialects.v20 import ardupilotmega as apm

    mav = apm.MAVLink(None, srcSystem=1, srcComponent=1)
    spec = renderer.spec
    duration = renderer.frame_count / spec.fps
    n = int(duration * rate_hz) + int(rate_hz) + 1
    with TlogWriter(path) as out:
        for k in range(n):
            t = k / rate_hz
            pose = renderer.pose_at(min(t, renderer.flight.duration))
            wall = spec.start_time + t
            boot = int(t * 1000) + 60_000
            msgs = []
            if k % int(rate_hz) == 0:
                msgs.append(mav.heartbeat_encode(2, 3, 0x59, 3, 4))
            a = pose.attitude
            msgs.append(
                mav.global_position_int_encode(
                    boot,
                    int(round(pose.lat * 1e7)),
                    int(round(pose.lon * 1e7)),
                    int(round(pose.alt_msl_m * 1000)),
                    int(round(pose.alt_rel_m * 1000)),
                    0,
                    0,
                    0,
                    int(round(a.yaw_deg * 100)) % 36000,
                )
            )
            msgs.append(
                mav.attitude_encode(
                    boot,
                    math.radians(a.roll_deg),
                    math.radians(a.pitch_deg),
                    math.radians(((a.yaw_deg + 180) % 360) - 180),
                    0,
                    0,
                    0,
                )
            )
            for m in msgs:
                out.write(m.pack(mav), wall)
