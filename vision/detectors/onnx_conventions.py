"""How an ONNX detector export wants its input and gives its output: one declared convention each.

Exports differ in channel order, pixel scale, how the frame is fitted into the square input and
whether boxes come decoded; a mismatch raises no error, it only finds nothing. So the convention
is declared in the config (``[model] convention``) and the output shape is checked against it:

- ``yolox`` (Megvii YOLOX, e.g. the shipped ``yolox_nano.onnx``): BGR, 0-255, letterboxed with the
  frame at the top left and grey (114) padding; output ``(1, N, 5 + C)`` of raw grid predictions
  for strides 8/16/32 (offsets and log sizes per grid cell), objectness and class scores;
- ``yolov5`` (Ultralytics): RGB, 0-1, letterboxed centred; output ``(1, N, 5 + C)`` of decoded
  centre/size boxes in input pixels, objectness and class scores;
- ``yolov8`` (Ultralytics v8 and later): RGB, 0-1, letterboxed centred; output ``(1, 4 + C, N)``
  of decoded centre/size boxes and class scores, no objectness.

``resize = "stretch"`` in the config replaces the letterbox for exports trained on stretched
frames. Decoders return boxes as (x0, y0, x1, y1) in model-input pixels, the best class score
(times objectness where there is one) and the class index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

__all__ = [
    "CONVENTIONS",
    "Convention",
    "Fit",
    "classes_in",
    "decode",
    "expected_output",
    "fit_into_square",
]

PAD_LEVEL = 114  # the grey both YOLOX and Ultralytics pad with
YOLOX_STRIDES = (8, 16, 32)


@dataclass(frozen=True)
class Convention:
    name: str
    rgb: bool
    scale: float
    centred: bool
    layout: Literal["grid", "n_by_5c", "4c_by_n"]


CONVENTIONS = {
    "yolox": Convention("yolox", rgb=False, scale=1.0, centred=False, layout="grid"),
    "yolov5": Convention("yolov5", rgb=True, scale=1 / 255.0, centred=True, layout="n_by_5c"),
    "yolov8": Convention("yolov8", rgb=True, scale=1 / 255.0, centred=True, layout="4c_by_n"),
}


@dataclass(frozen=True)
class Fit:
    """How an image was put into the square input: input px = image px x (sx, sy) + (dx, dy)."""

    sx: float
    sy: float
    dx: float
    dy: float

    def to_image(self, boxes: np.ndarray) -> np.ndarray:
        """(x0, y0, x1, y1) boxes from input pixels back to image pixels."""
        out = np.asarray(boxes, np.float32).copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - self.dx) / self.sx
        out[:, [1, 3]] = (out[:, [1, 3]] - self.dy) / self.sy
        return out


def fit_into_square(
    image: np.ndarray, size: int, stretch: bool, centred: bool, upscale: bool = True
) -> tuple[np.ndarray, Fit]:
    """The image in a ``size`` x ``size`` canvas: stretched, or scaled keeping its aspect and padded.

    With ``upscale`` false an image smaller than the input is padded, not enlarged (tiles).
    """
    h, w = image.shape[:2]
    if stretch:
        return cv2.resize(image, (size, size)), Fit(size / w, size / h, 0.0, 0.0)
    r = min(size / w, size / h)
    if not upscale:
        r = min(r, 1.0)
    nw, nh = max(1, int(round(w * r))), max(1, int(round(h * r)))
    canvas = np.full((size, size, 3), PAD_LEVEL, np.uint8)
    dx, dy = ((size - nw) // 2, (size - nh) // 2) if centred else (0, 0)
    resized = image if (nw, nh) == (w, h) else cv2.resize(image, (nw, nh))
    canvas[dy : dy + nh, dx : dx + nw] = resized
    return canvas, Fit(nw / w, nh / h, float(dx), float(dy))


def expected_output(conv: Convention, size: int, n_classes: int | None) -> str:
    """The output shape the convention implies, as text for error messages ('?' = any)."""
    c = "?" if n_classes is None else str(n_classes)
    if conv.layout == "grid":
        n = sum((size // s) ** 2 for s in YOLOX_STRIDES)
        return f"(1, {n}, 5 + {c})"
    if conv.layout == "n_by_5c":
        return f"(1, N, 5 + {c})"
    return f"(1, 4 + {c}, N)"


def classes_in(conv: Convention, shape: tuple[int, ...], size: int) -> int | None:
    """The class count an output of ``shape`` holds under ``conv``, or None if it does not fit."""
    if len(shape) != 3 or shape[0] != 1:
        return None
    if conv.layout == "grid":
        n = sum((size // s) ** 2 for s in YOLOX_STRIDES)
        return shape[2] - 5 if shape[1] == n and shape[2] > 5 else None
    if conv.layout == "n_by_5c":
        return shape[2] - 5 if shape[2] > 5 else None
    return shape[1] - 4 if shape[1] > 4 else None


def decode(
    conv: Convention, out: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(boxes x0,y0,x1,y1 in input px; scores; class ids) of one image's output."""
    a = np.asarray(out, np.float32)[0]
    if conv.layout == "4c_by_n":
        a = a.T
        cxcywh, cls = a[:, :4], a[:, 4:]
    else:
        cxcywh, cls = a[:, :4], a[:, 5:] * a[:, 4:5]
        if conv.layout == "grid":
            cxcywh = _yolox_grid(cxcywh, size)
    ids = cls.argmax(axis=1)
    scores = cls[np.arange(len(cls)), ids]
    half = cxcywh[:, 2:4] / 2
    boxes = np.concatenate([cxcywh[:, :2] - half, cxcywh[:, :2] + half], axis=1)
    return boxes, scores, ids


def _yolox_grid(raw: np.ndarray, size: int) -> np.ndarray:
    """YOLOX's decoding: centre = (offset + cell) x stride, size = exp(log size) x stride."""
    grids, strides = [], []
    for s in YOLOX_STRIDES:
        n = size // s
        ys, xs = np.mgrid[0:n, 0:n]
        grids.append(np.stack([xs.ravel(), ys.ravel()], axis=1))
        strides.append(np.full((n * n, 1), s, np.float32))
    grid = np.concatenate(grids).astype(np.float32)
    stride = np.concatenate(strides)
    with np.errstate(over="ignore"):
        wh = np.exp(np.clip(raw[:, 2:4], -20.0, 20.0)) * stride
    return np.concatenate([(raw[:, :2] + grid) * stride, wh], axis=1)
