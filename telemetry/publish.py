"""Lossless MQTT publishing: every QoS 1 message goes through the spool, with a bounded window.

paho 2.x silently drops a QoS 1 publish when its queue is full (rc 15) and keeps offline publishes
in memory only (rc 4), so paho is never the buffer here. One pump thread feeds paho from the spool
in id order, at most ``max_inflight`` unacknowledged at a time, and only while connected. Rows are
deleted when their PUBACK is counted, so after an outage or a restart the backlog drains first,
in order, ahead of anything newer. ``on_publish`` runs under paho's own lock, so it only queues
the acknowledged message id; the pump does the bookkeeping.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from telemetry.mqtt import MqttSettings, make_client
from telemetry.spool import Spool

__all__ = ["Publisher"]


class Publisher:
    """Publishes to one broker through a disk spool; thread-safe ``publish``."""

    def __init__(
        self,
        settings: MqttSettings,
        spool_path: Path,
        *,
        max_inflight: int = 500,
        spool_max_bytes: int = 256 * 1024 * 1024,
        will: tuple[str, bytes] | None = None,
    ):
        self.settings = settings
        self.spool = Spool(spool_path, max_bytes=spool_max_bytes)
        self.max_inflight = max_inflight
        self.will = will
        self.client: Any = None
        self.connected = False
        self.last_error: str | None = None
        self.counts = {
            "published": 0,
            "acked": 0,
            "qos0_sent": 0,
            "qos0_dropped": 0,
            "rc_errors": 0,
        }
        self._unspooled_seqs: dict[str, int] = {}
        self._mids: dict[int, int] = {}
        self._acks: deque[int] = deque()
        self._cursor = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pump_thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Publisher:
        self.client = make_client(self.settings)
        if self.will is not None:
            self.client.will_set(self.will[0], self.will[1], qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.connect_async(self.settings.host, self.settings.port, self.settings.keepalive)
        self.client.loop_start()
        self._pump_thread = threading.Thread(target=self._pump, name="mqtt-pump", daemon=True)
        self._pump_thread.start()
        return self

    def flush(self, timeout: float) -> bool:
        """Wait until every spooled message is acknowledged; False if ``timeout`` passes first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.spool.depth() == 0:
                return True
            self._wake.set()
            time.sleep(0.02)
        return self.spool.depth() == 0

    def close(self, timeout: float = 5.0) -> bool:
        """Flush for up to ``timeout``, then stop; what is left stays spooled for the next start."""
        flushed = self.flush(timeout) if self.client is not None else False
        self._stop.set()
        self._wake.set()
        if self._pump_thread is not None:
            self._pump_thread.join(5)
        if self.client is not None:
            if self.will is not None and self.connected:
                self.client.publish(self.will[0], b"false", qos=1, retain=True).wait_for_publish(2)
            self.client.disconnect()
            self.client.loop_stop()
        self.spool.save_seqs(self._unspooled_seqs)
        self.spool.close()
        return flushed

    # -- publishing --------------------------------------------------------------------------

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        droppable: bool = False,
        seq_key: str | None = None,
        seq: int | None = None,
    ) -> None:
        """QoS 1: spooled first (durable), then sent by the pump. QoS 0: sent now or dropped."""
        if qos >= 1:
            self.spool.put(
                topic, payload, qos=1, retain=retain, droppable=droppable, seq_key=seq_key, seq=seq
            )
            self._wake.set()
            return
        if seq_key is not None and seq is not None:
            self._unspooled_seqs[seq_key] = seq
        if not self.connected:
            self.counts["qos0_dropped"] += 1
            return
        info = self.client.publish(topic, payload, qos=0, retain=retain)
        self.counts["qos0_sent" if info.rc == 0 else "qos0_dropped"] += 1

    def stats(self) -> dict[str, Any]:
        return {
            **self.counts,
            "connected": self.connected,
            "inflight": len(self._mids),
            "spool_depth": self.spool.depth(),
            "spool_oldest_age_s": self.spool.oldest_age(),
            "spool_dropped": self.spool.dropped,
        }

    def seqs(self) -> dict[str, int]:
        """Last sequence number of every record stream, from the spool and from QoS 0 sends."""
        merged = self.spool.seqs()
        for key, n in self._unspooled_seqs.items():
            merged[key] = max(n, merged.get(key, 0))
        return merged

    # -- paho callbacks (network thread) -----------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.last_error = f"broker {self.settings.url} refused the connection: {reason_code}"
            return
        self.connected = True
        self.last_error = None
        if self.will is not None:
            client.publish(self.will[0], b"true", qos=1, retain=True)
        self._wake.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected = False

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self._acks.append(mid)
        self._wake.set()

    # -- pump --------------------------------------------------------------------------------

    def _pump(self) -> None:
        import paho.mqtt.client as mqtt

        accepted = (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN)
        while not self._stop.is_set():
            self._wake.wait(0.05)
            self._wake.clear()
            self._settle_acks()
            while self.connected and len(self._mids) < self.max_inflight:
                rows = self.spool.after(self._cursor, self.max_inflight - len(self._mids))
                if not rows:
                    break
                for row in rows:
                    info = self.client.publish(row.topic, row.payload, qos=1, retain=row.retain)
                    if info.rc not in accepted:
                        self.counts["rc_errors"] += 1  # e.g. rc 15, queue full: retry this row
                        break
                    self._mids[info.mid] = row.id
                    self._cursor = row.id
                    self.counts["published"] += 1
                else:
                    self._settle_acks()
                    continue
                break
        self._settle_acks()

    def _settle_acks(self) -> None:
        done = []
        while self._acks:
            row_id = self._mids.pop(self._acks.popleft(), None)
            if row_id is not None:
                done.append(row_id)
        if done:
            self.spool.delete(done)
            self.counts["acked"] += len(done)
