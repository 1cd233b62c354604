"""Cars driving abreast in adjacent lanes are boxed one each, not one box for both
(vision/detectors/abreast.py).

On real frames (tests/fixtures/aerial/rgb, DJI-00760 21 and 22, 1 s apart, about 85 m up, at
half resolution; see SOURCES.md) and on hand-made masks, where which pixels belong to which car is known exactly.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from conftest import ROOT

from vision.config import ConfigError, load_config
from vision.detectors import build_detectors
from vision.detectors.abreast import split_abreast
from vision.detectors.motion_support import Part
from vision.evaluate.labels import read_yolo
from vision.evaluate.matching import matches
from vision.evaluate.runner import Evaluator

RGB = ROOT / "tests" / "fixtures" / "aerial" / "rgb"
NAMES = ["car", "truck", "bus", "minibus"]
GSD = 0.1  # metres per work pixel in the hand-made masks
SIZES = dict(min_width_m=1.2, min_length_m=2.5)


def _label_near(labels, x: float, y: float):
    box = min((lb.box for lb in labels.boxes),
              key=lambda b: math.hypot((b[0] + b[2]) / 2 - x, (b[1] + b[3]) / 2 - y))  # fmt: skip
    assert math.hypot((box[0] + box[2]) / 2 - x, (box[1] + box[3]) / 2 - y) < 8, box
    return box


@pytest.mark.parametrize("abreast_m", [3.6, 1000.0])
def test_two_pairs_of_real_cars_driving_abreast_get_a_box_each(abreast_m):
    """Frame 22: two pairs of cars drive side by side. Without the cut (abreast_m 1000, i.e. off)
    each pair was one box spanning both cars, matching neither."""
    config = load_config().with_changes(activity={"abreast_m": abreast_m})
    ev = Evaluator(config, build_detectors(["activity"], config), 85.0)
    for t, name in enumerate(("DJI-00760-00021.jpg", "DJI-00760-00022.jpg")):
        img = cv2.imread(str(RGB / name))
        recs = ev.process(t, float(t), img, name)
    labels = read_yolo((RGB / name).with_suffix(".txt"), (img.shape[1], img.shape[0]), NAMES)
    pairs = [((382, 201), (405, 142)), ((734, 271), (726, 295))]
    found = [all(any(matches(r.box, _label_near(labels, *c)) for r in recs) for c in pair)
             for pair in pairs]  # fmt: skip
    assert found == ([True, True] if abreast_m < 100 else [False, False])


def _part(*rects: tuple[int, int, int, int]) -> Part:
    mask = np.zeros((80, 120), np.uint8)
    for x, y, w, h in rects:
        mask[y : y + h, x : x + w] = 1
    return Part((100, 200, 120, 80), mask)


def test_cars_side_by_side_are_cut_at_the_gap_between_them():
    # Two cars 4.5 x 1.8 m driving along x, in lanes 0.6 m apart, joined by a 1-pixel bridge.
    part = _part((10, 10, 45, 18), (10, 34, 45, 18), (30, 28, 1, 6))
    sides = split_abreast(part, (6.0, 0.0), GSD, abreast_m=3.6, **SIZES)
    # Cut at the first emptiest row: the bridge goes with the second car.
    assert [s.box for s in sides] == [(110, 210, 45, 18), (110, 228, 45, 24)]
    assert sum(int(s.mask.sum()) for s in sides) == int(part.mask.sum())  # no pixel lost
    # Off (abreast_m beyond any pair): one box.
    assert split_abreast(part, (6.0, 0.0), GSD, abreast_m=1000.0, **SIZES) == [part]


def test_three_abreast_are_three_and_moving_diagonally_changes_nothing():
    part = _part((5, 5, 45, 18), (5, 29, 45, 18), (5, 53, 45, 18))
    assert len(split_abreast(part, (6.0, 0.0), GSD, abreast_m=3.6, **SIZES)) == 3
    # The same two cars rotated 30 degrees, with their displacement rotated alike.
    mask = np.zeros((120, 120), np.uint8)
    for off in (-12, 12):
        box = ((60 - off * 0.5, 60 + off * 0.866), (45, 18), 30)
        cv2.fillPoly(mask, [cv2.boxPoints(box).astype(np.int32)], 1)
    shift = (6 * math.cos(math.radians(30)), 6 * math.sin(math.radians(30)))
    sides = split_abreast(Part((0, 0, 120, 120), mask), shift, GSD, abreast_m=3.6, **SIZES)
    assert len(sides) == 2


def test_a_bus_a_single_car_and_a_group_of_walkers_are_never_cut():
    bus = _part((5, 20, 110, 25))  # 11 m along the motion, 2.5 m across
    assert split_abreast(bus, (8.0, 0.0), GSD, abreast_m=3.6, **SIZES) == [bus]
    car = _part((10, 10, 45, 30))  # a car with a metre of blur beside it: 3.0 m across
    assert split_abreast(car, (6.0, 0.0), GSD, abreast_m=3.6, **SIZES) == [car]
    # Wide across the motion but short along it: walkers abreast, person-sized halves.
    walkers = _part((10, 10, 8, 60))
    assert split_abreast(walkers, (6.0, 0.0), GSD, abreast_m=3.6, **SIZES) == [walkers]


def test_a_side_that_is_mostly_shadow_is_dropped_not_boxed():
    part = _part((10, 10, 45, 18), (10, 34, 45, 18))
    shade = np.zeros((400, 400), np.uint8)
    shade[234:252, 110:155] = 255  # the second "car" is the first's shadow: darker, same colour
    sides = split_abreast(part, (6.0, 0.0), GSD, abreast_m=3.6, shade=shade, **SIZES)
    assert [s.box for s in sides] == [(110, 210, 45, 18)]


@pytest.mark.parametrize(
    ("shift", "gsd"),
    [((math.nan, 0.0), GSD), ((0.0, 0.0), GSD), ((6.0, math.inf), GSD), ((6.0, 0.0), math.nan),
     ((6.0, 0.0), 0.0), ((6.0, 0.0), -1.0)],
)  # fmt: skip
def test_no_usable_displacement_or_scale_leaves_the_part_as_it_is(shift, gsd):
    part = _part((10, 10, 45, 18), (10, 34, 45, 18))
    assert split_abreast(part, shift, gsd, abreast_m=3.6, **SIZES) == [part]
    empty = Part((0, 0, 10, 10), np.zeros((10, 10), np.uint8))
    assert split_abreast(empty, (6.0, 0.0), GSD, abreast_m=3.6, **SIZES) == [empty]


@pytest.mark.parametrize("value", [1.0, 2.5, math.nan, math.inf, -3.6])
def test_an_abreast_width_no_vehicle_could_be_is_refused_in_one_line(value):
    """Under 2.6 m every wide car would be cut in two; NaN or infinity would compare as never."""
    with pytest.raises(ConfigError, match="activity.abreast_m") as err:
        load_config().with_changes(activity={"abreast_m": value})
    assert "\n" not in str(err.value)
