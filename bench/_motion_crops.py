"""Look at the motion detections that miss every moving vehicle: crops, sorted by kind.

Run: ``.venv/bin/python bench/_motion_crops.py --data DIR --out OUT [--known-height]`` where DIR
holds labelled RGB frames as ``bench/vision_real.py`` reads them. For each kind of
``_motion_breakdown.KINDS`` it writes ``OUT/<kind>-<n>.png``: sheets of 16 crops, each the
frame now (detection red, moving vehicles green) beside the earlier frame at the same place.
With ``--numbered`` it writes instead ``OUT/sheet-NN.png``, all kinds in frame order with each
crop numbered, and ``OUT/index.jsonl`` (number, file, box, kind): the sheets the review in
``_motion_review.py`` was judged from. A tool for finding what limits precision, not a benchmark
(``make bench`` skips ``_*.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _aerial_frames import CAR_NAMES, _height_from_cars, _videos  # noqa: E402
from _motion_breakdown import KINDS, false_kind  # noqa: E402

from vision.config import load_config  # noqa: E402
from vision.detectors import build_detectors  # noqa: E402
from vision.evaluate.labels import read_yolo  # noqa: E402
from vision.evaluate.matching import matches  # noqa: E402
from vision.evaluate.movers import LabelledFrame, find_movers  # noqa: E402
from vision.evaluate.runner import Evaluator  # noqa: E402
from vision.pipeline import camera_for  # noqa: E402

_TILE = (300, 150)  # width, height of one crop pair on a sheet
_PAD = 40  # pixels of context round a detection


def _pair(now: np.ndarray, before: np.ndarray, box, moving: list) -> np.ndarray:
    x0, y0, x1, y1 = (int(v) for v in box)
    ox, oy = max(0, x0 - _PAD), max(0, y0 - _PAD)
    crop = now[oy : y1 + _PAD, ox : x1 + _PAD].copy()
    for b in moving:
        bx0, by0, bx1, by1 = (int(v) for v in b)
        cv2.rectangle(crop, (bx0 - ox, by0 - oy), (bx1 - ox, by1 - oy), (0, 255, 0), 1)
    cv2.rectangle(crop, (x0 - ox, y0 - oy), (x1 - ox, y1 - oy), (0, 0, 255), 2)
    earlier = before[oy : y1 + _PAD, ox : x1 + _PAD]
    return np.hstack([crop, earlier]) if earlier.shape == crop.shape else crop


def _sheets(
    tiles: list[np.ndarray], out: Path, name: str, per: int = 16, numbered: bool = False
) -> None:
    """``tiles`` on sheets of ``per`` crops, 4 a row, as ``OUT/<name>-<k>.png``; ``numbered``:
    each crop carries its number, as the by-eye review needs."""
    w, h = _TILE
    cells = []
    for n, t in enumerate(tiles):
        s = min(w / t.shape[1], h / t.shape[0])
        t = cv2.resize(t, None, fx=s, fy=s, interpolation=cv2.INTER_NEAREST)
        cell = np.zeros((h, w, 3), np.uint8)
        cell[: t.shape[0], : t.shape[1]] = t
        if numbered:
            cv2.putText(cell, str(n), (2, h - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 255, 255), 2)
        cells.append(cell)
    for k in range(0, len(cells), per):
        chunk = cells[k : k + per]
        chunk += [np.zeros_like(chunk[0])] * (-len(chunk) % 4)
        rows = [np.hstack(chunk[i : i + 4]) for i in range(0, len(chunk), 4)]
        cv2.imwrite(str(out / f"{name.replace(' ', '-')}-{k // per:02d}.png"), np.vstack(rows))


def _numbered(tiles: list[tuple[np.ndarray, dict]], out: Path) -> None:
    """Every crop in frame order, numbered, and ``index.jsonl`` saying which detection each is."""
    _sheets([t for t, _ in tiles], out, "sheet", per=20, numbered=True)
    lines = [json.dumps({"n": n, **entry}) for n, (_, entry) in enumerate(tiles)]
    (out / "index.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--known-height", action="store_true")
    ap.add_argument("--seconds-per-number", type=float, default=1.0)
    ap.add_argument("--numbered", action="store_true", help="numbered sheets and index.jsonl")
    args = ap.parse_args()
    config = load_config()
    args.out.mkdir(parents=True, exist_ok=True)
    tiles: dict[str, list[np.ndarray]] = defaultdict(list)
    in_order: list[tuple[np.ndarray, dict]] = []
    unreadable = 0
    videos = _videos(args.data, args.seconds_per_number) if args.data.is_dir() else {}
    if not videos:
        print(f"no labelled frames (<video>-<number>.jpg with a .txt) in {args.data}")
        return 2
    for _video, items in videos.items():
        frames, names = [], []
        for t, p in items:
            img = cv2.imread(str(p))
            if img is None:
                unreadable += 1
                continue
            labels = read_yolo(p.with_suffix(".txt"), (img.shape[1], img.shape[0]), CAR_NAMES)
            frames.append(LabelledFrame(t, img, labels))
            names.append(p.name)
        if not frames:
            continue
        movers, _ = find_movers(frames, config.activity.max_gap_s)
        height = None
        if args.known_height:
            w = frames[0].image.shape[1]
            height = _height_from_cars(frames, camera_for(config, w, w).fx)
        ev = Evaluator(config, build_detectors(["activity"], config), height)
        for i, f in enumerate(frames):
            moving = {m.label for m in movers if m.frame == i}
            boxes = [f.labels.boxes[j].box for j in moving]
            for r in ev.process(i, f.time, f.image):
                if any(matches(r.box, b) for b in boxes):
                    continue
                kind = false_kind(r.box, f.labels, moving)
                tile = _pair(f.image, frames[i - 1].image, r.box, boxes)
                tiles[kind].append(tile)
                box = [round(float(v), 1) for v in r.box]
                in_order.append((tile, {"file": names[i], "box": box, "kind": kind}))
    if args.numbered and in_order:
        _numbered(in_order, args.out)
    for kind in KINDS:
        if tiles[kind] and not args.numbered:
            _sheets(tiles[kind], args.out, kind)
        print(f"{kind:<12} {len(tiles[kind])} detections")
    if unreadable:
        print(f"{unreadable} frames could not be read and were left out")
    return 1 if unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
