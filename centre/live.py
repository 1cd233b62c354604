"""What the live page sees: the alert store plus the drones' latest state, fanned out as events.

``LiveState`` is the feed's sink for ``gridpatrol serve``. Every change becomes one event on the
``Hub``; each open page holds one bounded asyncio queue on it, filled from the MQTT thread through
the server's event loop, and a page too slow to keep up is dropped (its browser reconnects and
starts again from a fresh snapshot) rather than slowing the feed.

Everything shown was received from the network: drone fields are kept only when finite, short and
of a plain type, and every JSON text is written with ``allow_nan=False``, so the page never gets
a ``NaN`` its ``JSON.parse`` would choke on.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from typing import Any

from centre.mapdata import alert_view
from centre.messages import Ack, IncomingAlert, Refused, finite_fields
from centre.patrol_board import PatrolBoard
from centre.patrol_intake import Cleared, PatrolMessage
from centre.store import AlertStore, StoredAlert, StoreSink

__all__ = ["Hub", "LiveState", "Event", "strict_json"]

Event = tuple[str, str]  # (SSE event name, JSON data)
TRACK_POINTS = 5000
MAX_VEHICLES = 256
_VEHICLE_FIELDS = {
    "position": (
        "lat",
        "lon",
        "alt_rel_m",
        "heading_deg",
        "groundspeed_mps",
        "cell",
        "seq",
        "wall_time",
    ),
    "battery": ("battery_pct", "voltage_v"),
    "state": ("mode", "armed", "landed_state"),
    "mission": ("current_seq", "total"),
}


def strict_json(data: Any) -> str:
    """Compact JSON that a browser can parse: ``ValueError`` rather than ``NaN`` or ``Infinity``."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


class Hub:
    """Fan-out of events to every connected page, from any thread into the server's loop."""

    def __init__(self, queue_size: int = 2000):
        self._queues: set[asyncio.Queue] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._size = queue_size

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop the pages are served from; events reach the pages through it."""
        self._loop = loop

    def subscribe(self) -> asyncio.Queue:
        """Called in the server's loop: a bounded queue of events for one page."""
        q: asyncio.Queue = asyncio.Queue(self._size)
        self._queues.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue) -> None:
        self._queues.discard(q)

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    def publish(self, name: str, data: Any) -> None:
        """Thread-safe; a no-op while no page is served."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        event = (name, strict_json(data))
        try:
            loop.call_soon_threadsafe(self._fan_out, event)
        except RuntimeError:  # the loop closed in between: the pages are gone anyway
            return

    def _fan_out(self, event: Event | None) -> None:
        for q in list(self._queues):
            try:
                q.put_nowait(event)
            except asyncio.QueueFull:
                self._queues.discard(q)
                _force(q, None)

    def close(self) -> None:
        """End every stream: each page's queue gets the ``None`` sentinel."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._fan_out, None)
            except RuntimeError:
                return


def _force(q: asyncio.Queue, item: Any) -> None:
    """Put ``item`` even into a full queue, dropping the oldest entry to make room."""
    while True:
        try:
            q.put_nowait(item)
            return
        except asyncio.QueueFull:
            q.get_nowait()


class LiveState:
    """Feed sink of the web server: stores alerts, keeps drones and their tracks, tells the hub."""

    def __init__(self, store: AlertStore, hub: Hub, board: PatrolBoard | None = None):
        self.store = store
        self.hub = hub
        self.board = board or PatrolBoard()
        self.broker_connected = False
        self.refused_records = 0
        self._sink = StoreSink(store, self._alert_changed)
        self._vehicles: dict[str, dict[str, Any]] = {}
        self._tracks: dict[str, deque] = {}
        self._lock = threading.Lock()

    def on_alert(self, alert: IncomingAlert) -> None:
        self._sink.on_alert(alert)

    def on_ack(self, ack: Ack) -> None:
        self._sink.on_ack(ack)

    def on_refused(self, topic: str, reason: str, payload: bytes) -> None:
        """Alerts and acks go to the quarantine table; drone records are only counted."""
        if "/vehicles/" in topic:
            with self._lock:
                self.refused_records += 1
            self.hub.publish("health", self.health())
        else:
            self._sink.on_refused(topic, reason, payload)

    def on_patrol(self, item: PatrolMessage | Cleared) -> Refused | None:
        """File a runner message on the board and tell the pages; a refusal is quarantined."""
        update = self.board.apply(item)
        if isinstance(update, Refused):
            return update
        if update is None:
            self.hub.publish("health", self.health())
        else:
            self.hub.publish("patrol", {"kind": update[0], "data": update[1]})
        return None

    def on_link(self, connected: bool) -> None:
        self.broker_connected = connected
        self.hub.publish("broker", {"connected": connected})

    def on_vehicle(self, vehicle: str, record: str, payload: Any) -> None:
        with self._lock:
            if vehicle not in self._vehicles and len(self._vehicles) >= MAX_VEHICLES:
                self.refused_records += 1
                return
            view = self._vehicles.setdefault(vehicle, {"vehicle": vehicle, "online": True})
            if record == "online":
                view["online"] = bool(payload)
            elif record in _VEHICLE_FIELDS and isinstance(payload, dict):
                fields = finite_fields(payload, _VEHICLE_FIELDS[record])
                if len(fields) < sum(k in payload for k in _VEHICLE_FIELDS[record]):
                    self.refused_records += 1
                view.update(fields)
            else:
                return
            event = dict(view)
            point = _lonlat(payload) if record == "position" else None
            if point is not None:
                self._tracks.setdefault(vehicle, deque(maxlen=TRACK_POINTS)).append(point)
                event["point"] = point
        self.hub.publish("vehicle", event)

    def health(self) -> dict[str, int]:
        """What was not shown: alerts and acks quarantined, drone records (or fields) refused,
        runner messages quarantined, and runner states older than the one shown (stale)."""
        return {
            "quarantined": self.store.quarantined(patrol=False),
            "refused_records": self.refused_records,
            "patrol_quarantined": self.store.quarantined(patrol=True),
            "patrol_stale": self.board.stale,
        }

    def snapshot(self) -> dict[str, Any]:
        """Everything a newly opened page needs; live events follow it."""
        with self._lock:
            vehicles = [
                {**v, "track": list(self._tracks.get(name, ()))}
                for name, v in self._vehicles.items()
            ]
        return {
            "broker": self.broker_connected,
            "vehicles": vehicles,
            "alerts": [_view(a) for a in self.store.alerts(open_only=False)],
            "patrol": self.board.snapshot(),
            "health": self.health(),
        }

    def alert(self, alert_id: str) -> dict[str, Any] | None:
        stored = self.store.get(alert_id)
        return None if stored is None else _view(stored)

    def _alert_changed(self, change: str, alert_id: str) -> None:
        if change == "quarantined":
            self.hub.publish("health", self.health())
            return
        view = self.alert(alert_id)
        if view is not None:
            self.hub.publish("alert", view)


def _view(alert: StoredAlert) -> dict[str, Any]:
    return alert_view(alert, {kind: f"api/alerts/{alert.id}/{kind}.jpg" for kind in alert.evidence})


def _lonlat(payload: dict[str, Any]) -> list[float] | None:
    """[lon, lat] of a position record when both are finite and on the globe."""
    fields = finite_fields(payload, ("lon", "lat"))
    lon, lat = fields.get("lon"), fields.get("lat")
    if isinstance(lon, bool) or isinstance(lat, bool):
        return None
    if isinstance(lon, int | float) and isinstance(lat, int | float):
        if -180 <= lon <= 180 and -90 <= lat <= 90:
            return [lon, lat]
    return None
