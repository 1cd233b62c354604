"""Motion on a real video at its own frame rate, scored against tracks of the vehicles that move.

The aerial-cars frames are sparse samples, one a second; a drone's video comes at 25-30 fps and
the activity detector judges it 10 times a second. With tracking ground truth (MOT CSV of the
moving vehicles, ``vision.evaluate.tracks``) a clip says what the ground team would meet: movers
found by a detection, movers alerted, alerts per mover, alerts on no labelled mover, alerts that
followed several movers. Run without a height, then with the height at which the labelled
vehicles are 4.5 m long (``_height_from_boxes``; a stand-in for telemetry). Also the default
pipeline's speed on the clip scaled to 720p, one core.
"""

from __future__ import annotations

from pathlib import Path

import cv2
from _aerial_frames import _height_from_boxes
from _report import _pct, _say

from vision.config import load_config
from vision.detectors import build_detectors
from vision.evaluate.runner import Evaluator
from vision.evaluate.tracks import read_mot, score_tracks
from vision.pipeline import camera_for
from vision.source import VideoFileSource

__all__ = ["video_motion"]


def _frames(path: Path) -> tuple[list, float]:
    source = VideoFileSource(path, 0.0)
    try:
        return [(f.index, f.time, f.image) for f in source], source.fps or 25.0
    finally:
        source.close()


def video_motion(path: Path, tracks_path: Path, first_frame: int) -> None:
    config = load_config()
    frames, fps = _frames(path)
    if not frames:
        _say(f"video {path.name}", "skipped: no frames could be read")
        return
    h, w = frames[0][2].shape[:2]
    tracks = read_mot(tracks_path, (w, h), first_frame)
    scored = [f for f in frames if f[0] <= tracks.last_frame]
    minutes = len(scored) / fps / 60.0
    boxes = [b for v in tracks.boxes.values() for b, _ in v]
    height = _height_from_boxes(boxes, camera_for(config, w, h).fx)
    print(
        f"video {path.name}: {w}x{h} at {fps:g} fps, {len(scored)} labelled frames "
        f"({minutes * 60:.1f} s), {len(tracks.movers)} moving vehicles tracked "
        f"({tracks.turned} boxes turned, {tracks.dropped} dropped)"
    )
    for label, height_m in (("without a height", None), (f"at {height:.0f} m", height)):
        ev = Evaluator(config, build_detectors(["activity"], config), height_m)
        records = [r for i, t, image in scored for r in ev.process(i, t, image)]
        s = score_tracks(records, tracks)
        n = s.movers
        _say(f"  {label}: moving vehicles found by a detection", _pct(s.found, n))
        _say("    moving vehicles with an alert", _pct(s.alerted, n))
        _say("    motion detections on a tracked mover", _pct(s.on_movers, s.detections))
        _say(
            "    alerts per alerted mover (goal 1)",
            f"{s.per_mover:.2f} ({s.alerts_on_movers} alerts on {s.alerted} movers)",
        )
        _say("    alerts that followed several movers", f"{s.shared} (goal 0)")
        _say(
            "    alerts met per mover (distinct alerts on its detections)",
            f"{s.met_per_mover:.2f} ({s.met} on {s.followed} movers; what a scorer of "
            "--detections-out counts)",
        )
        _say(
            "    alerts on no tracked mover, per minute",
            f"{s.alerts_on_nothing / minutes:.1f} ({s.alerts_on_nothing} of {s.alerts}; the "
            "tracks cover most, not all, movers)",
        )
        _say("    person-sized movers held back (no alert)", str(ev.quiet))
    cv2.setNumThreads(1)
    small = [
        (i, t, cv2.resize(im, (1280, 720), interpolation=cv2.INTER_AREA)) for i, t, im in frames
    ]
    ev = Evaluator(config, build_detectors(["activity", "bloom"], config))
    for i, t, image in small:
        ev.process(i, t, image)
    _say(
        "  default pipeline on this clip at 720p, one core (goal >= 25)",
        f"{ev.frames / ev.cpu_s:.1f} fps per CPU second ({ev.frames / ev.busy_s:.1f} wall)",
    )
