"""The normalised telemetry records the bridge publishes: one pydantic model per concern.

Units are in field names. Every record carries ``vehicle`` (the same id as in the topic), ``seq``
(counting from 1 per vehicle *and* record kind, and continued across bridge restarts for spooled
kinds, so a subscriber to one topic sees a jump exactly when a record was lost), ``time_boot_ms``
(the vehicle's clock, or the latest one seen when a message has none), ``wall_time`` (epoch seconds:
arrival at the bridge, or the recorded time on replay) and ``kind`` (the last topic level).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "Record",
    "Position",
    "Attitude",
    "Battery",
    "Gps",
    "State",
    "MissionProgress",
    "Event",
    "LinkHealth",
    "AnyRecord",
    "RECORD_TYPES",
    "EVENT_CODES",
    "parse_record",
]

EVENT_CODES = (
    "mode_change",
    "armed",
    "disarmed",
    "statustext",
    "fence_breach",
    "failsafe",
    "cell_enter",
    "cell_leave",
    "lost",
    "regained",
)


class Record(BaseModel):
    """Fields common to every record."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    vehicle: str = Field(description="vehicle id, as in the topic (e.g. sys1 or <link>-1)")
    seq: int = Field(ge=1, description="per vehicle and kind; a jump means a lost record")
    time_boot_ms: int | None = Field(description="vehicle time since boot, ms")
    wall_time: float = Field(description="epoch seconds: arrival, or recorded time on replay")


class Position(Record):
    """Where the vehicle is, how it moves, and which grid cell it is over."""

    kind: Literal["position"] = "position"
    lat: float
    lon: float
    alt_msl_m: float
    alt_rel_m: float
    heading_deg: float | None = Field(description="0..360, None when the vehicle does not know")
    groundspeed_mps: float
    climb_mps: float
    cell: int | None = Field(
        description="grid cell id (from 1); None outside every cell, or without a district"
    )


class Attitude(Record):
    """Roll, pitch and yaw in degrees."""

    kind: Literal["attitude"] = "attitude"
    roll_deg: float
    pitch_deg: float
    yaw_deg: float


class Battery(Record):
    """Battery voltage, current and remaining charge (None when the vehicle does not know)."""

    kind: Literal["battery"] = "battery"
    voltage_v: float | None
    current_a: float | None
    battery_pct: int | None


class Gps(Record):
    """GPS fix quality."""

    kind: Literal["gps"] = "gps"
    fix_type: int
    fix: str = Field(description="GPS_FIX_TYPE name without prefix, e.g. 3d_fix")
    satellites: int | None
    hdop: float | None


class State(Record):
    """Flight mode, arming and system state; published retained."""

    kind: Literal["state"] = "state"
    mode: str = Field(description="ArduPilot flight mode name, e.g. GUIDED, AUTO, RTL")
    armed: bool
    system_status: str = Field(description="MAV_STATE name without prefix, e.g. active")
    landed_state: str | None = Field(description="MAV_LANDED_STATE name, e.g. in_air")
    vehicle_type: str = Field(description="MAV_TYPE name without prefix, e.g. quadrotor")


class MissionProgress(Record):
    """Current and last reached mission item, and the uploaded mission's hash when known."""

    kind: Literal["mission"] = "mission"
    current_seq: int | None
    reached_seq: int | None
    total: int | None
    manifest_sha256: str | None = Field(description="hash of the uploaded mission, when known")


class Event(Record):
    """Something that happened once: a mode change, arming, a STATUSTEXT, a failsafe, a cell change."""

    kind: Literal["event"] = "event"
    event: Literal[EVENT_CODES]  # type: ignore[valid-type]
    severity: str = Field(description="MAV_SEVERITY name: emergency ... info, debug")
    text: str
    details: dict[str, Any] = Field(default_factory=dict)


class LinkHealth(Record):
    """Link statistics as seen by the bridge, its spool's state, and every record it dropped.

    A link on which no vehicle was heard reports under system id 0 (``sys0`` or ``<label>-0``).
    """

    kind: Literal["link"] = "link"
    link: str
    connected: bool
    msgs_per_s: float
    messages: int = Field(description="good MAVLink messages since the link opened")
    bytes_in: int = Field(default=0, description="bytes received since the link opened")
    bad_bytes: int = Field(description="bytes that were not part of any good message")
    bad_crc: int = Field(default=0, description="candidate frames that failed their CRC")
    unknown: int = Field(description="well-formed frames with a message id not in the dialect")
    unknown_bytes: int
    bad_timestamps: int = Field(
        default=0, description="tlog records with an implausible timestamp (skipped)"
    )
    seq_drops: int
    unsigned_refused: int
    reconnects: int
    heartbeat_age_s: float | None
    spool_depth: int
    spool_oldest_age_s: float | None
    dropped: dict[str, int] = Field(
        default_factory=dict,
        description="records of each kind dropped since the bridge started (disk full, QoS 0 "
        "while the broker was down); their seq numbers show as gaps",
    )


AnyRecord = Annotated[
    Position | Attitude | Battery | Gps | State | MissionProgress | Event | LinkHealth,
    Field(discriminator="kind"),
]
RECORD_TYPES: dict[str, type[Record]] = {
    "position": Position,
    "attitude": Attitude,
    "battery": Battery,
    "gps": Gps,
    "state": State,
    "mission": MissionProgress,
    "event": Event,
    "link": LinkHealth,
}
_ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyRecord)


def parse_record(payload: bytes | str) -> Record:
    """A record from its JSON, picked by ``kind`` (for subscribers and tests)."""
    return _ADAPTER.validate_json(payload)
