"""What the live page sees: the alert store plus the drones' latest state, fanned out as events.

``LiveState`` is the feed's sink for ``gridpatrol serve``. Every change becomes one event on the
``Hub``; each open page holds one bounded queue on it, and a page too slow to keep up is dropped
(its browser reconnects and starts again from a fresh snapshot) rather than slowing the feed.
"""

from __future__ import annotations

import json
import queue
import threading
from collections import deque
from typing import Any

from centre.mapdata import alert_view
from centre.messages import Ack, IncomingAlert
from centre.store import AlertStore, StoredAlert, StoreSink

__all__ = ["Hub", "LiveState", "Event"]

Event = tuple[str, str]  # (SSE event name, JSON data)
TRACK_POINTS = 5000
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


class Hub:
    """Fan-out of events to every connected page."""

    def __init__(self, queue_size: int = 2000):
        self._queues: set[queue.Queue] = set()
        self._lock = threading.Lock()
        self.broker_connected = False
        self._size = queue_size

    def subscribe(self) -> queue.Queue:
        q: queue.Queue = queue.Queue(self._size)
        with self._lock:
            self._queues.add(q)
        return q

    def unsubscribe(self, q: queue.Queue) -> None:
        with self._lock:
            self._queues.discard(q)

    def publish(self, name: str, data: Any) -> None:
        event = (name, json.dumps(data, separators=(",", ":")))
        with self._lock:
            for q in list(self._queues):
                try:
                    q.put_nowait(event)
                except queue.Full:
                    self._queues.discard(q)
                    _force(q, None)

    def close(self) -> None:
        """End every stream: each page's queue gets the ``None`` sentinel."""
        with self._lock:
            for q in self._queues:
                _force(q, None)
            self._queues.clear()


def _force(q: queue.Queue, item: Any) -> None:
    """Put ``item`` even into a full queue, dropping the oldest entry to make room."""
    while True:
        try:
            q.put_nowait(item)
            return
        except queue.Full:
            try:
                q.get_nowait()
            except queue.Empty:
                pass


class LiveState:
    """Feed sink of the web server: stores alerts, keeps drones and their tracks, tells the hub."""

    def __init__(self, store: AlertStore, hub: Hub):
        self.store = store
        self.hub = hub
        self._sink = StoreSink(store, self._alert_changed)
        self._vehicles: dict[str, dict[str, Any]] = {}
        self._tracks: dict[str, deque] = {}
        self._lock = threading.Lock()

    def on_alert(self, alert: IncomingAlert) -> None:
        self._sink.on_alert(alert)

    def on_ack(self, ack: Ack) -> None:
        self._sink.on_ack(ack)

    def on_link(self, connected: bool) -> None:
        self.broker_connected = connected
        self.hub.publish("broker", {"connected": connected})

    def on_vehicle(self, vehicle: str, record: str, payload: Any) -> None:
        with self._lock:
            view = self._vehicles.setdefault(vehicle, {"vehicle": vehicle, "online": True})
            if record == "online":
                view["online"] = bool(payload)
            elif record in _VEHICLE_FIELDS and isinstance(payload, dict):
                view.update({k: payload[k] for k in _VEHICLE_FIELDS[record] if k in payload})
            else:
                return
            event = dict(view)
            if record == "position" and _is_lonlat(payload):
                point = [payload["lon"], payload["lat"]]
                self._tracks.setdefault(vehicle, deque(maxlen=TRACK_POINTS)).append(point)
                event["point"] = point
        self.hub.publish("vehicle", event)

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
        }

    def alert(self, alert_id: str) -> dict[str, Any] | None:
        stored = self.store.get(alert_id)
        return None if stored is None else _view(stored)

    def _alert_changed(self, change: str, alert_id: str) -> None:
        view = self.alert(alert_id)
        if view is not None:
            self.hub.publish("alert", view)


def _view(alert: StoredAlert) -> dict[str, Any]:
    return alert_view(alert, {kind: f"api/alerts/{alert.id}/{kind}.jpg" for kind in alert.evidence})


def _is_lonlat(payload: dict[str, Any]) -> bool:
    lon, lat = payload.get("lon"), payload.get("lat")
    return isinstance(lon, int | float) and isinstance(lat, int | float)
