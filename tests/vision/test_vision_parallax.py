"""The opt-in parallax test (``[activity] parallax_max_ratio``) on real footage, and its rule.

Real oblique footage from a drifting drone (tests/fixtures/aerial/oblique, Kitware's MEVA, CC BY
4.0): with the default detector, roof edges, a façade and a roof raise alerts as they move
against the ground under parallax; with the test on they raise none and the car driving there
still does. Over the real stabilised nadir junction video nothing is refused that mattered.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from vision.config import load_config
from vision.detectors import build_detectors
from vision.detectors.parallax import ground_flow, parallax_like
from vision.evaluate.matching import matches
from vision.evaluate.runner import Evaluator
from vision.evaluate.tracks import read_mot, score_tracks

AERIAL = Path(__file__).parent.parent / "fixtures" / "aerial"
OBLIQUE = AERIAL / "oblique" / "meva-uav-seg23.mp4"
JUNCTION = AERIAL / "video" / "santiago-junction-crop.mp4"
# Judged by eye from this clip's contact sheets (SOURCES.md): the building's roof edges and
# façade (top left), a roof (top right) and the white-roofed block's edge left of it stand
# still; the car drives on the road below.
RELIEF = [(0, 0, 210, 120), (740, 0, 800, 80), (600, 0, 740, 60)]
CAR = (118, 305, 160, 343)


# Sightings on overlapping frame pairs confirm a mover, as until round 19: the relief of the
# oblique clip then raises the alerts the parallax test is for.
OVERLAPPING = {"min_span": 0.0}


def _alerts(clip: Path, ratio: float, fps: float, tracker: dict | None = None) -> tuple[list, dict]:
    """The first box of each alert, and the motion detector's counts."""
    config = load_config().with_changes(
        activity={"parallax_max_ratio": ratio}, tracker=tracker or {}
    )
    ev = Evaluator(config, build_detectors(["activity"], config))
    cap = cv2.VideoCapture(str(clip))
    first: dict[int, tuple] = {}
    records, i = [], 0
    while True:
        ok, image = cap.read()
        if not ok:
            break
        for r in ev.process(i, i / fps, image):
            records.append(r)
            if r.track is not None:
                first.setdefault(r.track, r.box)
        i += 1
    cap.release()
    return [first[t] for t in sorted(first)], {"frames": i, "records": records,
                                                **ev.detectors[0].stats}  # fmt: skip


def _inside(box, region) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] <= cx <= region[2] and region[1] <= cy <= region[3]


def _on_relief(boxes) -> list:
    return [b for b in boxes if any(_inside(b, r) for r in RELIEF)]


def test_on_real_oblique_footage_relief_is_refused_and_the_car_kept():
    before, stats = _alerts(OBLIQUE, 0.0, 29.97, OVERLAPPING)
    assert stats["frames"] == 75 and stats["parallax"] == 0
    assert len(_on_relief(before)) >= 3, before  # the fault the test is for
    assert any(matches(b, CAR) for b in before), before
    assert all(b in _on_relief(before) or matches(b, CAR) for b in before), before

    after, stats = _alerts(OBLIQUE, 0.6, 29.97, OVERLAPPING)
    assert _on_relief(after) == [], after
    assert any(matches(b, CAR) for b in after), after
    assert stats["parallax"] > 0  # refused detections are counted, not lost


def test_on_real_oblique_footage_relief_flicker_never_confirms_on_independent_pairs():
    """By default a mover's confirming displacements are measured on frame pairs that do not
    overlap: the relief's parallax flicker, which agreed with itself on overlapping pairs, raises
    no alert, and the car still does."""
    alerts, stats = _alerts(OBLIQUE, 0.0, 29.97)
    assert stats["parallax"] == 0 and alerts, alerts
    assert _on_relief(alerts) == [], alerts


def test_over_a_still_nadir_camera_nothing_that_mattered_is_refused():
    """The stabilised junction video: every moving car found and alerted as without the test."""
    tracks = read_mot(JUNCTION.with_suffix(".mot.csv"), (800, 280), first_frame=0)
    _, off = _alerts(JUNCTION, 0.0, 30.0)
    _, on = _alerts(JUNCTION, 0.6, 30.0)
    plain, gated = score_tracks(off["records"], tracks), score_tracks(on["records"], tracks)
    assert (gated.found, gated.alerted) == (plain.found, plain.alerted), (plain, gated)
    assert on["parallax"] <= 0.05 * len(off["records"])


def _shift(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def test_the_ground_moves_as_the_homography_says():
    assert ground_flow(_shift(5.0, -2.0), 100.0, 50.0) == pytest.approx((5.0, -2.0))
    assert ground_flow(np.eye(3), 10.0, 10.0) == pytest.approx((0.0, 0.0))
    assert all(math.isnan(v) for v in ground_flow(np.zeros((3, 3)), 1.0, 1.0))


@pytest.mark.parametrize(
    "shift, flow, refused",
    [
        ((2.0, 0.0), (10.0, 0.0), True),  # a fifth of the ground's motion, along it: relief
        ((-2.0, 0.5), (10.0, 0.0), True),  # against it (behind the ground plane): relief too
        ((0.0, 2.0), (10.0, 0.0), False),  # across it: a mover
        ((8.0, 0.0), (10.0, 0.0), False),  # faster than 0.6 of the ground: a mover
        ((2.0, 0.0), (0.0, 0.0), False),  # the camera held still: nothing is parallax
        ((0.0, 0.0), (10.0, 0.0), True),
        ((math.nan, 0.0), (10.0, 0.0), False),  # hostile numbers refuse nothing
        ((2.0, 0.0), (math.inf, 0.0), False),
        ((2.0, 0.0), (math.nan, math.nan), False),
    ],
)
def test_a_blob_is_parallax_only_when_slow_and_along_the_grounds_motion(shift, flow, refused):
    assert parallax_like(shift, flow, 0.6, 0.8) is refused
    assert parallax_like(shift, flow, 0.0, 0.8) is False  # off
