"""Per-frame precision and recall of the thermal, model and bloom detectors on real labelled frames.

Matching rule (the issue's): a detection matches a label of its class when IoU >= 0.3, or when its
centre lies inside a label box whose smaller side is under 16 px; each label is matched once,
detections taken by score. Detections centred in a VOC ``DontCare`` region are not counted.

Sets (folders of frames with labels of the same stem):
- ``--thermal DIR``: Pascal VOC ``.xml`` (``Person`` -> ``person``, ``Car``/``OtherVehicle`` ->
  ``vehicle``; ``DontCare`` and ``Bicycle`` regions are not counted), e.g. HIT-UAV night frames;
- ``--rgb DIR``: YOLO ``.txt`` (every class -> ``vehicle``), e.g. aerial-cars nadir frames.
Both default to the small real fixture sets in ``tests/fixtures/aerial`` so that ``make bench``
runs anywhere; pass the full sets for the figures quoted in the README.

Prints per detector and set: precision, recall, detections per frame by code, and frames per
second on one core (CPU time of ``detect`` with one OpenCV thread, so that other work on a
shared machine does not skew it; decoding the JPEG is not counted). Codes the set has no labels
for (people in the car frames) are listed as unscored, not as false positives.
Run: ``.venv/bin/python bench/vision_detectors.py --thermal DIR --rgb DIR``.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vision.camera import Attitude, Camera  # noqa: E402
from vision.config import load_config  # noqa: E402
from vision.detectors import FrameContext, build_detectors  # noqa: E402
from vision.pose import Pose  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "aerial"
SMALL_PX = 16
# HIT-UAV classes as alert codes; others (DontCare, Bicycle: a rider is neither) are not counted
VOC_CODES = {"person": "person", "car": "vehicle", "othervehicle": "vehicle"}
# HIT-UAV: 60 m, 30 deg below the horizon; a 25 deg lens gives its people's 8x18 px
THERMAL_POSE = (60.0, -30.0, 25.0)
# aerial-cars: nadir; cars of 38 px median width (about 2 m) imply about 5 cm per pixel
RGB_POSE = (60.0, -90.0, 70.0)


def read_voc(path: Path) -> tuple[list[tuple[str, tuple]], list[tuple]]:
    """(labels as (code, box), DontCare boxes) of one VOC file."""
    labels, ignore = [], []
    for obj in ET.parse(path).getroot().iter("object"):
        bb = obj.find("bndbox")
        box = tuple(float(bb.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax"))
        name = VOC_CODES.get(obj.find("name").text.strip().lower())
        (ignore.append(box) if name is None else labels.append((name, box)))
    return labels, ignore


def read_yolo(path: Path, w: int, h: int, code: str = "vehicle") -> list[tuple[str, tuple]]:
    out = []
    for line in path.read_text().split("\n"):
        parts = line.split()
        if len(parts) == 5:
            cx, cy, bw, bh = (float(v) for v in parts[1:])
            box = ((cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h)
            out.append((code, box))
    return out


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _inside(x: float, y: float, b) -> bool:
    return b[0] <= x <= b[2] and b[1] <= y <= b[3]


def matches(det_box, label_box) -> bool:
    """The issue's rule: IoU >= 0.3, or the detection's centre inside a label under 16 px."""
    if _iou(det_box, label_box) >= 0.3:
        return True
    small = min(label_box[2] - label_box[0], label_box[3] - label_box[1]) < SMALL_PX
    cx, cy = (det_box[0] + det_box[2]) / 2, (det_box[1] + det_box[3]) / 2
    return small and _inside(cx, cy, label_box)


def score_frame(dets, labels, ignore, counts: Counter) -> None:
    """Adds this frame's true/false positives and misses per code into ``counts``."""
    used = set()
    for d in sorted(dets, key=lambda d: -d.score):
        hit = next(
            (
                i
                for i, (code, box) in enumerate(labels)
                if i not in used and code == d.code and matches(d.box, box)
            ),
            None,
        )
        cx, cy = d.ground_pixel
        if hit is not None:
            used.add(hit)
            counts[("tp", d.code)] += 1
        elif not any(_inside(cx, cy, b) for b in ignore):
            counts[("fp", d.code)] += 1
    for i, (code, _) in enumerate(labels):
        if i not in used:
            counts[("fn", code)] += 1


