"""Overlapping square crops of a large frame, and the merge of what was found in them.

Seen from patrol height a car is 40-100 px in a 1080p frame; squeezed whole into a 416 px model
input it shrinks to 10-20 px, below what COCO detectors find. Cutting the frame into crops of the
model's own input size keeps objects at full resolution. Neighbouring crops overlap by at least
the largest object expected, so every object lies whole in one crop; its duplicates in the other
crop are removed by class-aware non-maximum suppression.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["tile_origins", "merge"]


def _starts(length: int, tile: int, overlap: int) -> list[int]:
    if length <= tile:
        return [0]
    step = max(1, tile - overlap)
    n = int(np.ceil((length - tile) / step)) + 1
    # spread the crops evenly so the overlap is at least ``overlap`` everywhere
    return [int(round(i * (length - tile) / (n - 1))) for i in range(n)]


def tile_origins(width: int, height: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """Top-left corners of ``tile`` px crops covering the frame, neighbours sharing ``overlap`` px."""
    return [(x, y) for y in _starts(height, tile, overlap) for x in _starts(width, tile, overlap)]


def merge(
    boxes: np.ndarray, scores: np.ndarray, ids: np.ndarray, min_score: float, iou: float
) -> np.ndarray:
    """Indices kept by non-maximum suppression within each class (a car never hides a person)."""
    if len(boxes) == 0:
        return np.zeros(0, int)
    xywh = np.column_stack([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]]).astype(np.float32)
    keep = cv2.dnn.NMSBoxesBatched(
        xywh.tolist(), scores.astype(float).tolist(), ids.astype(int).tolist(), min_score, iou
    )
    return np.ravel(np.asarray(keep, int))
