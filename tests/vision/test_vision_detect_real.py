"""Thermal, bloom and people detectors on real frames (tests/fixtures/aerial, see SOURCES.md).

- thermal finds most walking people in real 60 m night frames, with or without a pose, stays
  silent on daylight RGB (and says so once), and hides nothing from privacy zones;
- bloom raises nothing on real streets, lawns with white objects, or thermal frames;
- people says once that it cannot apply, instead of returning nothing per frame.
The full-set figures are printed by ``bench/vision_detectors.py``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import FIXTURES

from vision.camera import Attitude, Camera
from vision.config import load_config
from vision.detectors import FrameContext, build_detectors
from vision.pose import Pose

CONFIG = load_config()
AERIAL = FIXTURES / "aerial"
THERMAL = sorted((AERIAL / "thermal").glob("*.jpg"))
OTHER_VIEWS = sorted((AERIAL / "thermal-other").glob("*.jpg"))
RGB = sorted((AERIAL / "rgb-crops").glob("*.jpg"))


def _people(xml: Path) -> tuple[list[tuple], list[tuple]]:
    """Person boxes, and the regions not counted (DontCare; a Bicycle rider is neither)."""
    people, ignore = [], []
    for obj in ET.parse(xml).getroot().iter("object"):
        bb = obj.find("bndbox")
        box = tuple(int(bb.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax"))
        name = obj.find("name").text
        if name == "Person":
            people.append(box)
        elif name in ("DontCare", "Bicycle"):
            ignore.append(box)
    return people, ignore


def _matches(d, lb) -> bool:
    """IoU >= 0.3, or the detection's centre inside a label box under 16 px (the issue's rule)."""
    ix = max(0, min(d[2], lb[2]) - max(d[0], lb[0]))
    iy = max(0, min(d[3], lb[3]) - max(d[1], lb[1]))
    union = (d[2] - d[0]) * (d[3] - d[1]) + (lb[2] - lb[0]) * (lb[3] - lb[1]) - ix * iy
    cx, cy = (d[0] + d[2]) / 2, (d[1] + d[3]) / 2
    inside = lb[0] <= cx <= lb[2] and lb[1] <= cy <= lb[3]
    return ix * iy / union >= 0.3 or (min(lb[2] - lb[0], lb[3] - lb[1]) < 16 and inside)


def _centre_in(d, b) -> bool:
    cx, cy = (d[0] + d[2]) / 2, (d[1] + d[3]) / 2
    return b[0] <= cx <= b[2] and b[1] <= cy <= b[3]


def _posed(image: np.ndarray, height: float, pitch: float, hfov: float) -> FrameContext:
    cam = Camera.from_hfov(image.shape[1], image.shape[0], hfov, pitch)
    return FrameContext(image, 0.0, cam, Pose(0.0, 0.0, 0.0, height, height, Attitude()), height)


def _score(det, paths: list[Path], with_pose: bool) -> tuple[float, float]:
    tp = fp = fn = 0
    for path in paths:
        image = cv2.imread(str(path))
        people, ignore = _people(path.with_suffix(".xml"))
        if with_pose:  # HIT-UAV names: night_height_angle_...; a 25 deg lens fits people's size
            _, height, angle, *_ = path.stem.split("_")
            ctx = _posed(image, float(height), -float(angle), 25.0)
        else:
            ctx = FrameContext(image, 0.0, None, None, None)
        used = set()
        for d in (d for d in det.detect(ctx) if d.code == "person"):
            hit = next(
                (i for i, lb in enumerate(people) if i not in used and _matches(d.box, lb)), None
            )
            if hit is not None:
                used.add(hit)
                tp += 1
            elif not any(_centre_in(d.box, b) for b in ignore):
                fp += 1
        fn += len(people) - len(used)
    return tp / (tp + fp), tp / (tp + fn)


@pytest.mark.parametrize("with_pose", [False, True])
def test_thermal_finds_walking_people_in_real_night_frames(with_pose):
    """Four real frames of the 60 m flight, 76 people: measured precision 0.85, recall 0.67 here
    (0.85 and 0.73 on all 150 frames); held to 0.8 and 0.6 so that a real regression fails."""
    (det,) = build_detectors(["thermal"], CONFIG)
    precision, recall = _score(det, THERMAL, with_pose)
    assert precision >= 0.8 and recall >= 0.6, (precision, recall)
    assert det.notices == []


@pytest.mark.parametrize("with_pose", [False, True])
def test_thermal_carries_over_to_other_heights_and_angles(with_pose):
    """Held-out frames at 60-120 m and 60-80 deg (13 people, cars, bicycles): all people found;
    precision is lower here (measured 0.65 with or without a pose): warm clutter remains."""
    (det,) = build_detectors(["thermal"], CONFIG)
    precision, recall = _score(det, OTHER_VIEWS, with_pose)
    assert recall >= 0.85 and precision >= 0.55, (precision, recall)


def test_thermal_looking_steeply_down_from_close_keeps_its_background_square_narrow():
    """60 m, 70 deg down: 3.5 m is 80 px there, and a square that wide lets paths and kerbs into
    the top-hat, whose clutter floor hid 4 of the frame's 5 people. The square is capped at
    ``background_px`` (31), and all 5 are found."""
    path = AERIAL / "thermal-other" / "1_60_70_0_00540.jpg"
    people, _ = _people(path.with_suffix(".xml"))

    def people_found(cap: int) -> int:
        (det,) = build_detectors(["thermal"], CONFIG.with_changes(thermal={"background_px": cap}))
        found = [d for d in det.detect(_posed(cv2.imread(str(path)), 60.0, -70.0, 25.0))
                 if d.code == "person"]  # fmt: skip
        return sum(any(_matches(d.box, lb) for d in found) for lb in people)

    assert len(people) == 5
    assert people_found(CONFIG.thermal.background_px) == 5
    assert people_found(201) <= 1  # the square in metres alone


def test_thermal_drops_warm_spots_cooler_than_the_frame_s_hottest():
    """Lamps, warm car parts and hot spots on walls are local peaks on a cooler scene; people at
    night are among the frame's hottest pixels. Without that rule the held-out frames give more
    detections, none of them on a person (precision 0.35 there, against 0.53 with it)."""
    kept = CONFIG.with_changes(thermal={"min_hot_share": 0.0})
    dropped_in_all = 0
    for path in OTHER_VIEWS:
        ctx = FrameContext(cv2.imread(str(path)), 0.0, None, None, None)
        people, _ = _people(path.with_suffix(".xml"))
        (det,) = build_detectors(["thermal"], CONFIG)
        (loose,) = build_detectors(["thermal"], kept)
        boxes = {d.box for d in det.detect(ctx)}
        dropped = [d for d in loose.detect(ctx) if d.box not in boxes]
        assert not any(_matches(d.box, lb) for d in dropped for lb in people), path.name
        dropped_in_all += len(dropped)
    assert dropped_in_all >= 3, dropped_in_all


def test_thermal_skips_daylight_colour_frames_and_says_so_once():
    (det,) = build_detectors(["thermal"], CONFIG)
    for path in RGB * 3:
        assert det.detect(FrameContext(cv2.imread(str(path)), 0.0, None, None, None)) == []
    assert det.stats["colour_frames"] == 6
    assert len(det.notices) == 1 and "colour frames are skipped" in det.notices[0]


def test_thermal_reports_nothing_from_a_privacy_zone():
    path = AERIAL / "thermal" / "1_60_30_0_00120.jpg"
    image = cv2.imread(str(path))
    (det,) = build_detectors(["thermal"], CONFIG)
    found = det.detect(FrameContext(image, 0.0, None, None, None))
    assert found
    x0, y0, x1, y1 = found[0].box
    hidden = np.zeros(image.shape[:2], np.uint8)
    hidden[max(0, y0 - 20) : y1 + 20, max(0, x0 - 20) : x1 + 20] = 255
    again = det.detect(FrameContext(image, 0.0, None, None, None, hidden))
    assert len(again) == len(found) - 1
    assert all(not hidden[(d.box[1] + d.box[3]) // 2, (d.box[0] + d.box[2]) // 2] for d in again)


@pytest.mark.parametrize(
    "frame",
    [
        np.zeros((512, 640, 3), np.uint8),
        np.full((512, 640, 3), 255, np.uint8),
        np.repeat(np.random.default_rng(0).integers(0, 256, (512, 640, 1), np.uint8), 3, 2),
        np.zeros((3, 5, 3), np.uint8),
    ],
    ids=["black", "white", "noise", "tiny"],
)
def test_thermal_stays_quiet_on_featureless_and_noise_frames(frame):
    (det,) = build_detectors(["thermal"], CONFIG)
    assert det.detect(FrameContext(frame, 0.0, None, None, None)) == []


@pytest.mark.parametrize("height", [0.0, -5.0, float("nan"), 1e9, 2.0])
def test_hostile_heights_neither_crash_nor_invent_sizes(height):
    """On the ground, below it, NaN, absurd or very low: thermal falls back to pixel sizes (or
    finds nothing when every object is far below a pixel), bloom skips."""
    image = cv2.imread(str(THERMAL[0]))
    thermal, bloom = build_detectors(["thermal", "bloom"], CONFIG)
    found = thermal.detect(_posed(image, height, -30.0, 25.0))
    plain = thermal.detect(FrameContext(image, 0.0, None, None, None))
    if height in (0.0, -5.0) or height != height:
        assert found == plain
    assert bloom.detect(_posed(image, height, -30.0, 25.0)) == []


@pytest.mark.parametrize("height", [30.0, 60.0, 100.0])
def test_bloom_raises_nothing_on_real_streets_lawns_and_thermal(height):
    """Real lawns with white boards, hoses and kerb stones, green buses, thermal night frames:
    the old plain-HSV rule flagged white objects on grass in these."""
    (det,) = build_detectors(["bloom"], CONFIG)
    for path in RGB:
        assert det.detect(_posed(cv2.imread(str(path)), height, -90.0, 70.0)) == [], path.name
    for path in THERMAL:
        assert det.detect(_posed(cv2.imread(str(path)), height, -30.0, 25.0)) == [], path.name


def test_people_without_a_pose_says_once_that_it_cannot_tell():
    (det,) = build_detectors(["people"], CONFIG)
    image = cv2.imread(str(THERMAL[0]))
    for _ in range(5):
        assert det.detect(FrameContext(image, 0.0, None, None, None)) == []
    assert det.stats["no_pose"] == 5
    assert len(det.notices) == 1 and "cannot tell" in det.notices[0]


def test_people_at_patrol_height_says_once_that_people_are_too_small():
    """HIT-UAV's own view (60 m, 30 deg below the horizon): people are about 18 px, HOG needs 48."""
    (det,) = build_detectors(["people"], CONFIG)
    image = cv2.imread(str(THERMAL[0]))
    for _ in range(4):
        assert det.detect(_posed(image, 60.0, -30.0, 25.0)) == []
    assert det.stats["not_applicable"] == 4
    assert len(det.notices) == 1 and "under the 48 px HOG needs" in det.notices[0]