def frames(folder: Path):
    """(name, image, labels, ignore) of each labelled frame, sorted by name."""
    for img_path in sorted(folder.glob("*.jpg")) + sorted(folder.glob("*.png")):
        image = cv2.imread(str(img_path), cv2.IMREAD_COLOR)
        if image is None:
            print(f"  skipped unreadable {img_path.name}")
            continue
        voc, txt = img_path.with_suffix(".xml"), img_path.with_suffix(".txt")
        if voc.is_file():
            labels, ignore = read_voc(voc)
        elif txt.is_file():
            labels, ignore = read_yolo(txt, image.shape[1], image.shape[0]), []
        else:
            labels, ignore = [], []
        yield img_path.name, image, labels, ignore


def _pose_of(name: str, fixed: tuple[float, float, float] | None):
    """HIT-UAV file names carry day/night, altitude and camera angle: ``1_60_30_0_00001``."""
    m = re.match(r"[01]_(\d+)_(\d+)_", name)
    if fixed is None or m is None:
        return fixed
    return (float(m[1]), -float(m[2]), fixed[2])


def run(
    name: str, folder: Path, config, pose: tuple[float, float, float] | None, labelled: set[str]
) -> None:
    """One detector over one folder; ``pose`` = (height m, mount pitch deg, hfov deg) or None."""
    (det,) = build_detectors([name], config)
    counts: Counter = Counter()
    codes: Counter = Counter()
    n, spent = 0, 0.0
    for file, image, labels, ignore in frames(folder):
        h, w = image.shape[:2]
        cam, p, height = None, None, None
        here = _pose_of(file, pose)
        if here is not None:
            height, pitch, hfov = here
            cam = Camera.from_hfov(w, h, hfov, pitch)
            p = Pose(float(n), 0.0, 0.0, height, height, Attitude())
        ctx = FrameContext(image, float(n), cam, p, height)
        t0 = time.process_time()
        found = det.detect(ctx)
        spent += time.process_time() - t0
        n += 1
        codes.update(d.code for d in found)
        score_frame(found, labels, ignore, counts)
    if n == 0:
        print(f"  {name} on {folder}: no frames")
        return
    where = "no pose" if pose is None else "height {:g} m, pitch {:g}, hfov {:g}".format(*pose)
    where += (
        " (HIT-UAV names give height and pitch)" if pose and _pose_of(file, pose) != pose else ""
    )
    print(f"  {name} ({where}): {n} frames, {n / spent:.1f} fps on one core")
    for code in sorted(labelled):
        tp, fp, fn = counts[("tp", code)], counts[("fp", code)], counts[("fn", code)]
        p = tp / (tp + fp) if tp + fp else float("nan")
        r = tp / (tp + fn) if tp + fn else float("nan")
        print(f"    {code}: precision {p:.3f}, recall {r:.3f} (tp {tp}, fp {fp}, fn {fn})")
    unscored = sorted(set(codes) - labelled)
    if unscored:
        print(f"    unscored (no labels of this kind): {', '.join(unscored)}")
    per = ", ".join(f"{c} {k / n:.2f}" for c, k in sorted(codes.items())) or "none"
    print(f"    detections per frame: {per}")


def grey_720p(name: str, folder: Path, config) -> None:
    """``name`` on the RGB frames turned grey at 1280x720: its speed at 720p, and what it raises
    on daylight footage when the colour check cannot save it (a grey daylight camera)."""
    (det,) = build_detectors([name], config)
    n, spent, found = 0, 0.0, 0
    for _, image, _, _ in frames(folder):
        grey = cv2.cvtColor(cv2.resize(image, (1280, 720)), cv2.COLOR_BGR2GRAY)
        ctx = FrameContext(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), float(n), None, None, None)
        t0 = time.process_time()
        found += len(det.detect(ctx))
        spent += time.process_time() - t0
        n += 1
    if n:
        print(
            f"  {name} on grey daylight frames at 1280x720: {n / spent:.1f} fps on one core, "
            f"{found / n:.2f} detections per frame"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--thermal", type=Path, default=FIXTURES / "thermal")
    ap.add_argument("--rgb", type=Path, default=FIXTURES / "rgb-crops")
    ap.add_argument("--skip-model", action="store_true", help="the slow one")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    config = load_config()
    print(f"== thermal set {args.thermal}")
    people, cars = {"person", "vehicle"}, {"vehicle"}
    run("thermal", args.thermal, config, None, people)
    run("thermal", args.thermal, config, THERMAL_POSE, people)
    run("bloom", args.thermal, config, THERMAL_POSE, {"bloom"})
    if not args.skip_model:
        run("model", args.thermal, config, None, people)
    print(f"== RGB set {args.rgb}")
    run("thermal", args.rgb, config, None, cars)
    grey_720p("thermal", args.rgb, config)
    run("bloom", args.rgb, config, RGB_POSE, {"bloom"})
    if not args.skip_model:
        run("model", args.rgb, config, None, cars)


if __name__ == "__main__":
    main()
