"""Wire messages the command centre reads and writes: alerts (read), acknowledgements (both).

The alert model is deliberately lenient: the centre must show every alert the vision pipeline
publishes, so it requires only what it needs to file and acknowledge one (``id`` and ``cell``)
and keeps the rest of the JSON as it came. The ``id`` becomes an MQTT topic level of the ack, so
it must not contain topic separators or wildcards.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from telemetry.topics import ACKS, ALERTS, VEHICLES, ack_topic

__all__ = [
    "ALERTS_TOPIC",
    "ACKS_TOPIC",
    "VEHICLES_TOPIC",
    "ALERT_ID_PATTERN",
    "IncomingAlert",
    "Ack",
    "ack_topic",
    "iso_utc",
]

ALERTS_TOPIC, ACKS_TOPIC, VEHICLES_TOPIC = ALERTS, ACKS, VEHICLES  # the names the centre uses
ALERT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the second: what operators read and what acks carry."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class IncomingAlert(BaseModel):
    """An alert as published by ``vision.alerts`` (see docs/schema/alert.schema.json)."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(pattern=ALERT_ID_PATTERN)
    cell: int = Field(ge=0)
    team: str | None = None
    code: str | None = None
    detector: str | None = None
    vehicle: str | None = None
    score: float | None = None
    lat: float | None = None
    lon: float | None = None
    uncertainty_m: float | None = None
    created: str | float | None = None
    status: str = "open"

    def footprint_lonlat(self) -> list[list[float]] | None:
        """The camera footprint as [lon, lat] pairs, or None when absent or malformed."""
        points = getattr(self, "footprint", None)
        try:
            return [[float(p[0]), float(p[1])] for p in points] if points else None
        except (TypeError, ValueError, IndexError):
            return None

    def evidence_b64(self) -> dict[str, str]:
        """Base64 JPEG of each evidence image present (``crop``, ``frame``)."""
        evidence = getattr(self, "evidence", None)
        if not isinstance(evidence, dict):
            return {}
        return {
            kind: item["jpeg_b64"]
            for kind, item in evidence.items()
            if isinstance(item, dict) and isinstance(item.get("jpeg_b64"), str) and item["jpeg_b64"]
        }


class Ack(BaseModel):
    """``gridpatrol/v1/alerts/acks/<id>``: who took the alert on, and when (UTC)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=ALERT_ID_PATTERN)
    by: str = Field(min_length=1, max_length=80)
    time: datetime

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()
