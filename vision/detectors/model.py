"""Plug-in point for any ONNX object detector stored on local disk, run through ``cv2.dnn``.

Nothing is downloaded at run time: the operator supplies the file. Outputs in the common YOLO
layouts are understood: ``(1, N, 5 + C)`` (box, objectness, class scores) and ``(1, 4 + C, N)``
(box, class scores). Boxes are centre/size in input pixels. Only classes listed in ``allowed``
(all when empty) raise leads; a model must never be used to identify people.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from vision.config import ModelConfig
from vision.detectors.base import Detection, FrameContext
from vision.errors import VisionError

__all__ = ["ModelDetector", "ModelError", "decode_yolo"]


class ModelError(VisionError):
    """The ONNX model file is missing or cannot be loaded by OpenCV."""


def decode_yolo(out: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(boxes cx,cy,w,h; scores; class ids) from a YOLO-style output tensor."""
    a = np.squeeze(out, axis=0) if out.ndim == 3 else out
    if a.shape[0] == 4 + n_classes and a.shape[1] != 4 + n_classes:
        a = a.T
    if a.shape[1] == 5 + n_classes:
        cls = a[:, 5:] * a[:, 4:5]
    elif a.shape[1] == 4 + n_classes:
        cls = a[:, 4:]
    else:
        raise ModelError(
            f"model output shape {out.shape} does not fit {n_classes} classes; "
            "list the model's classes in [model] classes"
        )
    ids = cls.argmax(axis=1)
    return a[:, :4], cls[np.arange(len(a)), ids], ids


class ModelDetector:
    name = "model"

    def __init__(self, config: ModelConfig):
        self.cfg = config
        path = Path(config.path)
        if not config.path or not path.is_file():
            raise ModelError(
                f"ONNX model {config.path or '(none)'} not found; set [model] path to a local .onnx file"
            )
        if not config.classes:
            raise ModelError("the ONNX model has no class names; list them in [model] classes")
        try:
            self.net = cv2.dnn.readNetFromONNX(str(path))
        except cv2.error as exc:
            raise ModelError(
                f"OpenCV cannot load {path}: {str(exc).splitlines()[-1]}; export it again"
            ) from exc

    def detect(self, ctx: FrameContext) -> list[Detection]:
        s = self.cfg.input_size
        h, w = ctx.image.shape[:2]
        blob = cv2.dnn.blobFromImage(ctx.image, 1 / 255.0, (s, s), swapRB=True, crop=False)
        self.net.setInput(blob)
        boxes, scores, ids = decode_yolo(self.net.forward(), len(self.cfg.classes))
        keep = scores >= self.cfg.score_threshold
        boxes, scores, ids = boxes[keep], scores[keep], ids[keep]
        sx, sy = w / s, h / s
        rects = [
            [(cx - bw / 2) * sx, (cy - bh / 2) * sy, bw * sx, bh * sy] for cx, cy, bw, bh in boxes
        ]
        picked = (
            cv2.dnn.NMSBoxes(
                rects, scores.tolist(), self.cfg.score_threshold, self.cfg.nms_threshold
            )
            if rects
            else []
        )
        out = []
        for i in np.ravel(picked):
            code = self.cfg.classes[int(ids[i])]
            if self.cfg.allowed and code not in self.cfg.allowed:
                continue
            x, y, bw, bh = rects[i]
            box = (int(max(0, x)), int(max(0, y)), int(min(w, x + bw)), int(min(h, y + bh)))
            out.append(Detection(box, float(scores[i]), self.name, code))
        return out
