"""Moving objects as tracks (MOT format) and the alert measures scored on them.

Frame-by-frame labels say where vehicles are, not which of them is the same vehicle from frame
to frame, so they cannot say whether a car got one alert or three, or none. Tracking ground
truth can: the MOT challenge's CSV (``frame, id, left, top, width, height, ...``), which
annotation tools for traffic footage export. Given the tracks of the objects that move, a run is
scored as the ground team meets it: how many movers were found by a detection, how many got an
alert, how many alerts each got, how many alerts lay on no labelled mover, and how many alerts
followed several movers.

The file is hostile input like any label file (``labels``): capped in size, every number
checked. Boxes drawn from the other corner (negative width or height, as a real file has) are
turned round and counted; boxes clipped to the frame; ones under ``MIN_SIDE_PX`` dropped and
counted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mission.text import N_
from vision.evaluate.labels import LabelError, _number, _read_text
from vision.evaluate.matching import matches
from vision.evaluate.runner import EvalRecord

__all__ = ["MoverTracks", "TrackScore", "read_mot", "score_tracks"]

MAX_TRACK_BYTES = 64_000_000  # 10 minutes at 30 fps with 30 movers in view is about 30 MB
MIN_SIDE_PX = 2.0

Box = tuple[float, float, float, float]


@dataclass
class MoverTracks:
    """Per 0-based frame index, the (box, track id) of every labelled mover."""

    boxes: dict[int, list[tuple[Box, int]]] = field(default_factory=lambda: defaultdict(list))
    turned: int = 0  # boxes given from the other corner
    dropped: int = 0  # boxes outside the frame or under MIN_SIDE_PX

    @property
    def movers(self) -> set[int]:
        return {i for boxes in self.boxes.values() for _, i in boxes}

    @property
    def last_frame(self) -> int:
        return max(self.boxes, default=-1)


def read_mot(path: Path, size: tuple[int, int], first_frame: int = 1) -> MoverTracks:
    """The tracks in ``path`` for frames ``size`` (w, h) pixels; ``first_frame`` is the number the
    file gives the video's first frame (1 in the MOT challenge, 0 in some tools' exports)."""
    w, h = size
    out = MoverTracks()
    for n, line in enumerate(_read_text(path, MAX_TRACK_BYTES).splitlines(), 1):
        fields = [f.strip() for f in line.split(",")]
        if not line.strip() or (n == 1 and not _numeric(fields[0])):
            continue  # blank, or a header row
        where = f"{path}:{n}"
        if len(fields) < 6:
            raise LabelError(
                N_(
                    "{where}: {count} fields, a MOT track line has at least 6 (frame, id, left, "
                    "top, width, height); fix the track file",
                    where=where,
                    count=len(fields),
                )
            )
        frame, track, x, y, bw, bh = (_number(f, where) for f in fields[:6])
        if frame != int(frame) or track != int(track) or frame < first_frame:
            raise LabelError(
                N_(
                    "{where}: frame {frame} and id {track} must be whole numbers, the frame from "
                    "{first}; fix the track file",
                    where=where,
                    frame=fields[0],
                    track=fields[1],
                    first=first_frame,
                )
            )
        if bw < 0 or bh < 0:
            out.turned += 1
            x, bw = (x + bw, -bw) if bw < 0 else (x, bw)
            y, bh = (y + bh, -bh) if bh < 0 else (y, bh)
        box = (max(0.0, x), max(0.0, y), min(float(w), x + bw), min(float(h), y + bh))
        if box[2] - box[0] < MIN_SIDE_PX or box[3] - box[1] < MIN_SIDE_PX:
            out.dropped += 1
            continue
        out.boxes[int(frame) - first_frame].append((box, int(track)))
    return out


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass
class TrackScore:
    """What a run did with the labelled movers (``score_tracks``)."""

    movers: int = 0
    found: int = 0  # movers a detection lay on, at least once
    alerted: int = 0  # movers whose box an alert's first detection lay on
    alerts: int = 0
    alerts_on_movers: int = 0
    alerts_on_nothing: int = 0  # first detection on no labelled mover
    shared: int = 0  # alerts whose detections lay on several movers
    detections: int = 0
    on_movers: int = 0
    followed: int = 0  # movers an alert's detection lay on
    met: int = 0  # over those movers, the distinct alerts whose detections lay on each

    @property
    def per_mover(self) -> float:
        return self.alerts_on_movers / self.alerted if self.alerted else float("nan")

    @property
    def met_per_mover(self) -> float:
        """Alerts per mover as anyone scoring ``--detections-out`` counts them: the distinct
        ``track`` numbers on each mover's detections. An alert that hops from car to car is
        counted on each, so it shows here where ``per_mover`` (first detections) hides it."""
        return self.met / self.followed if self.followed else float("nan")


def score_tracks(records: Iterable[EvalRecord], tracks: MoverTracks) -> TrackScore:
    """Score a run's records (in frame order) against ``tracks``; frames after the last labelled
    one are not scored (the labels stopped there, not the movers)."""
    score = TrackScore(movers=len(tracks.movers))
    found: set[int] = set()
    first: dict[int, int | None] = {}  # alert -> the mover its first detection lay on
    followed: dict[int, set[int]] = defaultdict(set)
    for r in records:
        if r.frame > tracks.last_frame:
            continue
        mover = next((i for b, i in tracks.boxes.get(r.frame, ()) if matches(r.box, b)), None)
        score.detections += 1
        if mover is not None:
            score.on_movers += 1
            found.add(mover)
        if r.track is None:
            continue
        first.setdefault(r.track, mover)
        if mover is not None:
            followed[r.track].add(mover)
    per = Counter(m for m in first.values() if m is not None)
    score.found, score.alerted = len(found), len(per)
    score.alerts, score.alerts_on_movers = len(first), sum(per.values())
    score.alerts_on_nothing = score.alerts - score.alerts_on_movers
    score.shared = sum(len(m) > 1 for m in followed.values())
    met = Counter(m for movers in followed.values() for m in movers)
    score.followed, score.met = len(met), sum(met.values())
    return score
