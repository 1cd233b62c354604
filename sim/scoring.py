"""Detections against ground truth: per-detector precision and recall on rendered footage.

A detection matches a target when its box overlaps the target's box grown by ``tolerance_px``.
Only targets that a detector is meant to find count for recall (for activity: moving targets,
mostly inside the frame); any detection that matches none of them is a false positive.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from vision.detectors import FrameContext

__all__ = [
    "Score",
    "score_frames",
    "wanted_for",
    "detect_frames",
    "boxes_overlap",
    "alert_is_right",
]


@dataclass(frozen=True)
class Score:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        n = self.true_positives + self.false_positives
        return self.true_positives / n if n else 1.0

    @property
    def recall(self) -> float:
        n = self.true_positives + self.false_negatives
        return self.true_positives / n if n else 1.0


def wanted_for(detector: str) -> Callable[[dict], bool]:
    """Which truth records a detector should find."""
    if detector == "activity":
        return lambda t: t["moving"]
    if detector == "bloom":
        return lambda t: t["kind"] == "bloom"
    if detector == "people":
        return lambda t: t["kind"] == "person"
    return lambda t: True


def boxes_overlap(box: Sequence[float], target: Sequence[float], tol: float) -> bool:
    return not (
        box[2] < target[0] - tol
        or box[0] > target[2] + tol
        or box[3] < target[1] - tol
        or box[1] > target[3] + tol
    )


def score_frames(
    frames: Iterable[tuple[Sequence[Sequence[float]], Sequence[dict]]],
    wanted: Callable[[dict], bool],
    tolerance_px: float = 4.0,
    min_visible: float = 0.9,
    settle_frames: int = 0,
) -> Score:
    """``frames``: (detection boxes, truth records) per frame, in order.

    A target only counts as missed once it has been in view for ``settle_frames`` frames in a
    row: a motion detector that compares with frames ``gap`` seconds back cannot see motion on
    ground that was not yet in the picture then.
    """
    tp = fp = fn = 0
    in_view: dict[str, int] = {}
    for boxes, truth in frames:
        for t in truth:
            seen = t["box"] is not None and t["visible"] >= min_visible
            in_view[t["id"]] = in_view.get(t["id"], 0) + 1 if seen else 0
        targets = [t for t in truth if t["box"] is not None and wanted(t)]
        hits = [False] * len(targets)
        for b in boxes:
            matched = [i for i, t in enumerate(targets) if boxes_overlap(b, t["box"], tolerance_px)]
            if matched:
                for i in matched:
                    hits[i] = True
            else:
                fp += 1
        for hit, t in zip(hits, targets, strict=True):
            if hit:
                tp += 1
            elif t["visible"] >= min_visible and in_view[t["id"]] > settle_frames:
                fn += 1
    return Score(tp, fp, fn)


def detect_frames(detector, camera, frames) -> tuple[list[tuple[list, list[dict]]], float]:
    """Run one detector over rendered frames with their true poses.

    Returns (detection boxes, truth) per frame, ready for ``score_frames``, and the seconds spent
    inside the detector.
    """
    pairs, spent = [], 0.0
    for fr in frames:
        ctx = FrameContext(fr.image, fr.time, camera, fr.pose, fr.pose.alt_rel_m)
        t0 = time.perf_counter()
        boxes = [d.box for d in detector.detect(ctx)]
        spent += time.perf_counter() - t0
        pairs.append((boxes, fr.truth))
    return pairs, spent


def alert_is_right(alert: dict, truth: list[dict], district, cells) -> bool:
    """Whether an alert (JSON dict) lies at a true target of its kind, in that target's cell.

    "At" means within the alert's own uncertainty radius (at least 5 m); activity alerts must
    be at a moving target, bloom alerts at a flowering patch.
    """
    if alert["code"] == "bloom":
        candidates = [t for t in truth if t["kind"] == "bloom"]
    else:
        candidates = [t for t in truth if t["moving"]]
    if not candidates:
        return False
    x, y = district.frame.to_metric(alert["lon"], alert["lat"])
    best = min(candidates, key=lambda t: math.hypot(t["x"] - x, t["y"] - y))
    close = math.hypot(best["x"] - x, best["y"] - y) <= max(alert["uncertainty_m"], 5.0)
    return close and int(cells.lookup_xy(best["x"], best["y"])[0]) == alert["cell"]
