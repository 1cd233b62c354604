"""`gridpatrol vision eval`: labels read as hostile input, the matching rule, JSON lines, exit codes.

Runs on real frames (tests/fixtures/aerial, see its SOURCES.md) and on label files written here.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import ROOT

from vision.evaluate.labels import (
    MAX_LABEL_BYTES,
    FrameLabels,
    LabelBox,
    LabelError,
    read_voc,
    read_yolo,
)
from vision.evaluate.matching import match_frame, matches
from vision.evaluate.movers import LabelledFrame, find_movers

AERIAL = ROOT / "tests" / "fixtures" / "aerial"
NAMES = ["car", "truck", "bus", "minibus"]


def _frames(tmp_path: Path, pattern: str, *extra: str) -> Path:
    """A folder of the real aerial fixture frames matching ``pattern`` (and ``extra`` files)."""
    frames = tmp_path / "frames"
    frames.mkdir()
    for p in [*sorted((AERIAL / "rgb").glob(pattern)), *(AERIAL / "rgb" / e for e in extra)]:
        shutil.copy(p, frames / p.name)
    return frames


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_yolo_boxes_become_pixels_of_the_frame():
    labels = read_yolo(AERIAL / "rgb" / "DJI_0005-0185.txt", (960, 540), NAMES)
    assert len(labels.boxes) == 15 and {b.code for b in labels.boxes} == {"vehicle"}
    x0, y0, x1, y1 = labels.boxes[0].box
    assert 0 <= x0 < x1 <= 960 and 0 <= y0 < y1 <= 540
    assert 10 < x1 - x0 < 80 and 10 < y1 - y0 < 80  # a car at this height, in pixels


@pytest.mark.parametrize(
    "line, problem",
    [
        ("0 0.5 0.5 0.1", "expected 'class cx cy w h'"),
        ("0 nan 0.5 0.1 0.1", "not a finite number"),
        ("0 0.5 inf 0.1 0.1", "not a finite number"),
        ("0 0.5 0.5 1e999 0.1", "not a finite number"),
        ("0 0.5 zero 0.1 0.1", "not a number"),
        ("7 0.5 0.5 0.1 0.1", "unknown class id '7'"),
        ("-1 0.5 0.5 0.1 0.1", "unknown class id '-1'"),
        ("0 0.5 0.5 -0.1 0.1", "negative box size"),
    ],
)
def test_malformed_yolo_lines_are_one_line_errors_naming_the_line(tmp_path, line, problem):
    path = _write(tmp_path / "f.txt", f"0 0.5 0.5 0.1 0.1\n{line}\n")
    with pytest.raises(LabelError, match=problem) as err:
        read_yolo(path, (100, 100), NAMES)
    assert f"{path}:2" in str(err.value) and "\n" not in str(err.value)


def test_huge_or_binary_label_files_are_refused_before_parsing(tmp_path):
    huge = tmp_path / "huge.txt"
    with huge.open("w") as f:
        f.write("0 0.5 0.5 0.1 0.1\n" * (MAX_LABEL_BYTES // 18 + 10))
    with pytest.raises(LabelError, match="over 2000000; is it a label file"):
        read_yolo(huge, (100, 100), NAMES)
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(LabelError, match="not UTF-8"):
        read_yolo(binary, (100, 100), NAMES)


def test_boxes_outside_the_frame_are_clipped_or_dropped_and_counted(tmp_path):
    path = _write(
        tmp_path / "f.txt",
        "0 0.99 0.5 0.1 0.1\n"  # half outside on the right: clipped
        "0 1.5 0.5 0.1 0.1\n"  # wholly outside: dropped
        "0 0.5 -3 0.1 0.1\n",  # wholly outside: dropped
    )
    labels = read_yolo(path, (200, 100), NAMES)
    assert labels.outside == 2 and len(labels.boxes) == 1
    assert labels.boxes[0].box == pytest.approx((188.0, 45.0, 200.0, 55.0))


def test_an_unknown_class_name_is_an_error_not_a_silent_skip(tmp_path):
    path = _write(tmp_path / "f.txt", "0 0.5 0.5 0.1 0.1\n")
    with pytest.raises(
        LabelError, match="unknown class 'tree'; known classes: awning-tricycle, bus, car"
    ):
        read_yolo(path, (100, 100), ["tree"])


def test_voc_person_boxes_and_dontcare_regions():
    labels = read_voc(AERIAL / "thermal-labels" / "1_60_30_0_00010.xml", (640, 512))
    assert labels.boxes and {b.code for b in labels.boxes} == {"person"}
    assert len(labels.ignore) == 1
    sizes = [(b.box[2] - b.box[0], b.box[3] - b.box[1]) for b in labels.boxes]
    assert all(w < 30 and h < 40 for w, h in sizes)  # people from 60 m are small


def test_hit_uav_bicycles_and_other_vehicles_are_read_not_refused(cli, tmp_path):
    """Real HIT-UAV labels name Bicycle (15 in this 80 m frame) and OtherVehicle: a bicycle may
    carry a rider, so it is a region not scored; another vehicle is a vehicle. Either used to
    stop `vision eval` on real frames of the set with "unknown class"."""
    real = AERIAL / "thermal-other" / "1_80_60_0_04697.xml"
    labels = read_voc(real, (640, 512))
    assert len(labels.ignore) >= 15 and {b.code for b in labels.boxes} <= {"person", "vehicle"}
    other = _write(
        tmp_path / "o.xml", real.read_text().replace("<name>Car<", "<name>OtherVehicle<")
    )
    assert [b.code for b in read_voc(other, (640, 512)).boxes] == [b.code for b in labels.boxes]
    frames = tmp_path / "frames"
    shutil.copytree(AERIAL / "thermal-other", frames)
    r = cli("vision", "eval", frames, "--labels", frames, "--detectors", "thermal")
    assert r.code == 0, r.err
    assert "person: precision" in r.out, r.out


@pytest.mark.parametrize(
    "xml, problem",
    [
        ('<!DOCTYPE a [<!ENTITY x "xx">]><annotation/>', "DOCTYPE/ENTITY"),
        ("<annotation><object><name>Person</name>", "not well-formed XML"),
        ("<annotation><object><name>Person</name></object></annotation>", "no <name> or <bndbox>"),
        (
            "<annotation><object><name>Person</name><bndbox><xmin>{}</xmin><ymin>1</ymin>"
            "<xmax>5</xmax><ymax>9</ymax></bndbox></object></annotation>",
            "not a number",
        ),
    ],
)
def test_hostile_voc_files_are_refused(tmp_path, xml, problem):
    path = _write(tmp_path / "f.xml", xml)
    with pytest.raises(LabelError, match=problem):
        read_voc(path, (100, 100))


@pytest.mark.parametrize("value", ["nan", "inf", "-1e400"])
def test_voc_non_finite_coordinates_are_refused(tmp_path, value):
    xml = (
        "<annotation><object><name>Person</name><bndbox><xmin>" + value + "</xmin>"
        "<ymin>1</ymin><xmax>5</xmax><ymax>9</ymax></bndbox></object></annotation>"
    )
    with pytest.raises(LabelError, match="finite"):
        read_voc(_write(tmp_path / "f.xml", xml), (100, 100))


def test_matching_rule_iou_or_centre_in_a_small_box():
    car = (100.0, 100.0, 140.0, 160.0)
    assert matches((105, 110, 145, 170), car)  # IoU about 0.6
    assert not matches((130, 150, 170, 210), car)  # IoU under 0.3 ...
    assert not matches((110, 110, 130, 150), (0, 0, 300, 300))  # centre in a big box: no
    person = (50.0, 50.0, 58.0, 68.0)  # 8 x 18 px: under 16 px across
    assert matches((40, 45, 70, 75), person)  # IoU 0.16, but its centre lies in the box
    assert not matches((60, 50, 90, 80), person)


def test_each_label_is_found_once_and_dontcare_detections_are_not_counted():
    labels = FrameLabels(
        boxes=[LabelBox((0, 0, 40, 40), "vehicle", "car")], ignore=[(200, 200, 300, 300)]
    )
    dets = [((0, 0, 40, 40), 0.9, "vehicle"), ((2, 2, 42, 42), 0.8, "vehicle")]
    dets.append(((210, 210, 230, 230), 0.7, "vehicle"))
    found, scores = match_frame(dets, labels)
    assert found == [0, None, None]
    s = scores["vehicle"]
    assert (s.detections, s.true_positives, s.labels, s.found) == (2, 1, 1, 1)
    _, scores = match_frame([((0, 0, 40, 40), 0.9, "activity")], labels)
    assert scores["activity"].recall == 1.0  # motion is scored against every class


def test_eval_prints_scores_and_writes_every_detection_as_json(cli, tmp_path):
    frames = _frames(tmp_path, "DJI_0005-*", "classes.txt")
    out = tmp_path / "dets.jsonl"
    r = cli("vision", "eval", frames, "--labels", frames, "--detections-out", out)
    assert r.code == 0, r.err
    assert "3 frames (0 corrupt), 3.0 s of footage" in r.out
    assert "alerts per minute of footage" in r.out and "frames per second" in r.out
    assert "activity: precision" in r.out and "against labels of every class" in r.out
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows, "motion on real frames one second apart at the default --fps 1"
    for row in rows:
        assert set(row) == {
            "frame",
            "file",
            "detector",
            "code",
            "box",
            "score",
            "track",
            "size_class",
        }
        # no --height-m: only "small even from the ceiling" can be said, never "a vehicle"
        assert row["size_class"] in (None, "person-sized")
        assert row["file"] == f"DJI_0005-{185 + row['frame']:04d}.jpg"
        x0, y0, x1, y1 = row["box"]
        assert 0 <= x0 < x1 <= 960 and 0 <= y0 < y1 <= 540
        assert row["code"] == "activity" and 0 <= row["score"] <= 1
        assert row["track"] is None or isinstance(row["track"], int)
    assert {row["frame"] for row in rows} <= {1, 2}  # frame 0 has nothing to compare with


def test_with_a_height_walkers_are_detections_counted_but_not_alerts(cli, tmp_path):
    frames = _frames(tmp_path, "DJI-00760-*")
    out = tmp_path / "dets.jsonl"
    # Linked as far as a car spacing, some walkers of three frames a second apart confirm.
    quick = _write(tmp_path / "quick.toml", "[tracker]\nmatch_radius_m = 6.0\n")
    r = cli(
        "vision", "eval", frames, "--height-m", "85", "--config", quick, "--detections-out", out
    )
    assert r.code == 0, r.err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    people = [row for row in rows if row["size_class"] == "person-sized"]
    assert people and all(row["track"] is None for row in people)
    assert any(row["track"] is not None for row in rows if row["size_class"] == "vehicle-sized")
    said = re.search(r"(\d+) person-sized movers raised no alert", r.out)
    assert said and int(said[1]) >= 2, r.out


def test_without_a_height_movers_small_even_from_the_ceiling_raise_no_alert(cli, tmp_path):
    """With no height the walkers of the real frames are still known to be small (person-sized
    seen even from 120 m): they stay detections but raise no alert, while the cars alert."""
    frames = _frames(tmp_path, "DJI-00760-*")
    out = tmp_path / "dets.jsonl"
    quick = _write(tmp_path / "quick.toml", "[tracker]\nmatch_radius_m = 6.0\n")
    r = cli("vision", "eval", frames, "--config", quick, "--detections-out", out)
    assert r.code == 0, r.err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert not [row for row in rows if row["size_class"] == "vehicle-sized"]
    people = [row for row in rows if row["size_class"] == "person-sized"]
    assert people and all(row["track"] is None for row in people)
    assert any(row["track"] is not None for row in rows if row["size_class"] is None)
    said = re.search(r"(\d+) person-sized movers raised no alert", r.out)
    assert said and int(said[1]) >= 2, r.out
    assert "unknown_height_bound_m" in r.out
    high = tmp_path / "high.toml"
    high.write_text(
        "[activity]\nunknown_height_bound_m = 5000.0\n[tracker]\nmatch_radius_m = 6.0\n"
    )
    r = cli("vision", "eval", frames, "--config", high, "--detections-out", out)
    assert r.code == 0, r.err
    assert "raised no alert" not in r.out  # from 5 km anything may be large: nothing held back


@pytest.mark.parametrize(
    "setup, message",
    [
        ("missing", "does not exist; give a video file or a folder of frames"),
        ("empty", "no images"),
        ("bad-labels", "expected 'class cx cy w h'"),
        ("unknown-class", "unknown class 'tree'"),
        ("no-names", "need class names: add classes.txt"),
        ("labels-missing", "labels folder"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, tmp_path, setup, message):
    frames = tmp_path / "frames"
    labels = tmp_path / "labels"
    frames.mkdir()
    labels.mkdir()
    if setup != "empty":
        shutil.copy(AERIAL / "rgb" / "DJI_0005-0185.jpg", frames)
    target = tmp_path / "nowhere" if setup == "missing" else frames
    names = ["--label-names", "car,truck,bus,minibus"]
    if setup == "bad-labels":
        _write(labels / "DJI_0005-0185.txt", "0 0.5 0.5\n")
    elif setup == "unknown-class":
        _write(labels / "DJI_0005-0185.txt", "0 0.5 0.5 0.1 0.1\n")
        names = ["--label-names", "tree"]
    elif setup == "no-names":
        _write(labels / "DJI_0005-0185.txt", "0 0.5 0.5 0.1 0.1\n")
        names = []
    elif setup == "labels-missing":
        labels = tmp_path / "no-labels"
    r = cli("vision", "eval", target, "--labels", labels, *names)
    assert r.code == 2, r.out
    assert message in r.err and len(r.err.strip().splitlines()) == 1
    assert "Traceback" not in r.err


def test_a_truncated_jpeg_is_a_counted_corrupt_frame_and_exit_1(cli, tmp_path):
    frames = _frames(tmp_path, "DJI_0005-*.jpg")
    cut = frames / "DJI_0005-0186.jpg"
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size * 2 // 3])
    r = cli("vision", "eval", frames)
    assert r.code == 1
    assert "2 frames (1 corrupt)" in r.out
    assert "1 frames could not be decoded, or were under 32 px" in r.err


def test_a_detector_that_cannot_apply_says_why_once_not_per_frame(cli, tmp_path):
    """``people`` cannot tell from frames without a pose whether anyone is tall enough to find;
    the user reads that once, instead of a silent zero."""
    frames = _frames(tmp_path, "DJI_0005-*")
    r = cli("vision", "eval", frames, "--detectors", "people")
    assert r.code == 0, r.err
    said = [line for line in r.out.splitlines() if line.startswith("people: no pose")]
    assert len(said) == 1 and "Give telemetry" in said[0], r.out


def test_alert_sheets_show_each_alert_once_and_index_it(cli, tmp_path):
    """Footage without labels is judged by eye: one numbered tile per alert, its first box
    beside the same place later, and an index line per tile naming frame, box and track."""
    frames = _frames(tmp_path, "DJI-00760-*")
    sheets, out = tmp_path / "sheets", tmp_path / "dets.jsonl"
    r = cli("vision", "eval", frames, "--height-m", "85", "--alert-sheets", sheets,
            "--detections-out", out)  # fmt: skip
    assert r.code == 0, r.err
    alerts = int(re.search(r"detections, (\d+) alerts", r.out)[1])
    index = [json.loads(line) for line in (sheets / "index.jsonl").read_text().splitlines()]
    assert len(index) == alerts >= 1
    assert [row["tile"] for row in index] == list(range(alerts))
    first: dict[int, dict] = {}
    for row in (json.loads(line) for line in out.read_text().splitlines()):
        if row["track"] is not None:
            first.setdefault(row["track"], row)
    assert {row["track"] for row in index} == set(first)
    for row in index:
        assert (row["frame"], row["box"]) == (
            first[row["track"]]["frame"],
            first[row["track"]]["box"],
        )
    pngs = sorted(sheets.glob("sheet-*.png"))
    assert len(pngs) == -(-alerts // 24)
    image = cv2.imread(str(pngs[0]))
    assert image.shape[1] == 4 * 360 and image.shape[0] % 180 == 0
    assert f"{len(pngs)} alert sheets written to {sheets}" in r.out


def test_alert_sheets_to_a_place_that_cannot_be_a_folder_is_one_line(cli, tmp_path):
    frames = _frames(tmp_path, "DJI-00760-*")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    r = cli("vision", "eval", frames, "--height-m", "85", "--alert-sheets", blocker)
    assert r.code == 2, r.out
    assert "cannot write alert sheets to" in r.err and len(r.err.strip().splitlines()) == 1
    assert "Traceback" not in r.err


def test_a_short_mover_keeping_up_with_the_traffic_is_one_moving_object():
    """Ground truth for motion (``find_movers``): a motorbike, a third of a car long, riding at
    10 m/s moves further each frame than 4 of its own lengths a second allow, and became a new
    moving vehicle in each frame (a towed trailer did so in 12 frames of a real KIT AIS
    sequence). The reach is now never shorter than the video's typical labelled vehicle."""
    rng = np.random.default_rng(3)
    ground = cv2.GaussianBlur(rng.integers(0, 255, (300, 600), dtype=np.uint8), (0, 0), 1.5)
    ground = cv2.cvtColor(ground, cv2.COLOR_GRAY2BGR)
    parked = [LabelBox((x, 40.0, x + 36.0, 56.0), "vehicle", "car") for x in (40, 120, 200, 280)]
    frames = []
    for i in range(5):
        x = 100.0 + 40.0 * i  # 80 px a second: 10 m/s where a 4.5 m car is 36 px long
        bike = LabelBox((x, 200.0, x + 12.0, 206.0), "vehicle", "car")
        frames.append(LabelledFrame(0.5 * i, ground, FrameLabels(boxes=[*parked, bike])))
    movers, judged = find_movers(frames, 3.0)
    assert judged == {1, 2, 3, 4}
    assert len(movers) == 4 and len({m.obj for m in movers}) == 1, movers
