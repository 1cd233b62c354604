"""People and vehicles found by an ONNX object detector run through ``cv2.dnn``, offline.

With no path set the shipped COCO YOLOX-Nano (``vision/models/yolox_nano.onnx``, see its NOTICE)
is used, checked against its sha256; any other export can be plugged in by declaring its
convention (``vision.detectors.onnx_conventions``). On load, one dry run checks that the model
takes the configured input and gives the output shape its convention implies, so a wrong export
is refused in one line instead of silently finding nothing.

Frames larger than the model input are cut into overlapping crops at full resolution
(``vision.detectors.tiling``): from patrol height people and cars are a few dozen pixels, and a
whole frame squeezed into 416 px loses them. Frames whose longer side exceeds ``tile_max_px``
are first scaled down to it, which bounds the work per frame whatever the camera: a 1080p frame
then takes 8 crops instead of 24, the speed a live patrol needs, at the recall the README gives.
Model classes become alert codes through ``class_codes`` (COCO person -> ``person``; car, bus,
truck, motorcycle -> ``vehicle``); every other class is dropped. A model is never used to identify anyone.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np

from mission.text import N_
from vision.config import ModelConfig
from vision.detectors.base import Detection, FrameContext
from vision.detectors.coco import COCO_CLASSES
from vision.detectors.onnx_conventions import (
    CONVENTIONS,
    classes_in,
    decode,
    expected_output,
    fit_into_square,
)
from vision.detectors.tiling import merge, tile_origins
from vision.errors import VisionError

__all__ = ["ModelDetector", "ModelError", "SHIPPED_MODEL", "SHIPPED_SHA256"]

SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "models" / "yolox_nano.onnx"
SHIPPED_SHA256 = "d39bee73564e338080378b0ad567fbb40e818b55bbfaf971de82a0267ed16b8a"


class ModelError(VisionError):
    """The ONNX model is missing, damaged, unreadable or does not fit its declared convention."""


def _load(path: Path, shipped: bool) -> cv2.dnn.Net:
    if not path.is_file():
        raise ModelError(
            N_(
                "ONNX model {path} not found; set [model] path to a local .onnx file, or leave "
                "it empty for the shipped yolox_nano.onnx",
                path=path,
            )
        )
    if shipped:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != SHIPPED_SHA256:
            raise ModelError(
                N_(
                    "the shipped model {path} is damaged (sha256 {digest}..., expected "
                    "{shipped_sha256}...); reinstall gridpatrol",
                    path=path,
                    digest=digest[:12],
                    shipped_sha256=SHIPPED_SHA256[:12],
                )
            )
    try:
        return cv2.dnn.readNetFromONNX(str(path))
    except cv2.error as exc:
        raise ModelError(
            N_(
                "OpenCV cannot load {path}: {err}; check that it is an ONNX detector export",
                path=path,
                err=exc.err,
            )
        ) from exc


class ModelDetector:
    name = "model"

    def __init__(self, config: ModelConfig):
        self.cfg = config
        if config.tile_overlap_px * 2 > config.input_size:
            raise ModelError(
                N_(
                    "[model] tile_overlap_px {tile_overlap_px} is over half of input_size "
                    "{input_size}: crops would mostly repeat; set it to at most {half}",
                    tile_overlap_px=config.tile_overlap_px,
                    input_size=config.input_size,
                    half=config.input_size // 2,
                )
            )
        if 0 < config.tile_max_px < config.input_size:
            raise ModelError(
                N_(
                    "[model] tile_max_px {tile_max_px} is under input_size {input_size}: frames "
                    "would be shrunk below what the model takes; set 0 (full resolution) or at "
                    "least {input_size}",
                    tile_max_px=config.tile_max_px,
                    input_size=config.input_size,
                )
            )
        self.conv = CONVENTIONS[config.convention]
        shipped = not config.path
        self.path = SHIPPED_MODEL if shipped else Path(config.path)
        self.net = _load(self.path, shipped)
        self.classes = list(config.classes) or list(COCO_CLASSES)
        self._check_output()
        unknown = sorted(set(config.class_codes) - set(self.classes))
        if unknown:
            raise ModelError(
                N_(
                    "[model] class_codes names {unknown}, not among the model's classes; use the "
                    "names listed in [model] classes (empty = the 80 COCO classes)",
                    unknown=", ".join(unknown),
                )
            )
        self.codes = sorted(set(config.class_codes.values()))
        self._code_of = np.array(
            [
                self.codes.index(config.class_codes[c]) if c in config.class_codes else -1
                for c in self.classes
            ]
        )
        self.stats = {"frames": 0, "crops": 0, "non_finite": 0}

    def _forward(self, canvas: np.ndarray) -> np.ndarray:
        blob = cv2.dnn.blobFromImage(canvas, self.conv.scale, swapRB=self.conv.rgb)
        self.net.setInput(blob)
        return self.net.forward()

    def _check_output(self) -> None:
        s = self.cfg.input_size
        try:
            out = self._forward(np.full((s, s, 3), 114, np.uint8))
        except cv2.error as exc:
            raise ModelError(
                N_(
                    "{name} does not take a 1x3x{size}x{size} input: {err}; set [model] input_size to the "
                    "model's input size",
                    name=self.path.name,
                    size=s,
                    err=exc.err,
                )
            ) from exc
        n = classes_in(self.conv, tuple(out.shape), s)
        if n is None:
            raise ModelError(
                N_(
                    "{name} gives output {shape}, not the {expected_output} of convention "
                    "{conv_name} at input {size}; set [model] convention (yolox, yolov5, yolov8) and "
                    "input_size to the model's",
                    name=self.path.name,
                    shape=tuple(out.shape),
                    expected_output=expected_output(self.conv, s, None),
                    conv_name=repr(self.conv.name),
                    size=s,
                )
            )
        if n != len(self.classes):
            raise ModelError(
                N_(
                    "{name} has {n} classes but [model] classes names {n_classes}; list the model's "
                    "classes in order (empty = the 80 COCO classes)",
                    name=self.path.name,
                    n=n,
                    n_classes=len(self.classes),
                )
            )

    def _run(self, image: np.ndarray, tile: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(boxes in ``image`` px, scores, code indices) of one model pass, kept classes only."""
        s = self.cfg.input_size
        stretch = self.cfg.resize == "stretch" and not tile
        canvas, fit = fit_into_square(image, s, stretch, self.conv.centred, upscale=not tile)
        boxes, scores, ids = decode(self.conv, self._forward(canvas), s)
        codes = self._code_of[ids]
        keep = (scores >= self.cfg.score_threshold) & (codes >= 0)
        finite = np.isfinite(boxes).all(axis=1) & np.isfinite(scores)
        self.stats["non_finite"] += int((~finite).sum())
        keep &= finite
        return fit.to_image(boxes[keep]), scores[keep], codes[keep]

    def detect(self, ctx: FrameContext) -> list[Detection]:
        self.stats["frames"] += 1
        cfg, s = self.cfg, self.cfg.input_size
        image = ctx.image
        h, w = image.shape[:2]
        parts = []
        f = min(1.0, cfg.tile_max_px / max(w, h)) if cfg.tile_max_px else 1.0
        if cfg.tiling and max(w, h) * f > s:
            scaled = image if f == 1.0 else cv2.resize(image, None, fx=f, fy=f)
            sh, sw = scaled.shape[:2]
            for x, y in tile_origins(sw, sh, s, cfg.tile_overlap_px):
                b, sc, c = self._run(scaled[y : y + s, x : x + s], tile=True)
                parts.append(((b + [x, y, x, y]) / f, sc, c))
                self.stats["crops"] += 1
        else:
            parts.append(self._run(image, tile=False))
            self.stats["crops"] += 1
        boxes = np.concatenate([p[0] for p in parts])
        scores = np.concatenate([p[1] for p in parts])
        codes = np.concatenate([p[2] for p in parts])
        out = []
        for i in merge(boxes, scores, codes, cfg.score_threshold, cfg.nms_threshold):
            x0, y0, x1, y1 = boxes[i]
            box = (
                int(max(0.0, x0)),
                int(max(0.0, y0)),
                int(min(float(w), np.ceil(x1))),
                int(min(float(h), np.ceil(y1))),
            )
            if box[2] > box[0] and box[3] > box[1]:
                out.append(Detection(box, float(scores[i]), self.name, self.codes[codes[i]]))
        return out
