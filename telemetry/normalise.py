"""MAVLink messages -> normalised records, with per-kind rate limits, events and cell tagging.

All timing here runs on the message clock (``msg._timestamp``: arrival time live, recorded time on
replay), so a fast replay yields exactly the records a live run at recorded pace would, and rate
limiting is deterministic. Every GLOBAL_POSITION_INT is cell-tagged, even when the position record
itself is rate-limited away, so a brief pass through a cell still gives enter/leave events.
A position is published only once the vehicle has a fix: GLOBAL_POSITION_INT at 0,0, or while
GPS_RAW_INT reports less than a 2D fix, is the autopilot not knowing where it is (the ``gps``
record says why). Outside every cell, ``cell`` is None: cell ids start at 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from math import degrees, hypot
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from telemetry.link_health import link_record
from telemetry.mav_names import enum_name, mode_name
from telemetry.records import (
    Attitude,
    Battery,
    Event,
    Gps,
    MissionProgress,
    Position,
    Record,
    State,
)
from telemetry.statustext import JoinedText, TextJoiner
from telemetry.vehicle_names import vehicle_id
from vehicle.heartbeat import is_ground_station, is_vehicle

__all__ = ["NormaliseConfig", "Normaliser", "Sequencer", "vehicle_id", "CellTagger"]

_ARMED = 0x80
_JITTER = 0.9  # a sample may come up to 10% early and still count for its slot
_FIX_2D = 2
CellTagger = Callable[[float, float], int | None]


class NormaliseConfig(BaseModel):
    """Publish rates (Hz) per high-rate kind, and the periods of the slow kinds."""

    model_config = ConfigDict(extra="forbid")

    rates_hz: dict[str, float] = Field(
        default_factory=lambda: {"position": 5.0, "attitude": 5.0, "battery": 1.0, "gps": 1.0}
    )
    state_refresh_s: float = 5.0
    link_period_s: float = 5.0
    lost_after_s: float = 5.0


class Sequencer:
    """Per (vehicle, kind) record counters; seeded from the spool so restarts continue them."""

    def __init__(self, start: dict[str, int] | None = None):
        self.last: dict[str, int] = dict(start or {})

    def next(self, vehicle: str, kind: str) -> int:
        key = f"{vehicle}/{kind}"
        n = self.last.get(key, 0) + 1
        self.last[key] = n
        return n


@dataclass
class _Vehicle:
    id: str
    link: str
    time_boot_ms: int | None = None
    last_heartbeat: float = 0.0
    lost: bool = False
    mode: str | None = None
    armed: bool | None = None
    system_status: str | None = None
    landed_state: str | None = None
    vehicle_type: str = "generic"
    last_state_at: float = float("-inf")
    state_sent: tuple[Any, ...] | None = None
    cell: int | None = None
    mission: tuple[int | None, int | None, int | None] = (None, None, None)
    manifest: str | None = None
    fence_breached: bool = False
    fix_type: int | None = None
    next_at: dict[str, float] = field(default_factory=dict)


class Normaliser:
    """Turns one vehicle network's messages into records; thread-unsafe, one per bridge."""

    def __init__(
        self,
        config: NormaliseConfig | None = None,
        *,
        cell_of: CellTagger | None = None,
        sequencer: Sequencer | None = None,
    ):
        self.config = config or NormaliseConfig()
        self.cell_of = cell_of
        self.seq = sequencer or Sequencer()
        self.vehicles: dict[str, _Vehicle] = {}
        self.gcs: set[tuple[str, int]] = set()
        self.texts = TextJoiner()
        self._link_only: dict[str, _Vehicle] = {}
        self._label_owner: dict[str, int] = {}
        self._handlers: dict[str, Callable[[_Vehicle, Any, float], Iterable[Record]]] = {
            "HEARTBEAT": self._heartbeat,
            "GLOBAL_POSITION_INT": self._position,
            "ATTITUDE": self._attitude,
            "SYS_STATUS": self._battery,
            "GPS_RAW_INT": self._gps,
            "MISSION_CURRENT": self._mission_current,
            "MISSION_ITEM_REACHED": self._mission_reached,
            "STATUSTEXT": self._statustext,
            "EXTENDED_SYS_STATE": self._extended_state,
            "FENCE_STATUS": self._fence,
        }

    def vehicle_name(self, sysid: int, label: str | None) -> str:
        """The id ``feed`` gives system ``sysid`` on a link labelled ``label``."""
        return vehicle_id(sysid, label, self._label_owner.get(label) if label else None)

    def set_manifest(self, vehicle: str, sha256: str | None) -> None:
        """Record the hash of the mission read back from ``vehicle``; a change is published with
        the next MISSION_CURRENT, even if the progress is the same."""
        v = self.vehicles.get(vehicle)
        if v is not None and v.manifest != sha256:
            v.manifest = sha256
            v.mission = (None, None, None)

    def feed(self, msg: Any, *, link: str = "", label: str | None = None) -> list[Record]:
        handler = self._handlers.get(msg.get_type())
        if handler is None:
            return []
        sysid = msg.get_srcSystem()
        if (link, sysid) in self.gcs:
            return []
        if msg.get_type() == "HEARTBEAT" and not is_vehicle(msg):
            if is_ground_station(msg):
                self.gcs.add((link, sysid))
            return []
        vid = vehicle_id(
            sysid, label, self._label_owner.setdefault(label, sysid) if label else None
        )
        v = self.vehicles.get(vid)
        if v is None:
            v = self.vehicles[vid] = _Vehicle(vid, link)
        boot = getattr(msg, "time_boot_ms", None)
        if boot is not None:
            v.time_boot_ms = boot
        ts = msg._timestamp
        out = self._texts_out(self.texts.expire(ts), ts) if self.texts.waiting else []
        return out + list(handler(v, msg, ts))

    def finish(self, link: str) -> list[Record]:
        """A link ended: let out the texts its vehicles left incomplete."""
        out: list[JoinedText] = []
        for v in self.vehicles.values():
            if v.link == link:
                out += self.texts.expire(float("inf"), v.id)
        return self._texts_out(out)

    # -- records ---------------------------------------------------------------------------

    def _common(self, v: _Vehicle, kind: str, ts: float) -> dict[str, Any]:
        return {
            "vehicle": v.id,
            "seq": self.seq.next(v.id, kind),
            "time_boot_ms": v.time_boot_ms,
            "wall_time": ts,
        }

    def _due(self, v: _Vehicle, kind: str, ts: float) -> bool:
        rate = self.config.rates_hz.get(kind)
        if not rate:
            return True
        if ts < v.next_at.get(kind, float("-inf")):
            return False
        v.next_at[kind] = ts + _JITTER / rate
        return True

    def _event(
        self, v: _Vehicle, ts: float, code: str, severity: str, text: str, **details
    ) -> Event:
        return Event(
            **self._common(v, "event", ts),
            event=code,
            severity=severity,
            text=text,
            details=details,
        )

    def _heartbeat(self, v: _Vehicle, m: Any, ts: float) -> Iterable[Record]:
        v.last_heartbeat = ts
        if v.lost:
            v.lost = False
            yield self._event(v, ts, "regained", "info", f"{v.id} heard again")
        mode = mode_name(m.type, m.custom_mode)
        armed = bool(m.base_mode & _ARMED)
        status = enum_name("MAV_STATE", m.system_status, "MAV_STATE_")
        v.vehicle_type = enum_name("MAV_TYPE", m.type, "MAV_TYPE_")
        if v.mode is not None and mode != v.mode:
            yield self._event(
                v, ts, "mode_change", "info", f"mode {v.mode} -> {mode}", old=v.mode, new=mode
            )
        if v.armed is not None and armed != v.armed:
            code = "armed" if armed else "disarmed"
            yield self._event(v, ts, code, "info", f"{v.id} {code}")
        if status in ("critical", "emergency") and v.system_status != status:
            yield self._event(
                v, ts, "failsafe", status, f"system status {status}", system_status=status
            )
        v.mode, v.armed, v.system_status = mode, armed, status
        yield from self._state(v, ts)

    def _extended_state(self, v: _Vehicle, m: Any, ts: float) -> Iterable[Record]:
        v.landed_state = enum_name("MAV_LANDED_STATE", m.landed_state, "MAV_LANDED_STATE_")
        if v.mode is not None:
            yield from self._state(v, ts)

    def _state(self, v: _Vehicle, ts: float) -> Iterable[Record]:
        snapshot = (v.mode, v.armed, v.system_status, v.landed_state)
        if snapshot == v.state_sent and ts - v.last_state_at < self.config.state_refresh_s:
            return
        v.state_sent, v.last_state_at = snapshot, ts
        yield State(
            **self._common(v, "state", ts),
            mode=v.mode or "UNKNOWN",
            armed=bool(v.armed),
            system_status=v.system_status or "uninit",
            landed_state=v.landed_state,
            vehicle_type=v.vehicle_type,
        )

    def _position(self, v: _Vehicle, m: Any, ts: float) -> Iterable[Record]:
        if (m.lat == 0 and m.lon == 0) or (v.fix_type is not None and v.fix_type < _FIX_2D):
            return  # no fix: not a position (the gps record tells subscribers so)
        lat, lon = m.lat / 1e7, m.lon / 1e7
        cell = None
        if self.cell_of is not None:
            cell = self.cell_of(lon, lat) or None
            if cell != v.cell:
                if v.cell:
                    yield self._event(
                        v, ts, "cell_leave", "info", f"left cell {v.cell}", cell=v.cell
                    )
                if cell:
                    yield self._event(
                        v, ts, "cell_enter", "info", f"entered cell {cell}", cell=cell
                    )
                v.cell = cell
        if not self._due(v, "position", ts):
            return
        yield Position(
            **self._common(v, "position", ts),
            lat=lat,
            lon=lon,
            alt_msl_m=m.alt / 1000.0,
            alt_rel_m=m.relative_alt / 1000.0,
            heading_deg=None if m.hdg == 65535 else m.hdg / 100.0,
            groundspeed_mps=hypot(m.vx, m.vy) / 100.0,
            climb_mps=-m.vz / 100.0,
            cell=cell,
        )

    def _attitude(self, v: _Vehicle, m: Any, ts: float) -> Iterable[Record]:
        if self._due(v, "attitude", ts):
            yield Attitude(
                **self._common(v, "attitude", ts),
                roll_deg=degrees(m.roll),
                pitch_deg=degrees(m.pitch),
                yaw_deg=degrees(m.yaw),
            )

    def _battery(self, v: _Vehicle, m: Any, ts: float) -> Iterable[Record]:
        if self._due(v, "battery", ts):
            yield Battery(
                **self._common(v, "battery", ts),
                voltage_v=None if m.voltage_battery == 65535 else m.voltage_battery / 1000.0,
                current_a=None if m.current_battery == -1 else m.current_battery / 100.0,
                battery_pct=None if m.battery_remaining == -1 else m.battery_remaining,
            )

    def _gps(self, v: _Vehicle, m: Any, ts: float) -> Iterable[Record]:
        v.fix_type = m.fix_type
        if self._due(v, "gps", ts):
            yield Gps(
                **self._common(v, "gps", ts),
                fix_type=m.fix_type,
                fix=enum_name("GPS_FIX_TYPE", m.fix_type, "GPS_FIX_TYPE_"),
                satellites=None if m.satellites_visible == 255 else m.satellites_visible,
                hdop=None if m.eph == 65535 else m.eph / 100.0,
            )

    def _mission_current(self, v: _Vehicle, m: Any, ts: float) -> Iterable[Record]:
        total = getattr(m, "total", 0) or None
        yield from self._mission(v, ts, (m.seq, v.mission[1], total))

    def _mission_reached(self, v: _Vehicle, m: Any, ts: float) -> Iterable[Record]:
        yield from self._mission(v, ts, (v.mission[0], m.seq, v.mission[2]))

    def _mission(self, v: _Vehicle, ts: float, progress: tuple) -> Iterable[Record]:
        if progress == v.mission:
            return
        v.mission = progress
        yield MissionProgress(
            **self._common(v, "mission", ts),
            current_seq=progress[0],
            reached_seq=progress[1],
            total=progress[2],
            manifest_sha256=v.manifest,
        )

    def _statustext(self, v: _Vehicle, m: Any, ts: float) -> Iterable[Record]:
        text = m.text.decode("utf-8", "replace") if isinstance(m.text, bytes) else str(m.text)
        joined = self.texts.add(
            v.id, m.severity, text, getattr(m, "id", 0), getattr(m, "chunk_seq", 0), ts
        )
        yield from self._texts_out(joined, ts)

    def _texts_out(self, joined: list[JoinedText], ts: float | None = None) -> list[Record]:
        out: list[Record] = []
        for j in joined:
            v = self.vehicles[j.key]
            at = ts if ts is not None else v.last_heartbeat or 0.0
            severity = enum_name("MAV_SEVERITY", j.severity, "MAV_SEVERITY_")
            details: dict[str, Any] = {"chunks": j.chunks} if j.chunks > 1 or j.missing else {}
            if j.missing:
                details.update(incomplete=True, missing_chunks=list(j.missing))
            out.append(self._event(v, at, "statustext", severity, j.text, **details))
            if "failsafe" in j.text.lower():
                out.append(self._event(v, at, "failsafe", severity, j.text))
        return out

    def _fence(self, v: _Vehicle, m: Any, ts: float) -> Iterable[Record]:
        breached = bool(m.breach_status)
        if breached and not v.fence_breached:
            breach = enum_name("FENCE_BREACH", m.breach_type, "FENCE_BREACH_")
            yield self._event(
                v, ts, "fence_breach", "critical", f"fence breach: {breach}", breach=breach
            )
        v.fence_breached = breached

    # -- periodic ----------------------------------------------------------------------------

    def check_lost(self, now: float, link: str) -> list[Record]:
        """Lost events for this link's vehicles silent for ``lost_after_s`` (link clock ``now``)."""
        out: list[Record] = []
        for v in self.vehicles.values():
            silent = now - v.last_heartbeat
            if (
                v.link == link
                and not v.lost
                and v.last_heartbeat
                and silent > self.config.lost_after_s
            ):
                v.lost = True
                out.append(
                    self._event(
                        v,
                        now,
                        "lost",
                        "critical",
                        f"no heartbeat for {silent:.1f} s",
                        silent_s=round(silent, 1),
                    )
                )
        return out

    def link_health(
        self,
        now: float,
        link: str,
        stats: dict[str, Any],
        spool: dict[str, Any],
        *,
        label: str | None = None,
        force: bool = False,
    ) -> list[Record]:
        """One link record per vehicle on ``link``, at most every ``link_period_s`` (or now, with
        ``force``). A link that carried no vehicle at all still gets its record, under system id 0
        (``sys0`` or ``<label>-0``), so garbage on it is reported."""
        on_link = [v for v in self.vehicles.values() if v.link == link]
        if not on_link:
            vid = vehicle_id(0, label)
            on_link = [self._link_only.setdefault(vid, _Vehicle(vid, link))]
        out: list[Record] = []
        for v in on_link:
            if not force and now < v.next_at.get("link", float("-inf")):
                continue
            v.next_at["link"] = now + self.config.link_period_s
            age = round(now - v.last_heartbeat, 3) if v.last_heartbeat else None
            out.append(link_record(self._common(v, "link", now), link, stats, spool, age))
        return out
