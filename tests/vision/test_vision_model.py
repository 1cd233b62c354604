"""The ``model`` detector: the shipped YOLOX-Nano on a real aerial frame, declared export
conventions, shape checks on load, tiling, and what hostile model files and outputs do."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import FIXTURES
from onnx_builder import tiny_onnx

from vision.config import load_config
from vision.detectors import FrameContext
from vision.detectors import model as model_module
from vision.detectors.model import SHIPPED_MODEL, SHIPPED_SHA256, ModelDetector, ModelError
from vision.detectors.onnx_conventions import CONVENTIONS, decode, fit_into_square
from vision.detectors.tiling import merge, tile_origins

CONFIG = load_config()
CROPS = FIXTURES / "aerial" / "rgb-crops"


def _ctx(image: np.ndarray) -> FrameContext:
    return FrameContext(image, 0.0, None, None, None)


def _yolo_boxes(path: Path, w: int, h: int) -> list[tuple[float, float, float, float]]:
    out = []
    for line in path.read_text().split("\n"):
        if line.strip():
            _, cx, cy, bw, bh = (float(v) for v in line.split())
            out.append(((cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h))
    return out


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union


def test_shipped_model_is_the_published_file_with_its_notice():
    assert hashlib.sha256(SHIPPED_MODEL.read_bytes()).hexdigest() == SHIPPED_SHA256
    notice = (SHIPPED_MODEL.parent / "NOTICE.md").read_text()
    assert "Apache License 2.0" in notice and "MIT" in notice and SHIPPED_SHA256 in notice


def test_shipped_model_finds_labelled_cars_in_a_real_aerial_frame():
    """A real 832x416 crop of a Minsk junction from 60-odd m: the default config (no path) tiles
    it and finds labelled cars, with boxes in the crop's own pixels."""
    image = cv2.imread(str(CROPS / "DJI-00760-00021-x900-y332.jpg"))
    labels = _yolo_boxes(CROPS / "DJI-00760-00021-x900-y332.txt", *image.shape[1::-1])
    det = ModelDetector(CONFIG.model)
    found = det.detect(_ctx(image))
    cars = [d for d in found if d.code == "vehicle"]
    hits = [d for d in cars if any(_iou(d.box, lb) >= 0.3 for lb in labels)]
    assert len(hits) >= 2, found
    assert det.stats["crops"] == 3  # 832 px wide: three 416 px crops sharing >= 104 px
    assert {d.code for d in found} <= {"person", "vehicle"}


def test_damaged_shipped_model_is_refused(tmp_path, monkeypatch):
    broken = tmp_path / "yolox_nano.onnx"
    data = bytearray(SHIPPED_MODEL.read_bytes())
    data[1000] ^= 0xFF
    broken.write_bytes(bytes(data))
    monkeypatch.setattr(model_module, "SHIPPED_MODEL", broken)
    with pytest.raises(ModelError, match="is damaged .*; reinstall gridpatrol"):
        ModelDetector(CONFIG.model)


def test_missing_and_non_onnx_files_are_refused_with_opencvs_own_message(tmp_path):
    with pytest.raises(ModelError, match="not found; set \\[model\\] path"):
        ModelDetector(CONFIG.model.model_copy(update={"path": str(tmp_path / "none.onnx")}))
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError) as err:
        ModelDetector(CONFIG.model.model_copy(update={"path": str(bad)}))
    text = str(err.value)
    assert "Failed to parse ONNX model" in text and "\n" not in text


def _cfg(path: Path, **changes):
    base = {"path": str(path), "input_size": 64, "tiling": False, "tile_overlap_px": 16}
    return CONFIG.model.model_copy(update={**base, **changes})


def test_overlap_that_would_multiply_crops_is_refused():
    with pytest.raises(ModelError, match="tile_overlap_px 300 is over half of input_size 416"):
        ModelDetector(CONFIG.model.model_copy(update={"tile_overlap_px": 300}))


def test_wrong_output_shape_is_refused_in_one_line(tmp_path):
    model = tmp_path / "odd.onnx"
    tiny_onnx(model, np.zeros((1, 10, 7), np.float32), 64)
    with pytest.raises(ModelError) as err:
        ModelDetector(_cfg(model, convention="yolox", classes=["a", "b"]))
    text = str(err.value)
    assert "gives output (1, 10, 7), not the (1, 84, 5 + ?) of convention 'yolox'" in text
    assert "set [model] convention" in text and "\n" not in text


