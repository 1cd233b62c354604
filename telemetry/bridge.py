"""The telemetry bridge: links -> decode -> normalise -> spool -> MQTT, one thread per link.

Live links are kept alive here: a GCS heartbeat at ``heartbeat_hz`` and, for every vehicle heard,
SET_MESSAGE_INTERVAL requests for the messages the records need (SITL and real autopilots stream
little until asked), repeated every ``request_every_s``, and at once after the link reconnects or
a lost vehicle is heard again (it may have rebooted and forgotten them). Lost-vehicle
checks run on the wall clock for live links only: a replay that ends is not a vehicle going silent.
When a link ends it publishes a last ``link`` record (even if no vehicle was ever heard on it, so
a file of garbage is reported) and lets out any STATUSTEXT still waiting for its chunks.

Link records are not droppable: they are few, and they carry the per-kind drop counts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from telemetry.manifest_read import ManifestReader
from telemetry.normalise import NormaliseConfig, Normaliser, Sequencer
from telemetry.presence import Presence
from telemetry.publish import Publisher
from telemetry.records import Record
from telemetry.topics import vehicle_topic
from vehicle.heartbeat import is_vehicle
from vehicle.intervals import encode as encode_interval
from vehicle.intervals import interval_requests
from vehicle.link import Link
from vehicle.transfer import Target

__all__ = ["Bridge", "BridgeConfig", "LinkSource", "ALWAYS_QOS1", "DROPPABLE"]

ALWAYS_QOS1 = frozenset({"event", "state", "mission"})
DROPPABLE = frozenset({"position", "attitude", "battery", "gps"})


class BridgeConfig(BaseModel):
    """What to ask the vehicles for, and how to publish each record kind."""

    model_config = ConfigDict(extra="forbid")

    qos: dict[str, int] = Field(
        default_factory=lambda: {k: 1 for k in ("position", "attitude", "battery", "gps", "link")},
        description="QoS of the high-rate kinds; events, state and mission are always QoS 1",
    )
    heartbeat_hz: float = 1.0
    request_every_s: float = 30.0
    intervals_hz: dict[str, float] = Field(
        default_factory=lambda: {
            "GLOBAL_POSITION_INT": 5.0,
            "ATTITUDE": 5.0,
            "SYS_STATUS": 1.0,
            "GPS_RAW_INT": 1.0,
            "MISSION_CURRENT": 1.0,
            "EXTENDED_SYS_STATE": 1.0,
        }
    )
    normalise: NormaliseConfig = Field(default_factory=NormaliseConfig)

    def qos_of(self, kind: str) -> int:
        return 1 if kind in ALWAYS_QOS1 else self.qos.get(kind, 1)


@dataclass
class LinkSource:
    """A link plus the optional label that names its vehicle (see ``normalise.vehicle_id``)."""

    link: Link
    label: str | None = None


class Bridge:
    """Wires links to a publisher; ``run`` returns when stopped or when every replay has ended."""

    def __init__(
        self,
        sources: list[LinkSource],
        publisher: Publisher,
        *,
        config: BridgeConfig | None = None,
        cell_of: Callable[[float, float], int | None] | None = None,
        presence: Presence | None = None,
        on_record: Callable[[Record], None] | None = None,
    ):
        self.sources = sources
        self.publisher = publisher
        self.config = config or BridgeConfig()
        self.presence = presence
        self.on_record = on_record
        self.normaliser = Normaliser(
            self.config.normalise, cell_of=cell_of, sequencer=Sequencer(publisher.seqs())
        )
        self.records = 0
        self._lock = threading.Lock()
        self._requested: dict[tuple[str, int], float] = {}
        self.manifests = ManifestReader()
        self._next_beat: dict[str, float] = {}

    def run(self, stop: threading.Event) -> None:
        threads = [
            threading.Thread(
                target=self._serve, args=(s, stop), name=f"link-{s.link.name}", daemon=True
            )
            for s in self.sources
        ]
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(0.2)

    # -- per link ----------------------------------------------------------------------------

    def _serve(self, source: LinkSource, stop: threading.Event) -> None:
        link = source.link
        live = not link.is_replay
        period = self.config.normalise.link_period_s
        next_health = float("-inf")
        last_ts: float | None = None
        reconnects = link.reconnects
        while not stop.is_set():
            msg = link.recv(0.1)
            if msg is not None:
                last_ts = msg._timestamp
                self._handle(source, msg, live)
            elif link.exhausted:
                self._emit(partial(self.normaliser.finish, link.name))
                self._emit(partial(self._health, source, last_ts or time.time(), True))
                break
            now = time.time() if live else last_ts
            if now is None:
                continue
            if live and self._beat(link):
                if link.reconnects != reconnects:
                    reconnects = link.reconnects  # a reopened link may be a rebooted vehicle
                    self._forget_requests(link.name)
                self._emit(partial(self.normaliser.check_lost, now, link.name))
            if now >= next_health:
                next_health = now + period
                self._emit(partial(self._health, source, now, False))

    def _beat(self, link: Any) -> bool:
        """Send the GCS heartbeat when it is due; True when it was sent.

        Called from the link's loop and during a mission read-back, so that a read-back never
        starves the vehicle of GCS heartbeats (its GCS failsafe fires after a few seconds)."""
        now = time.monotonic()
        if now < self._next_beat.get(link.name, 0.0):
            return False
        self._next_beat[link.name] = now + 1.0 / self.config.heartbeat_hz
        link.mav.heartbeat_send(6, 8, 0, 0, 4)
        return True

    def _handle(self, source: LinkSource, msg: Any, live: bool) -> None:
        with self._lock:
            records = self.normaliser.feed(msg, link=source.link.name, label=source.label)
            self._publish(records)
        if live and is_vehicle(msg):
            if any(r.kind == "event" and r.event == "regained" for r in records):
                self._forget_requests(source.link.name)
            self._request_streams(source.link, msg.get_srcSystem(), msg.get_srcComponent())
        if live and (msg.get_type() == "MISSION_CURRENT" or is_vehicle(msg)):
            vehicle = self.normaliser.vehicle_name(msg.get_srcSystem(), source.label)
            self._read_manifest(source, msg, vehicle)

    def _read_manifest(self, source: LinkSource, msg: Any, vehicle: str) -> None:
        """Read the vehicle's mission back when it may have changed; its hash goes on the
        vehicle's mission records (``null`` while unknown). Telemetry during the read is fed on."""
        if not self.manifests.due(vehicle, msg):
            return
        target = Target(msg.get_srcSystem(), msg.get_srcComponent())
        back = self.manifests.read(
            vehicle,
            source.link,
            target,
            lambda m: self._handle(source, m, True),
            keepalive=lambda: self._beat(source.link),
        )
        with self._lock:
            self.normaliser.set_manifest(vehicle, back.sha256)

    def _emit(self, make: Callable[[], list[Record]]) -> None:
        """Run a normaliser step and publish its records under the lock shared by all links."""
        with self._lock:
            self._publish(make())

    def _health(self, source: LinkSource, now: float, force: bool) -> list[Record]:
        link = source.link
        return self.normaliser.link_health(
            now, link.name, link.stats(), self._spool_state(), label=source.label, force=force
        )

    def _publish(self, records: list[Record]) -> None:
        for r in records:
            vehicle = self.normaliser.vehicles.get(r.vehicle)
            if self.presence is not None and vehicle is not None:
                # A link or manifest record about a silent vehicle must not bring it back online.
                if r.kind == "event" and r.event == "lost":
                    self.presence.set(r.vehicle, False)
                elif not vehicle.lost:
                    self.presence.set(r.vehicle, True)
            self.publisher.publish(
                vehicle_topic(r.vehicle, r.kind),
                r.model_dump_json().encode(),
                qos=self.config.qos_of(r.kind),
                retain=r.kind == "state",
                droppable=r.kind in DROPPABLE,
                seq_key=f"{r.vehicle}/{r.kind}",
                seq=r.seq,
            )
            self.records += 1
            if self.on_record is not None:
                self.on_record(r)

    def _spool_state(self) -> dict[str, Any]:
        spool = self.publisher.spool
        return {
            "depth": spool.depth(),
            "oldest_age_s": spool.oldest_age(),
            "dropped": self.publisher.dropped(),
        }

    def _forget_requests(self, link_name: str) -> None:
        for key in [k for k in self._requested if k[0] == link_name]:
            del self._requested[key]

    def _request_streams(self, link: Link, sysid: int, compid: int) -> None:
        key = (link.name, sysid)
        now = time.monotonic()
        if now < self._requested.get(key, float("-inf")):
            return
        self._requested[key] = now + self.config.request_every_s
        for request in interval_requests(self.config.intervals_hz):
            link.send(encode_interval(link.mav, sysid, compid, request))
