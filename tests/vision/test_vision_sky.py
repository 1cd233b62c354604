"""The sky above a horizon in view is left out of motion detection (``vision.detectors.sky``).

Real oblique footage with the horizon and clouds in view (tests/fixtures/aerial/oblique, Kitware's
MEVA, CC BY 4.0): without the sky left out, the motion detector raises alerts on clouds; with it,
none above the horizon. Real pictures with no sky (a nadir frame with a bright plaza along its
top, a thermal frame with a warm grandstand above a straight edge) must keep every pixel.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vision.config import load_config
from vision.detectors import build_detectors
from vision.detectors.sky import sky_mask
from vision.evaluate.runner import Evaluator

AERIAL = Path(__file__).parent.parent / "fixtures" / "aerial"
CLOUDS = AERIAL / "oblique" / "meva-uav-seg4.mp4"
HORIZON_ROW = 230  # read off the clip by eye: the far tree line, level across the picture
SKY_ROWS = HORIZON_ROW - 30  # a box wholly above this is in the sky, with room for error


def _frames(clip: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(clip))
    out = []
    while True:
        ok, image = cap.read()
        if not ok:
            break
        out.append(image)
    cap.release()
    return out


def _boxes(frames: list[np.ndarray], sky: bool) -> tuple[list, dict]:
    """Every motion detection's box over the clip, and the motion detector's counts."""
    config = load_config().with_changes(activity={"sky": sky})
    ev = Evaluator(config, build_detectors(["activity"], config))
    fps = 29.97
    boxes = [r.box for i, image in enumerate(frames) for r in ev.process(i, i / fps, image)]
    return boxes, ev.detectors[0].stats


@pytest.fixture(scope="module")
def clouds() -> list[np.ndarray]:
    frames = _frames(CLOUDS)
    assert len(frames) == 63
    return frames


def test_clouds_raise_no_detection_once_the_sky_is_left_out(clouds):
    before, _ = _boxes(clouds, sky=False)
    after, stats = _boxes(clouds, sky=True)
    in_sky = [b for b in before if b[3] < SKY_ROWS]
    assert len(in_sky) >= 3  # the clouds did raise detections: this test can fail
    assert [b for b in after if b[3] < SKY_ROWS] == []
    assert stats["sky"] >= 0.9 * (stats["frames"] - stats["rate"])  # found in nearly every look


def test_the_sky_found_ends_at_the_horizon(clouds):
    mask = sky_mask(clouds[30])
    assert mask is not None
    rows = np.flatnonzero(mask[:, ::80].min(axis=1))  # rows that are sky all the way across
    assert HORIZON_ROW - 25 <= rows.max() + 1 <= HORIZON_ROW + 10


@pytest.mark.parametrize(
    "picture",
    [
        AERIAL / "rgb-plaza" / "DJI_0013-0028.jpg",  # a bright plaza along a nadir frame's top
        AERIAL / "thermal" / "1_60_30_0_00120.jpg",  # a warm grandstand above a straight edge
        AERIAL / "rgb" / "DJI-00760-00021.jpg",
        AERIAL / "rgb-heldout-full" / "DJI_0762-00031.jpg",
    ],
    ids=lambda p: p.name,
)
def test_a_picture_without_sky_keeps_every_pixel(picture):
    assert sky_mask(cv2.imread(str(picture))) is None


@pytest.mark.parametrize(
    "shape",
    [(1, 1, 3), (7, 640, 3), (640, 7, 3), (4000, 96, 3), (1, 10000, 3)],
)
def test_pictures_too_small_or_oddly_shaped_are_not_searched(shape):
    assert sky_mask(np.full(shape, 200, np.uint8)) is None


def test_a_picture_without_colour_channels_is_not_searched(clouds):
    grey = cv2.cvtColor(clouds[30], cv2.COLOR_BGR2GRAY)
    assert sky_mask(grey) is None and sky_mask(grey[..., None]) is None


def test_a_picture_of_one_colour_has_no_horizon():
    blue = np.zeros((360, 640, 3), np.uint8)
    blue[:] = (200, 120, 60)
    assert sky_mask(blue) is None


def test_a_dark_sky_over_bright_ground_is_not_taken_for_sky():
    """Night, or a thermal camera: the part above is darker, and is left alone."""
    picture = np.zeros((360, 640, 3), np.uint8)
    picture[:150] = (40, 30, 20)
    picture[150:] = (90, 160, 120)
    assert sky_mask(picture) is None


def test_a_tilted_horizon_is_followed():
    """A drone banking 10 degrees: the sky found ends on the tilted horizon, not on a level row."""
    rng = np.random.default_rng(4)
    picture = rng.integers(40, 110, (360, 640, 3), dtype=np.uint8)  # textured ground
    cols = np.arange(640)
    horizon = 150 + np.tan(np.deg2rad(10)) * (cols - 320)
    above = np.arange(360)[:, None] < horizon[None, :]
    picture[above] = (230, 190, 150)
    mask = sky_mask(picture)
    assert mask is not None
    ends = [int(np.flatnonzero(mask[:, c]).max()) + 1 for c in (20, 320, 620)]
    for end, c in zip(ends, (20, 320, 620), strict=True):
        assert abs(end - horizon[c]) <= 8
