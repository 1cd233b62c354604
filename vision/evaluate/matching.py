"""When a detection counts as finding a labelled object, and precision/recall per class.

A detection matches a label at IoU >= 0.3, or, for a label box under 16 px on its shorter side
(a person seen from 60 m is 8 x 18 px, where a few pixels of box error ruin any IoU), when the
detection's centre lies inside it. Each label is found at most once per frame; detections are
taken best score first. Detections whose centre lies in an ignore region (VOC ``DontCare``) are
neither right nor wrong. Motion detections (code ``activity``) are matched against labels of
every class, since what moves is a vehicle or a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vision.evaluate.labels import FrameLabels

__all__ = ["MIN_IOU", "SMALL_PX", "ClassScore", "iou", "matches", "match_frame"]

MIN_IOU = 0.3
SMALL_PX = 16.0

Box = tuple[float, float, float, float]


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _inside(x: float, y: float, b: Box) -> bool:
    return b[0] <= x <= b[2] and b[1] <= y <= b[3]


def matches(det: Box, label: Box) -> bool:
    """The matching rule above, for one detection box and one label box."""
    if iou(det, label) >= MIN_IOU:
        return True
    small = min(label[2] - label[0], label[3] - label[1]) < SMALL_PX
    return small and _inside((det[0] + det[2]) / 2, (det[1] + det[3]) / 2, label)


@dataclass
class ClassScore:
    detections: int = 0
    true_positives: int = 0
    labels: int = 0
    found: int = 0

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.detections if self.detections else None

    @property
    def recall(self) -> float | None:
        return self.found / self.labels if self.labels else None


def match_frame(
    dets: Sequence[tuple[Box, float, str]], labels: FrameLabels
) -> tuple[list[int | None], dict[str, ClassScore]]:
    """For each (box, score, code) the index of the label it found (or None), and the scores."""
    scores: dict[str, ClassScore] = {}
    for lb in labels.boxes:
        scores.setdefault(lb.code, ClassScore()).labels += 1
    found: list[int | None] = [None] * len(dets)
    taken: dict[str, set[int]] = {}
    for i in sorted(range(len(dets)), key=lambda i: -dets[i][1]):
        box, _, code = dets[i]
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        if any(_inside(cx, cy, z) for z in labels.ignore):
            continue
        s = scores.setdefault(code, ClassScore())
        s.detections += 1
        used = taken.setdefault(code, set())
        for j, lb in enumerate(labels.boxes):
            if j in used or (code != "activity" and lb.code != code):
                continue
            if matches(box, lb.box):
                used.add(j)
                found[i] = j
                s.true_positives += 1
                break
    if "activity" in scores:
        scores["activity"].labels = len(labels.boxes)  # what moves may be of any class
    for code, used in taken.items():
        scores[code].found = len(used)
    return found, scores
