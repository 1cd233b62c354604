"""Score detectors on footage with no telemetry: the service behind ``gridpatrol vision eval``.

INPUT is a video file or a folder of frames. Labels, when given, are looked up per frame by the
frame file's stem (``<stem>.txt`` YOLO or ``<stem>.xml`` VOC); for a video, by the 0-based frame
index written with six digits (``000042.txt``). A frame with no label file is scored as empty
and counted. Every detection can be written as one JSON line, so anyone can re-score the run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from mission.text import N_
from vision.config import VisionConfig
from vision.detectors import build_detectors, take_notices
from vision.errors import VisionError
from vision.evaluate.labels import FrameLabels, LabelError, read_voc, read_yolo, yolo_names
from vision.evaluate.matching import ClassScore, match_frame
from vision.evaluate.runner import EvalRecord, Evaluator
from vision.evaluate.sheets import AlertSheets
from vision.evaluate.tracks import MoverTracks, TrackScore, read_mot, score_tracks
from vision.source import ImageFolderSource, VideoFileSource

__all__ = ["EvalError", "EvalReport", "evaluate"]


class EvalError(VisionError):
    """The input or the options of an evaluation are unusable."""


@dataclass
class EvalReport:
    frames: int = 0
    corrupt: int = 0
    footage_s: float = 0.0
    busy_s: float = 0.0
    detections: int = 0
    alerts: int = 0
    alerts_by_code: dict[str, int] = field(default_factory=dict)
    quiet: int = 0
    scores: dict[str, ClassScore] = field(default_factory=dict)
    unlabelled_frames: int = 0
    labels_outside: int = 0
    labelled: bool = False
    detector_stats: dict[str, dict] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    tracks: TrackScore | None = None  # with --tracks: the run scored per moving object
    tracks_turned: int = 0
    tracks_dropped: int = 0
    sheets: int = 0  # with alert_sheets: contact sheets written

    @property
    def fps(self) -> float:
        return self.frames / self.busy_s if self.busy_s > 0 else 0.0

    @property
    def alerts_per_minute(self) -> float | None:
        return self.alerts / (self.footage_s / 60.0) if self.footage_s > 0 else None


class _Labels:
    """Label files of one folder, read on demand for each frame."""

    def __init__(self, folder: Path, names: Sequence[str] | None):
        if not folder.is_dir():
            raise EvalError(
                N_("labels folder {folder} does not exist; check --labels", folder=folder)
            )
        self.folder = folder
        self.names = list(names) if names else yolo_names(folder)

    def read(self, stem: str, size: tuple[int, int]) -> FrameLabels | None:
        txt, xml = self.folder / f"{stem}.txt", self.folder / f"{stem}.xml"
        if xml.is_file():
            return read_voc(xml, size)
        if txt.is_file():
            if not self.names:
                raise LabelError(
                    N_(
                        "YOLO labels in {folder} need class names: add classes.txt there or pass "
                        "--label-names car,truck,...",
                        folder=self.folder,
                    )
                )
            return read_yolo(txt, size, self.names)
        return None


def _open(path: Path, fps: float):
    if path.is_dir():
        return ImageFolderSource(path, 0.0, fps)
    if not path.exists():
        raise EvalError(
            N_("input {path} does not exist; give a video file or a folder of frames", path=path)
        )
    return VideoFileSource(path, 0.0)


def _sheets(step, out: Path | None, *args):
    """Run one step of the alert sheets; a folder that cannot be written is one line to fix."""
    try:
        return step(*args)
    except OSError as exc:
        raise EvalError(
            N_(
                "cannot write alert sheets to {out}: {why}; choose another --alert-sheets",
                out=out,
                why=exc.strerror or exc,
            )
        ) from exc


def evaluate(
    input_path: Path,
    config: VisionConfig,
    detectors: Sequence[str],
    *,
    labels: Path | None = None,
    label_names: Sequence[str] | None = None,
    detections_out: TextIO | None = None,
    height_m: float | None = None,
    fps: float = 1.0,
    tracks: Path | None = None,
    tracks_first_frame: int = 1,
    alert_sheets: Path | None = None,
) -> EvalReport:
    """Run ``detectors`` over every frame of ``input_path`` and score them against ``labels``,
    and against ``tracks`` (MOT CSV of the moving objects, ``vision.evaluate.tracks``);
    ``alert_sheets``: a folder for contact sheets of the alerts (``vision.evaluate.sheets``)."""
    if height_m is not None and not (math.isfinite(height_m) and 0 < height_m < 10_000):
        raise EvalError(
            N_("--height-m must be a height in metres above 0, got {height_m}", height_m=height_m)
        )
    lab = _Labels(labels, label_names) if labels is not None else None
    source = _open(input_path, fps)
    report = EvalReport(labelled=lab is not None)
    ev = Evaluator(config, build_detectors(detectors, config), height_m)
    first = last = None
    all_labels = 0
    movers: MoverTracks | None = None
    kept: list[EvalRecord] = []
    sheets = AlertSheets(alert_sheets) if alert_sheets is not None else None
    try:
        for frame in source:
            files = getattr(source, "files", None)
            name = files[frame.index].name if files else ""
            if tracks is not None and movers is None:
                h, w = frame.image.shape[:2]
                movers = read_mot(tracks, (w, h), tracks_first_frame)
            records = ev.process(frame.index, frame.time, frame.image, name)
            if movers is not None:
                kept += records
            report.notices += take_notices(ev.detectors)
            report.detections += len(records)
            if sheets is not None:
                _sheets(sheets.see, alert_sheets, frame.index, frame.image, records)
            first = frame.time if first is None else first
            last = frame.time
            if detections_out is not None:
                for r in records:
                    detections_out.write(json.dumps(r.as_json()) + "\n")
            if lab is not None:
                stem = Path(name).stem if name else f"{frame.index:06d}"
                h, w = frame.image.shape[:2]
                fl = lab.read(stem, (w, h))
                if fl is None:
                    report.unlabelled_frames += 1
                    fl = FrameLabels()
                report.labels_outside += fl.outside
                all_labels += len(fl.boxes)
                _, scores = match_frame([(r.box, r.score, r.code) for r in records], fl)
                for code, s in scores.items():
                    t = report.scores.setdefault(code, ClassScore())
                    t.detections += s.detections
                    t.true_positives += s.true_positives
                    t.labels += s.labels
                    t.found += s.found
        if sheets is not None:
            report.sheets = _sheets(sheets.close, alert_sheets)
    finally:
        source.close()
    if lab is not None and "activity" in [d.strip() for d in detectors]:
        report.scores.setdefault("activity", ClassScore()).labels = all_labels
    if movers is not None:
        report.tracks = score_tracks(kept, movers)
        report.tracks_turned, report.tracks_dropped = movers.turned, movers.dropped
    report.frames = ev.frames
    report.corrupt = source.stats.corrupt
    report.busy_s = ev.busy_s
    report.alerts, report.alerts_by_code = ev.alerts, dict(ev.alerts_by_code)
    report.quiet = ev.quiet
    step = 1.0 / fps if isinstance(source, ImageFolderSource) else 1.0 / (source.fps or 25.0)
    report.footage_s = (last - first + step) if first is not None else 0.0
    report.detector_stats = {
        d.name: dict(d.stats) for d in ev.detectors if isinstance(getattr(d, "stats", None), dict)
    }
    return report
