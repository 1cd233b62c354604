"""A by-eye review of the motion detections that the real sets' labels put on no moving vehicle.

aerial-cars boxes vehicles only ("pedestrians are not labelled"), and its mover rule misses
movers whose box the labels do not link across frames, so the goal's "detections on a real
mover" cannot be read from its labels alone. ``bench/review/aerial-cars-motion.jsonl`` holds one
verdict per such detection of the default detector (with a known height), each judged from a
crop beside the previous frame (``_motion_crops.py --numbered``):

- ``walker``: a person or cyclist in the box, or their shadow with them at its end;
- ``vehicle``: a moving vehicle the labels do not mark as moving there (unlabelled, or a part of
  a long bus beside its box);
- ``part``: a box partly on a labelled moving vehicle (two cars in one box, a grown box, a
  fragment);
- ``none``: nothing moving (a structure under parallax, the place a vehicle has left, the
  windscreen of a standing car, a static shadow).

A detection is looked up by file and box (IoU >= 0.5 with the reviewed box), so a changed
detector leaves some detections unreviewed; those are counted and printed, never guessed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path

from vision.evaluate.matching import iou

__all__ = ["REVIEW", "VERDICTS", "load_review", "verdict_of"]

REVIEW = Path(__file__).resolve().parent / "review" / "aerial-cars-motion.jsonl"
VERDICTS = ("walker", "vehicle", "part", "none")
SAME_BOX_IOU = 0.5

Review = dict[Hashable, list[tuple[tuple[float, float, float, float], str]]]


def _file(entry: dict) -> str:
    if not isinstance(entry["file"], str):
        raise TypeError("file is not a name")
    return entry["file"]


def load_review(
    path: Path = REVIEW,
    verdicts: Sequence[str] = VERDICTS,
    key: Callable[[dict], Hashable] = _file,
    place: str = "a file",
) -> Review:
    """Verdicts by frame file name (or by what ``key`` reads from a line, ``place`` naming it
    in errors: another review's frames). The file is hand-made: a line that is not a verdict on
    a place and a box stops the benchmark with one line naming it, rather than being guessed."""
    review: Review = defaultdict(list)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SystemExit(
            f"{path}: cannot read the review ({exc.strerror}); restore it from git"
        ) from None
    for n, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
            box = tuple(float(v) for v in entry["box"])
            where = key(entry)
            ok = entry["verdict"] in verdicts and len(box) == 4
        except (ValueError, TypeError, KeyError):
            ok = False
        if not ok:
            raise SystemExit(
                f"{path}:{n}: not a verdict ({', '.join(verdicts)}) on {place} and box"
            )
        review[where].append((box, entry["verdict"]))
    return review


def verdict_of(review: Review, file: Hashable, box) -> str | None:
    """The reviewed verdict for this detection, or None when it was not reviewed."""
    best = max(review.get(file, ()), key=lambda e: iou(box, e[0]), default=None)
    return best[1] if best is not None and iou(box, best[0]) >= SAME_BOX_IOU else None
