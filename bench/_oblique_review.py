"""Motion alerts on real oblique footage from drones that move, judged by eye.

The other real sets look straight down on streets from a camera that holds still between frames
(the junction clip is stabilised). A patrol camera often looks ahead at an angle from a drone that
drifts and turns. Then trees, façades and roof edges move against the ground under parallax, and
the sky can enter the picture. Kitware's MEVA UAV montage is real footage of exactly that, but
it has no labels. So each alert of the default detector was viewed by eye: the first detection's
crop beside the same place 20 frames later (``review/meva-uav-alerts.jsonl``; its README says
more). Verdicts:

- ``person``: one or more people walking;
- ``vehicle``: a vehicle (in a montage whose camera moves, whether it drove could not always
  be told);
- ``relief``: nothing that moves: something standing that moves only by parallax (a tree, a
  façade, a roof edge, a lamp post, a water tower, a shed), or a stretch of ground;
- ``sky``: clouds.

The montage is cut from 31 clips. Each clip of at least ``MIN_FRAMES`` frames is scored on its
own, with a fresh detector (a cut is no motion), from ``review/meva-uav-segments.csv``. The
montage was "re-encoded for accelerated playback" at a speed-up it does not state, so alerts
per minute are per minute of the video as played (the real minute is longer, so the real rate
is lower). An alert that the review does not cover (after a detector change) is counted and
printed as "not reviewed", never guessed.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from _motion_review import load_review, verdict_of
from _report import _say

from vision.config import load_config
from vision.detectors import build_detectors
from vision.evaluate.runner import Evaluator
from vision.source import VideoFileSource

__all__ = ["oblique_alerts"]

HERE = Path(__file__).resolve().parent / "review"
REVIEW = HERE / "meva-uav-alerts.jsonl"
SEGMENTS = HERE / "meva-uav-segments.csv"
VERDICTS = ("person", "vehicle", "relief", "sky")
PARALLAX_RATIO = 0.6  # the opt-in parallax test, tried when it is off
MIN_FRAMES = 40  # shorter clips of the montage are left out (under 1.3 s: nothing confirms)


def _segments(path: Path) -> list[tuple[int, int, int]]:
    """(segment, first frame, last frame), 0-based and inclusive, of the clips long enough."""
    with path.open(newline="") as f:
        rows = [(int(r["segment"]), int(r["first_frame_0based"]), int(r["last_frame_0based"]))
                for r in csv.DictReader(f)]  # fmt: skip
    return [(s, a, b) for s, a, b in rows if b - a + 1 >= MIN_FRAMES]


def _at(entry: dict) -> tuple[int, int]:
    """A verdict's place in the montage: (segment, frame within it)."""
    return int(entry["segment"]), int(entry["frame"])


def oblique_alerts(video: Path) -> None:
    """Score the motion detector's alerts on the MEVA montage, clip by clip: as configured, and
    with the opt-in parallax test at ``PARALLAX_RATIO`` when it is off."""
    config = load_config()
    review = load_review(REVIEW, VERDICTS, _at, "a segment's frame")
    _score(video, config, review, "as configured")
    if config.activity.parallax_max_ratio == 0:
        tried = config.with_changes(activity={"parallax_max_ratio": PARALLAX_RATIO})
        _score(video, tried, review, f"with [activity] parallax_max_ratio = {PARALLAX_RATIO}")


def _score(video: Path, config, review: dict, title: str) -> None:
    clips = _segments(SEGMENTS)
    wanted = {i: (s, a) for s, a, b in clips for i in range(a, b + 1)}
    source = VideoFileSource(video, 0.0)
    fps = source.fps or 29.97
    verdicts: Counter[str] = Counter()
    frames = refused = 0
    current, ev, first = None, None, {}
    try:
        for frame in source:
            if frame.index not in wanted:
                continue
            segment, start = wanted[frame.index]
            if segment != current:
                refused += ev.detectors[0].stats["parallax"] if ev else 0
                current, ev = segment, Evaluator(config, build_detectors(["activity"], config))
            frames += 1
            local = frame.index - start
            for r in ev.process(local, local / fps, frame.image):
                if r.track is not None and (segment, r.track) not in first:
                    first[(segment, r.track)] = (local, r.box)
    finally:
        source.close()
    refused += ev.detectors[0].stats["parallax"] if ev else 0
    for (segment, _), (local, box) in first.items():
        verdicts[verdict_of(review, (segment, local), box) or "not reviewed"] += 1
    minutes = frames / fps / 60.0
    alerts = len(first)
    still = verdicts["relief"] + verdicts["sky"]
    print(f"oblique video {video.name}, {title}: {len(clips)} clips of at least {MIN_FRAMES} "
          f"frames, {frames} frames ({minutes * 60:.0f} s as played; accelerated, by an unstated "
          f"factor)")  # fmt: skip
    _say("  alerts (no height), per minute as played", f"{alerts}, {alerts / minutes:.1f}")
    _say("  by eye: on people / vehicles",
         f"{verdicts['person']} / {verdicts['vehicle']}")  # fmt: skip
    _say("  by eye: on relief under parallax / on sky",
         f"{verdicts['relief']} / {verdicts['sky']}")  # fmt: skip
    _say("  by eye: alerts on nothing moving per minute (goal <= 1)",
         f"{still / minutes:.1f} ({still} of {alerts}; not reviewed {verdicts['not reviewed']})")  # fmt: skip
    _say("  detections refused as parallax", str(refused))
