"""Contact sheets of a run's alerts, for judging them by eye on footage that has no labels.

Most real footage has no labels, and the one question that matters there is what each alert lies
on. A sheet shows each alert's first box, cropped from its frame, beside the same place
``later`` frames on, so that a mover shows by having left and relief by having stayed. Each
tile is numbered, and ``index.jsonl`` gives tile, frame, file, box, code and track for each
number: a reviewer writes a verdict per line. That is how the README's figures on real oblique
footage (the MEVA montage) were judged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from vision.evaluate.runner import EvalRecord

__all__ = ["AlertSheets"]

TILE_PX = 180  # each crop is shown this size
PER_SHEET = 24
COLUMNS = 4  # crop pairs per row


@dataclass
class _Pending:
    number: int
    record: EvalRecord
    first: np.ndarray
    due: int  # frame index of the later crop


@dataclass
class AlertSheets:
    """Collects each alert's crops while a run goes on, and writes each sheet once its tiles are
    done (a long run holds at most a sheet's worth, plus the alerts of the last ``later``
    frames); ``close`` writes the rest and the index."""

    out: Path
    later: int = 20
    sheets: int = 0
    alerts: int = 0
    _tiles: dict[int, np.ndarray] = field(default_factory=dict)
    _index: list[str] = field(default_factory=list)
    _pending: list[_Pending] = field(default_factory=list)
    _seen: set[int] = field(default_factory=set)

    def see(self, index: int, image: np.ndarray, records: list[EvalRecord]) -> None:
        """One frame of the run: start a tile for each alert first seen in it, and finish the
        tiles whose later frame this is."""
        for r in records:
            if r.track is None or r.track in self._seen:
                continue
            self._seen.add(r.track)
            number = self.alerts
            self.alerts += 1
            self._index.append(json.dumps({
                "tile": number, "sheet": number // PER_SHEET, "frame": index, "file": r.file,
                "box": list(r.box), "code": r.code, "track": r.track}))  # fmt: skip
            self._pending.append(_Pending(number, r, _crop(image, r.box), index + self.later))
        for p in [p for p in self._pending if p.due <= index]:
            self._finish(p, _crop(image, p.record.box))
        self._flush(final=False)

    def close(self) -> int:
        """Write what is left and ``index.jsonl``; returns the sheets written. An alert whose
        later frame never came (the footage ended) is shown beside a blank."""
        for p in list(self._pending):
            self._finish(p, np.zeros_like(p.first))
        self._flush(final=True)
        if self._index:
            self.out.mkdir(parents=True, exist_ok=True)
            (self.out / "index.jsonl").write_text("\n".join(self._index) + "\n")
        return self.sheets

    def _finish(self, p: _Pending, later: np.ndarray) -> None:
        tile = np.hstack([p.first, later])
        cv2.putText(tile, f"{p.number}", (3, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 255, 255), 1)
        self._tiles[p.number] = tile
        self._pending.remove(p)

    def _flush(self, final: bool) -> None:
        """Write every sheet whose tiles are all done (with ``final``, the last one too)."""
        while True:
            first = self.sheets * PER_SHEET
            numbers = range(first, min(first + PER_SHEET, self.alerts))
            full = len(numbers) == PER_SHEET or (final and len(numbers) > 0)
            if not full or any(n not in self._tiles for n in numbers):
                return
            chunk = [self._tiles.pop(n) for n in numbers]
            chunk += [np.zeros_like(chunk[0])] * (-len(chunk) % COLUMNS)
            rows = [np.hstack(chunk[i : i + COLUMNS]) for i in range(0, len(chunk), COLUMNS)]
            self.out.mkdir(parents=True, exist_ok=True)
            path = self.out / f"sheet-{self.sheets:02d}.png"
            if not cv2.imwrite(str(path), np.vstack(rows)):
                raise OSError(f"OpenCV could not write {path}")
            self.sheets += 1


def _crop(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The box outlined in red, on a square around it three times its size (at least 60 px),
    padded with black at the frame's edge, scaled to ``TILE_PX``."""
    x0, y0, x1, y1 = (int(v) for v in box)
    half = max(30, int(1.5 * max(x1 - x0, y1 - y0)))
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    framed = image.copy() if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    cv2.rectangle(framed, (x0, y0), (x1, y1), (0, 0, 255), 1)
    padded = cv2.copyMakeBorder(framed, half, half, half, half, cv2.BORDER_CONSTANT)
    square = padded[cy : cy + 2 * half, cx : cx + 2 * half]
    return cv2.resize(square, (TILE_PX, TILE_PX), interpolation=cv2.INTER_NEAREST)
