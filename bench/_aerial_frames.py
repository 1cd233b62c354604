"""Labelled RGB frames of the real aerial sets, as the benchmarks read them.

Files are named ``<video>-<number>.jpg`` with a YOLO ``.txt`` beside them (as in
jekhor/aerial-cars-dataset); number n is taken as n x seconds-per-number. The sets carry no telemetry, so a camera height is
estimated from the labelled cars when a benchmark wants sizes in metres.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from vision.evaluate.movers import LabelledFrame

__all__ = ["CAR_NAMES", "_height_from_boxes", "_height_from_cars", "_videos"]

CAR_NAMES = ["car", "truck", "bus", "minibus"]  # aerial-cars classes 0-3 (its SOURCES.md)
_NAME = re.compile(r"^(?P<video>.+)-(?P<number>\d+)$")


def _videos(folder: Path, spn: float) -> dict[str, list[tuple[float, Path]]]:
    out: dict[str, list[tuple[float, Path]]] = defaultdict(list)
    for p in sorted(folder.glob("*.jpg")):
        m = _NAME.match(p.stem)
        if m and p.with_suffix(".txt").is_file():
            out[m["video"]].append((int(m["number"]) * spn, p))
    return {k: sorted(v) for k, v in out.items()}


def _height_from_cars(frames: list[LabelledFrame], camera_fx: float) -> float | None:
    """A stand-in for telemetry's height: the camera height at which the video's labelled cars
    (class car) are 4.5 m long (``_height_from_boxes``)."""
    return _height_from_boxes(
        [lb.box for f in frames for lb in f.labels.boxes if lb.name == "car"], camera_fx
    )


def _height_from_boxes(boxes, camera_fx: float) -> float | None:
    """The camera height at which the median of the boxes at least 1.8:1 (vehicles seen along an
    image axis) is 4.5 m long, a car's length."""
    lengths = [
        max(w, h)
        for b in boxes
        if min(w := b[2] - b[0], h := b[3] - b[1]) > 0 and max(w, h) >= 1.8 * min(w, h)
    ]
    return 4.5 / float(np.median(lengths)) * camera_fx if lengths else None
