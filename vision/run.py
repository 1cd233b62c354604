"""Running vision, the use case: one assembly of the frame-flagging pipeline for every caller.

``gridpatrol vision``, the demo, the benchmarks and the tests all build their pipeline here (the
detectors picked by name, evidence kept under the config's retention and quality, alerts routed
by the district's cells) and push frames through ``flag_frames``; only where frames come from and
where alerts go differ between them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from mission.district import CellIndex
from mission.model import District
from vision.alerts import Alert, AlertSink, EvidenceStore
from vision.config import VisionConfig
from vision.detectors import build_detectors
from vision.pipeline import Pipeline, PipelineStats
from vision.pose import PoseTrack
from vision.source import Frame

__all__ = ["Fanout", "vision_pipeline", "flag_frames"]


class Fanout:
    """Sends each alert to every sink in turn (MQTT and a JSON-lines file, say)."""

    def __init__(self, sinks: Sequence[AlertSink]):
        self.sinks = list(sinks)

    def send(self, alert: Alert) -> None:
        for sink in self.sinks:
            sink.send(alert)


def vision_pipeline(
    district: District,
    config: VisionConfig,
    *,
    detectors: Sequence[str],
    poses: PoseTrack,
    sink: AlertSink,
    evidence_dir: Path | None = None,
    clock: Callable[[], float] = time.time,
) -> Pipeline:
    """The pipeline for ``detectors`` (by name); evidence under ``evidence_dir`` (default: the
    config's ``[alerts] evidence_dir``); ``clock`` stamps the alerts (tests pass a fixed one)."""
    alerts = config.alerts
    store = EvidenceStore(
        Path(evidence_dir or alerts.evidence_dir),
        alerts.retention_days,
        alerts.jpeg_quality,
        alerts.embed_jpeg,
    )
    return Pipeline(
        district=district,
        config=config,
        detectors=build_detectors(list(detectors), config),
        poses=poses,
        sink=sink,
        evidence=store,
        cells=CellIndex(district),
        clock=clock,
    )


def flag_frames(
    pipeline: Pipeline,
    frames: Iterable[Frame],
    *,
    on_alert: Callable[[Alert], None] | None = None,
    on_frame: Callable[[Frame], None] | None = None,
) -> PipelineStats:
    """Run every frame through ``pipeline``; ``on_alert`` sees each alert raised or updated,
    ``on_frame`` each frame once processed (a progress bar). Returns the pipeline's counts."""
    for frame in frames:
        for alert in pipeline.process(frame):
            if on_alert is not None:
                on_alert(alert)
        if on_frame is not None:
            on_frame(frame)
    return pipeline.stats
