"""Alerts: the wire model, their evidence images on disk, and where they are sent.

An alert is a lead for a human to review, never a verdict. It carries where (lat/lon with an
uncertainty radius, the grid cell and its team, the frame's ground footprint), when, which detector
and how sure, and its evidence: a crop round the detection and a downscaled full frame, both
JPEG files named by the alert id with their SHA-256, cut from frames whose privacy zones were
already blacked out. Evidence older than ``retention_days`` is deleted by ``EvidenceStore.purge``.
``MqttAlertSink`` publishes at QoS 1 through the telemetry spool, so no alert is lost to an outage.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mission.text import N_
from telemetry.topics import alert_topic
from vision.errors import VisionError

__all__ = [
    "Alert",
    "Evidence",
    "EvidenceImage",
    "EvidenceStore",
    "AlertSink",
    "MqttAlertSink",
    "JsonlAlertSink",
    "alert_topic",
]


class EvidenceImage(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str = Field(description="path of the JPEG file, relative to the evidence folder")
    sha256: str = Field(description="SHA-256 of the JPEG file's bytes, hex")
    jpeg_b64: str | None = Field(
        None, description="the same JPEG, base64 (omitted when not embedded)"
    )


class Evidence(BaseModel):
    model_config = ConfigDict(frozen=True)

    crop: EvidenceImage
    frame: EvidenceImage


class Alert(BaseModel):
    """One lead for a cell's ground team (``docs/schema/alert.schema.json``)."""

    model_config = ConfigDict(frozen=True)

    id: str
    created: datetime = Field(description="when the alert was raised (UTC)")
    updated: datetime = Field(description="last time the object was seen and the alert republished")
    vehicle: str
    detector: str = Field(description="detector that raised it: activity, people, bloom, model")
    code: str = Field(description="language-neutral kind of lead, e.g. activity, bloom")
    size_class: Literal["vehicle-sized", "person-sized"] | None = Field(
        None,
        description="how big a mover is on the ground (a size, never an identity); null when "
        "the height is unknown or the detector is not motion",
    )
    score: float = Field(ge=0.0, le=1.0)
    lat: float
    lon: float
    uncertainty_m: float = Field(
        ge=0.0, description="radius that holds the object ~95% of the time"
    )
    cell: int = Field(ge=0, description="grid cell id; 0 = outside every cell")
    team: str | None = Field(description="ground team of the cell")
    footprint: list[list[float]] = Field(description="the frame's ground outline, [lon, lat] ring")
    frame_time: datetime = Field(description="time of the confirming frame (UTC)")
    sightings: int = Field(1, ge=1, description="frames the object was seen in so far")
    evidence: Evidence
    status: Literal["open"] = "open"


def utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


class EvidenceStore:
    """JPEG evidence under ``root/<YYYY-MM-DD>/``, kept for ``retention_days``."""

    def __init__(
        self, root: Path, retention_days: float = 30.0, quality: int = 80, embed: bool = True
    ):
        self.root = Path(root)
        self.retention_days = retention_days
        self.quality = quality
        self.embed = embed

    def _write(self, rel: Path, image: np.ndarray) -> EvidenceImage:
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise VisionError(
                N_("cannot encode evidence {rel} as JPEG; the frame is empty", rel=rel)
            )
        data = buf.tobytes()
        path = self.root / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as exc:
            raise VisionError(
                N_(
                    "cannot write evidence {path}: {strerror}; check --evidence is writable",
                    path=path,
                    strerror=exc.strerror,
                )
            ) from exc
        return EvidenceImage(
            file=rel.as_posix(),
            sha256=hashlib.sha256(data).hexdigest(),
            jpeg_b64=base64.b64encode(data).decode("ascii") if self.embed else None,
        )

    def save(self, alert_id: str, t: float, crop: np.ndarray, frame: np.ndarray) -> Evidence:
        day = Path(utc(t).strftime("%Y-%m-%d"))
        return Evidence(
            crop=self._write(day / f"{alert_id}-crop.jpg", crop),
            frame=self._write(day / f"{alert_id}-frame.jpg", frame),
        )

    def purge(self, now: float | None = None) -> int:
        """Delete evidence files older than the retention; returns how many were removed."""
        if not self.root.is_dir():
            return 0
        cutoff = (time.time() if now is None else now) - self.retention_days * 86400.0
        removed = 0
        for f in self.root.rglob("*.jpg"):
            if f.stat().st_mtime < cutoff:
                f.unlink()
                removed += 1
        for d in sorted(self.root.iterdir()):
            if d.is_dir() and not any(d.iterdir()):
                shutil.rmtree(d)
        return removed


class AlertSink(Protocol):
    def send(self, alert: Alert) -> None: ...


class MqttAlertSink:
    """QoS 1 to ``gridpatrol/v1/alerts/cells/<cell>`` through ``telemetry.publish.Publisher``."""

    def __init__(self, publisher):
        self.publisher = publisher

    def send(self, alert: Alert) -> None:
        self.publisher.publish(alert_topic(alert.cell), alert.model_dump_json().encode(), qos=1)


class JsonlAlertSink:
    """One JSON alert per line in a file, for runs without a broker."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def send(self, alert: Alert) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(alert.model_dump(mode="json")) + "\n")
