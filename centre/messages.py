"""Wire messages the command centre reads and writes: alerts (read), acknowledgements (both).

Every byte here came from the broker, so it is hostile until proven otherwise. The alert model
requires only what it needs to file and acknowledge one (``id`` and ``cell``) and keeps the rest
of the JSON as it came, but every field it files is bounded: numbers finite and in range, cells
ids of the district (or a sane range when no district is loaded), strings and evidence capped.
``parse_alert`` and ``parse_ack`` turn raw bytes into a model or a ``Refused`` with a one-line
reason, and never raise: a refusal is an expected outcome, not an error, and the feed
quarantines it. The ``id`` becomes
an MQTT topic level of the ack, so it must not contain topic separators or wildcards.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from telemetry.topics import ACKS, ALERTS, VEHICLES, ack_topic

__all__ = [
    "ALERTS_TOPIC",
    "ACKS_TOPIC",
    "VEHICLES_TOPIC",
    "ALERT_ID_PATTERN",
    "MAX_ALERT_BYTES",
    "MAX_CELL",
    "IncomingAlert",
    "Ack",
    "Refused",
    "ack_topic",
    "iso_utc",
    "parse_alert",
    "parse_ack",
    "finite_fields",
    "first_problem",
]

ALERTS_TOPIC, ACKS_TOPIC, VEHICLES_TOPIC = ALERTS, ACKS, VEHICLES  # the names the centre uses
ALERT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
MAX_ALERT_BYTES = 6 * 1024 * 1024  # two JPEGs in base64 with room to spare
MAX_EVIDENCE_B64 = 4 * 1024 * 1024  # one image, base64
MAX_CELL = 100_000  # without a district: no grid is that fine, and SQLite's INTEGER holds it
MAX_FOOTPRINT_POINTS = 64
MAX_ACK_BYTES = 4096

Text = Annotated[str, StringConstraints(max_length=200)]
ShortText = Annotated[str, StringConstraints(max_length=64)]


@dataclass(frozen=True)
class Refused:
    """A message that cannot be filed: the reason is one line, safe to store and to show."""

    reason: str


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the second: what operators read and what acks carry."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class IncomingAlert(BaseModel):
    """An alert as published by ``vision.alerts`` (see docs/schema/alert.schema.json)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False, ser_json_inf_nan="null")

    id: str = Field(pattern=ALERT_ID_PATTERN)
    cell: int = Field(ge=0, le=MAX_CELL)
    team: Text | None = None
    code: ShortText | None = None
    detector: ShortText | None = None
    vehicle: ShortText | None = None
    score: float | None = Field(default=None, ge=0.0, le=1.0)
    lat: float | None = Field(default=None, ge=-90.0, le=90.0)
    lon: float | None = Field(default=None, ge=-180.0, le=180.0)
    uncertainty_m: float | None = Field(default=None, ge=0.0, le=100_000.0)
    created: ShortText | float | None = None
    status: Annotated[str, StringConstraints(max_length=16)] = "open"

    def footprint_lonlat(self) -> list[list[float]] | None:
        """The camera footprint as [lon, lat] pairs, or None when absent or malformed."""
        points = getattr(self, "footprint", None)
        try:
            pairs = [[float(p[0]), float(p[1])] for p in points] if points else None
        except (TypeError, ValueError, IndexError, KeyError):
            return None
        if pairs is None or len(pairs) > MAX_FOOTPRINT_POINTS:
            return None
        return pairs if all(_lonlat_ok(lon, lat) for lon, lat in pairs) else None

    def evidence_b64(self) -> dict[str, str]:
        """Base64 JPEG of each evidence image present (``crop``, ``frame``)."""
        evidence = getattr(self, "evidence", None)
        if not isinstance(evidence, dict):
            return {}
        return {
            kind: item["jpeg_b64"]
            for kind, item in evidence.items()
            if kind in ("crop", "frame")
            and isinstance(item, dict)
            and isinstance(item.get("jpeg_b64"), str)
            and item["jpeg_b64"]
        }


class Ack(BaseModel):
    """``gridpatrol/v1/alerts/acks/<id>``: who took the alert on, and when (UTC)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=ALERT_ID_PATTERN)
    by: str = Field(min_length=1, max_length=80)
    time: datetime

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


def _lonlat_ok(lon: float, lat: float) -> bool:
    return math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90


def first_problem(exc: ValidationError) -> str:
    """The first problem pydantic found, as ``field: message`` without the echoed input."""
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "message"
    return f"{where}: {first['msg']}"


def parse_alert(
    payload: bytes, *, topic_cell: str | None = None, cells: Collection[int] | None = None
) -> IncomingAlert | Refused:
    """Validate one alert's bytes; a ``Refused`` names the first problem.

    ``cells``: the district's cell ids (0, outside every cell, is always allowed). ``topic_cell``:
    the last level of the topic it came on, which must agree with its ``cell``.
    """
    if len(payload) > MAX_ALERT_BYTES:
        return Refused(f"alert of {len(payload)} bytes is over the {MAX_ALERT_BYTES}-byte cap")
    try:
        alert = IncomingAlert.model_validate_json(payload)
    except ValidationError as exc:
        return Refused(f"not a valid alert: {first_problem(exc)}")
    except (ValueError, RecursionError) as exc:
        return Refused(f"not a valid alert: {type(exc).__name__}")
    if cells is not None and alert.cell != 0 and alert.cell not in cells:
        return Refused(f"alert {alert.id}: cell {alert.cell} is not a cell of the district")
    if topic_cell is not None and topic_cell != str(alert.cell):
        return Refused(f"alert {alert.id}: cell {alert.cell} published under cells/{topic_cell}")
    if getattr(alert, "footprint", None) and alert.footprint_lonlat() is None:
        return Refused(
            f"alert {alert.id}: footprint is not up to {MAX_FOOTPRINT_POINTS} lon/lat pairs"
        )
    for kind, b64 in alert.evidence_b64().items():
        if len(b64) > MAX_EVIDENCE_B64:
            return Refused(f"alert {alert.id}: {kind} evidence over {MAX_EVIDENCE_B64} bytes")
    return alert


def parse_ack(payload: bytes, *, topic_id: str) -> Ack | Refused:
    """Validate one acknowledgement; it must be for the alert its topic names."""
    if len(payload) > MAX_ACK_BYTES:
        return Refused(f"acknowledgement of {len(payload)} bytes is over {MAX_ACK_BYTES} bytes")
    try:
        ack = Ack.model_validate_json(payload)
    except ValidationError as exc:
        return Refused(f"not a valid acknowledgement: {first_problem(exc)}")
    except (ValueError, RecursionError) as exc:
        return Refused(f"not a valid acknowledgement: {type(exc).__name__}")
    if ack.id != topic_id:
        return Refused(f"ack for {ack.id} published under {topic_id[:128]}")
    return ack


def finite_fields(payload: Any, fields: Collection[str]) -> dict[str, Any]:
    """The named fields of a vehicle record that are safe to show: finite numbers, booleans,
    short strings and null. Anything else (NaN, 1e400 as inf, nested objects, huge text) is left
    out, so one bad field costs only that field."""
    if not isinstance(payload, dict):
        return {}
    kept = {}
    for key in fields:
        if key not in payload:
            continue
        value = payload[key]
        if value is None or isinstance(value, bool):
            kept[key] = value
        elif isinstance(value, int) and abs(value) < 2**53:
            kept[key] = value
        elif isinstance(value, float) and math.isfinite(value):
            kept[key] = value
        elif isinstance(value, str) and len(value) <= 64:
            kept[key] = value
    return kept
