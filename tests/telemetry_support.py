"""What the telemetry tests share: the recorded flight, a subscriber to the whole topic tree,
the check that every record stream arrived whole, and a feed of real MAVLink into a normaliser."""

from __future__ import annotations

import json
import sys
import threading
import time

import paho.mqtt.client as mqtt
from conftest import FIXTURES

from telemetry.normalise import Normaliser
from vehicle.decode import new_mav

__all__ = ["TLOG", "GRIDPATROL", "Subscriber", "assert_streams_complete", "Feed"]

TLOG = FIXTURES / "copter-patrol-1x.tlog"
GRIDPATROL = [sys.executable, "-m", "gridpatrol"]


class Subscriber:
    """A persistent-session QoS 1 subscriber to the whole tree, recording what arrives."""

    def __init__(self, port: int, client_id: str = "test-subscriber"):
        self.messages: list[tuple[str, bytes]] = []
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False
        )
        self.client.reconnect_delay_set(0.1, 0.5)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe("gridpatrol/#", qos=1)
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, m.payload))
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self.subscribed.wait(5)

    def records(self, kind: str | None = None, vehicle: str | None = None) -> list[dict]:
        out = []
        for topic, payload in list(self.messages):
            parts = topic.split("/")
            if parts[2] != "vehicles" or parts[4] == "online":
                continue
            if (kind is None or parts[4] == kind) and (vehicle is None or parts[3] == vehicle):
                out.append(json.loads(payload))
        return out

    def online(self, vehicle: str) -> list[bytes]:
        return [
            p for t, p in list(self.messages) if t == f"gridpatrol/v1/vehicles/{vehicle}/online"
        ]

    def wait(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return predicate()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def assert_streams_complete(records: list[dict]) -> dict[tuple[str, str], int]:
    """Per (vehicle, kind): after removing QoS 1 duplicates, seq runs 1..N in arrival order."""
    firsts: dict[tuple[str, str], list[int]] = {}
    seen = set()
    for r in records:
        key = (r["vehicle"], r["kind"], r["seq"])
        if key in seen:
            continue
        seen.add(key)
        firsts.setdefault(key[:2], []).append(r["seq"])
    for stream, seqs in firsts.items():
        assert seqs == list(range(1, len(seqs) + 1)), f"gap or reorder in {stream}"
    return {k: len(v) for k, v in firsts.items()}


class Feed:
    """Encodes real MAVLink messages from one vehicle and feeds them through a Normaliser."""

    def __init__(self, normaliser: Normaliser, sysid: int = 1):
        self.n = normaliser
        self.mav = new_mav(sysid, 1)
        self.t = 1000.0

    def __call__(self, name: str, *args, dt: float = 0.1):
        msg = getattr(self.mav, f"{name}_encode")(*args)
        decoded = self.mav.decode(bytearray(msg.pack(self.mav)))
        self.t += dt
        decoded._timestamp = self.t
        return self.n.feed(decoded, link="l")

    def heartbeat(self, mode=4, armed=False, status=4, dt=0.1):
        return self("heartbeat", 2, 3, 0x81 if armed else 0x01, mode, status, dt=dt)
