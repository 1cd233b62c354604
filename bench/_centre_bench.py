"""What the command-centre benchmarks share: a real mosquitto, the `gridpatrol serve` server
in-process (port 0), a publisher standing in for the field, and a Server-Sent Events reader
standing in for the browser, which stamps each event on arrival."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from centre.server import CommandCentre
from centre.store import AlertStore
from gridpatrol.broker import MosquittoBroker
from mission.model import District
from telemetry.mqtt import MqttSettings

__all__ = ["SseReader", "running_centre"]


class SseReader(threading.Thread):
    """Reads the page's event stream; subclasses keep what ``on_event`` is given."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.ready = threading.Event()

    def on_event(self, name: str, data: Any, now: float) -> None:
        raise NotImplementedError

    def run(self) -> None:
        with urllib.request.urlopen(self.url + "events") as stream:
            name = None
            for raw in stream:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: ") and name:
                    now = time.perf_counter()
                    if name == "snapshot":
                        self.ready.set()
                    else:
                        self.on_event(name, json.loads(line[6:]), now)


@contextlib.contextmanager
def running_centre(
    district: District, work: Path, name: str, reader: type[SseReader]
) -> Iterator[tuple[CommandCentre, AlertStore, Any, SseReader]]:
    """The centre on a fresh broker, its page read by ``reader``, and a connected publisher."""
    with MosquittoBroker(workdir=work / "broker") as broker:
        store = AlertStore(work / "alerts.sqlite")
        centre = CommandCentre(district, MqttSettings.from_url(broker.url), store,
                               client_id=f"bench-{name}", port=0)  # fmt: skip
        centre.start()
        events = reader(centre.url)
        events.start()
        events.ready.wait(5)
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-{name}-pub")
        pub.connect("127.0.0.1", broker.port)
        pub.loop_start()
        try:
            yield centre, store, pub, events
        finally:
            pub.disconnect()
            pub.loop_stop()
            centre.stop()
            store.close()