def test_class_count_and_class_codes_must_fit_the_model(tmp_path):
    model = tmp_path / "v8.onnx"
    tiny_onnx(model, np.zeros((1, 6, 5), np.float32), 64)
    with pytest.raises(ModelError, match="has 2 classes but \\[model\\] classes names 3"):
        ModelDetector(_cfg(model, convention="yolov8", classes=["a", "b", "c"]))
    with pytest.raises(ModelError, match="class_codes names car, not among"):
        ModelDetector(
            _cfg(model, convention="yolov8", classes=["a", "b"], class_codes={"car": "vehicle"})
        )


def _answers(layout: str) -> np.ndarray:
    """Two boxes in 64 px input pixels: a 'car' at (32, 32) and a 'plot' at (16, 16)."""
    boxes = np.array([[32, 32, 10, 8], [16, 16, 6, 6], [50, 20, 6, 4]], np.float32)
    cls = np.array([[0.9, 0.1], [0.05, 0.8], [0.02, 0.03]], np.float32)
    if layout == "yolov8":
        return np.concatenate([boxes, cls], axis=1).T[None]
    return np.concatenate([boxes, np.ones((3, 1), np.float32), cls], axis=1)[None]


@pytest.mark.parametrize("convention", ["yolov5", "yolov8"])
def test_ultralytics_exports_map_classes_to_codes_in_frame_pixels(tmp_path, convention):
    """A 128x96 frame letterboxed (centred) into 64 px: scale 0.5, 8 px of padding on top."""
    model = tmp_path / f"{convention}.onnx"
    tiny_onnx(model, _answers(convention), 64)
    codes = {"car": "vehicle", "plot": "plot"}
    cfg = _cfg(model, convention=convention, classes=["car", "plot"], class_codes=codes)
    frame = np.zeros((96, 128, 3), np.uint8)
    found = ModelDetector(cfg).detect(_ctx(frame))
    assert sorted((d.code, d.box) for d in found) == [
        ("plot", (26, 10, 38, 22)),
        ("vehicle", (54, 40, 74, 56)),
    ]
    only_cars = cfg.model_copy(update={"class_codes": {"car": "vehicle"}})
    assert [d.code for d in ModelDetector(only_cars).detect(_ctx(frame))] == ["vehicle"]


def test_non_finite_model_output_is_dropped_and_counted(tmp_path):
    answers = _answers("yolov5")
    answers[0, 0, 0] = np.nan
    answers[0, 1, 2] = np.inf
    model = tmp_path / "nan.onnx"
    tiny_onnx(model, answers, 64)
    cfg = _cfg(model, convention="yolov5", classes=["car", "plot"], class_codes={"car": "car"})
    det = ModelDetector(cfg)
    assert det.detect(_ctx(np.zeros((64, 64, 3), np.uint8))) == []
    assert det.stats["non_finite"] >= 1


def test_letterbox_and_stretch_maths():
    img = np.zeros((100, 200, 3), np.uint8)
    canvas, fit = fit_into_square(img, 64, stretch=False, centred=True)
    assert canvas.shape == (64, 64, 3) and (fit.sx, fit.sy, fit.dx, fit.dy) == (0.32, 0.32, 0, 16)
    assert canvas[0, 0, 0] == 114 and canvas[32, 32, 0] == 0
    assert np.allclose(fit.to_image(np.array([[0, 16, 64, 48]])), [[0, 0, 200, 100]])
    _, corner = fit_into_square(img, 64, stretch=False, centred=False)
    assert (corner.dx, corner.dy) == (0, 0)
    _, stretched = fit_into_square(img, 64, stretch=True, centred=True)
    assert np.allclose(stretched.to_image(np.array([[32, 32, 64, 64]])), [[100, 50, 200, 100]])
    small = np.zeros((40, 30, 3), np.uint8)
    _, tile = fit_into_square(small, 64, stretch=False, centred=False, upscale=False)
    assert (tile.sx, tile.sy) == (1.0, 1.0)


def test_yolox_grid_decoding():
    """Cell (row 2, col 3) at stride 8 and cell (1, 0) at stride 16 of a 64 px input."""
    raw = np.zeros((1, 84, 7), np.float32)
    raw[0, 2 * 8 + 3] = [0.5, 0.5, math.log(4), math.log(2), 0.9, 1.0, 0.2]
    raw[0, 64 + 1 * 4 + 0] = [0.0, 0.25, 0.0, math.log(3), 0.5, 0.1, 0.8]
    boxes, scores, ids = decode(CONVENTIONS["yolox"], raw, 64)
    assert np.allclose(boxes[19], [12, 12, 44, 28]) and scores[19] == pytest.approx(0.9)
    assert ids[19] == 0
    assert np.allclose(boxes[68], [-8, -4, 8, 44]) and scores[68] == pytest.approx(0.4)
    assert ids[68] == 1


