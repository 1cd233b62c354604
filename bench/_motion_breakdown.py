"""What the motion detections that miss every moving vehicle lie on (bench/vision_real.py).

The labels of the real RGB sets box vehicles only, moving or parked, so a "false" motion
detection can be many things; sorting them says what limits precision:

- ``parked``: on a labelled vehicle the mover rule calls parked (a slow bus among them);
- ``misplaced``: over a moving vehicle, but its box does not match (car and shadow, two cars
  in one box, part of a bus);
- ``beside``: touching a labelled vehicle, on neither (a ghost, a shadow);
- ``no vehicle``: on no labelled vehicle at all: people walking (unlabelled), their shadows,
  structures under parallax (wires, stairs).
"""

from __future__ import annotations

from collections import Counter

from vision.evaluate.labels import FrameLabels
from vision.evaluate.matching import matches

__all__ = ["KINDS", "false_kind", "say_breakdown"]

KINDS = ("parked", "misplaced", "beside", "no vehicle")


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, w) * max(0.0, h)


def false_kind(box, labels: FrameLabels, moving: set[int]) -> str:
    """Which of ``KINDS`` a detection matching no moving box is; ``moving``: indices of the
    frame's moving labels."""
    if any(matches(box, lb.box) for lb in labels.boxes):
        return "parked"
    area = max(1.0, (box[2] - box[0]) * (box[3] - box[1]))
    over = [(_overlap(box, lb.box), j) for j, lb in enumerate(labels.boxes)]
    if any(o >= 0.3 * area and j in moving for o, j in over):
        return "misplaced"
    return "beside" if any(o > 0 for o, _ in over) else "no vehicle"


def say_breakdown(say, what: str, kinds: Counter) -> None:
    """Print one line: the false detections of ``what`` by kind."""
    total = sum(kinds.values())
    parts = ", ".join(f"{k} {kinds[k]}" for k in KINDS)
    say(f"  {what} on no moving vehicle, by kind", f"{total}: {parts}")
