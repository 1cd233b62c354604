"""Labelled RGB frames of the real aerial sets, as the benchmarks read them.

Files are named ``<video>-<number>.jpg`` (or ``.png``) with a YOLO ``.txt`` beside them (as in
jekhor/aerial-cars-dataset); number n is taken as n x seconds-per-number. The sets carry no telemetry, so a camera height is
estimated from the labelled cars when a benchmark wants sizes in metres.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from vision.evaluate.movers import LabelledFrame

__all__ = [
    "CAR_NAMES",
    "KIT_SECONDS_PER_NUMBER",
    "KIT_TITLE",
    "_height_from_boxes",
    "_height_from_cars",
    "_videos",
    "kit_sequences",
]

CAR_NAMES = ["car", "truck", "bus", "minibus"]  # aerial-cars classes 0-3 (its SOURCES.md)
_NAME = re.compile(r"^(?P<video>.+)-(?P<number>\d+)$")
# KIT AIS (Karlsruhe Institute of Technology; CC BY 3.0 "KIT AIS Data Set"): nadir image sequences
# of Munich streets taken from an aircraft, stored in jekhor/aerial-cars-dataset as MOS<n>.png and
# MunichStreet02-MOS<n>.png with YOLO labels of every vehicle (classes as aerial-cars'; its fifth,
# cyclist, is not used there). The sequences' camera takes 1-3 frames a second; 0.5 s fits the
# cars' motion (0.6-1.2 car lengths between frames in free traffic).
KIT_SECONDS_PER_NUMBER = 0.5
KIT_TITLE = "held out: KIT AIS airborne sequences (not drone; no default was chosen on them)"
_KIT = re.compile(r"^(?P<street>MunichStreet02-)?MOS(?P<number>\d+)$")


def _videos(folder: Path, spn: float) -> dict[str, list[tuple[float, Path]]]:
    out: dict[str, list[tuple[float, Path]]] = defaultdict(list)
    for p in sorted([*folder.glob("*.jpg"), *folder.glob("*.png")]):
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


def kit_sequences(clone: Path, out: Path) -> int:
    """Link the KIT AIS sequences of a jekhor/aerial-cars-dataset clone into ``out`` under the
    ``<video>-<number>`` names ``_videos`` reads: ``KIT-ms02`` (MunichStreet02-MOS74-93),
    ``KIT-crossroad`` (MOS74-93) and ``KIT-street`` (MOS155-179). Returns the frames linked."""
    n = 0
    for p in sorted(clone.glob("*.png")):
        m = _KIT.match(p.stem)
        if not m or not p.with_suffix(".txt").is_file():
            continue
        number = int(m["number"])
        video = "KIT-ms02" if m["street"] else "KIT-crossroad" if number < 100 else "KIT-street"
        for suffix in (".png", ".txt"):
            (out / f"{video}-{number:05d}{suffix}").symlink_to(p.with_suffix(suffix).resolve())
        n += 1
    return n