def test_tiles_cover_the_frame_with_the_overlap_asked_for():
    starts = tile_origins(1920, 1080, 416, 104)
    xs, ys = sorted({x for x, _ in starts}), sorted({y for _, y in starts})
    assert xs[0] == 0 and xs[-1] + 416 == 1920 and ys[0] == 0 and ys[-1] + 416 == 1080
    assert all(b - a <= 416 - 104 for a, b in zip(xs, xs[1:], strict=False))
    assert all(b - a <= 416 - 104 for a, b in zip(ys, ys[1:], strict=False))
    assert tile_origins(300, 200, 416, 104) == [(0, 0)]


def test_merge_removes_duplicates_of_one_code_only():
    boxes = np.array([[0, 0, 40, 20], [2, 0, 42, 20], [0, 0, 40, 20]], np.float32)
    scores = np.array([0.9, 0.6, 0.7], np.float32)
    codes = np.array([0, 0, 1])
    assert sorted(merge(boxes, scores, codes, 0.3, 0.45).tolist()) == [0, 2]


def test_tiled_frames_give_boxes_in_frame_pixels(tmp_path):
    """A 128x64 frame in 64 px crops sharing 16 px: crops at x 0, 32, 64; the model answers a
    'car' at (27, 28)-(37, 36) of each crop, so three cars are reported, shifted by the crop."""
    model = tmp_path / "v5.onnx"
    tiny_onnx(model, _answers("yolov5"), 64)
    codes = {"car": "vehicle"}
    cfg = _cfg(model, convention="yolov5", classes=["car", "plot"], class_codes=codes)
    det = ModelDetector(cfg.model_copy(update={"tiling": True}))
    found = det.detect(_ctx(np.zeros((64, 128, 3), np.uint8)))
    assert sorted(d.box for d in found) == [(27, 28, 37, 36), (59, 28, 69, 36), (91, 28, 101, 36)]
    assert det.stats["crops"] == 3


def test_frames_over_tile_max_px_are_scaled_down_before_tiling(tmp_path):
    """A 128x64 frame with tile_max_px 96 is scaled by 0.75 to 96x48: two 64 px crops (x 0 and
    32) instead of three, each 48 px tall and centred in the input (8 px of padding above); each
    crop's 'car' at (27, 28)-(37, 36) of the input comes back in frame pixels."""
    model = tmp_path / "v5.onnx"
    tiny_onnx(model, _answers("yolov5"), 64)
    cfg = _cfg(model, convention="yolov5", classes=["car", "plot"], class_codes={"car": "vehicle"})
    det = ModelDetector(cfg.model_copy(update={"tiling": True, "tile_max_px": 96}))
    found = det.detect(_ctx(np.zeros((64, 128, 3), np.uint8)))
    assert det.stats["crops"] == 2
    assert sorted(d.box for d in found) == [(36, 26, 50, 38), (78, 26, 92, 38)]


def test_a_1080p_frame_takes_8_crops_by_default_and_24_at_full_resolution():
    """The default bounds the work per frame (the speed goal); full resolution is one setting
    away, for those who trade speed for small objects."""
    frame = cv2.resize(cv2.imread(str(FIXTURES / "aerial" / "rgb" / "DJI-00760-00021.jpg")),
                       (1920, 1080))  # fmt: skip
    for tile_max_px, crops in ((CONFIG.model.tile_max_px, 8), (0, 24)):
        det = ModelDetector(CONFIG.model.model_copy(update={"tile_max_px": tile_max_px}))
        found = det.detect(_ctx(frame))
        assert det.stats["crops"] == crops
        assert all(0 <= d.box[0] < d.box[2] <= 1920 and 0 <= d.box[1] < d.box[3] <= 1080
                   for d in found)  # fmt: skip


def test_tile_max_px_under_the_model_input_is_refused():
    with pytest.raises(ModelError, match="tile_max_px 300 is under input_size 416") as err:
        ModelDetector(CONFIG.model.model_copy(update={"tile_max_px": 300}))
    assert "\n" not in str(err.value)
