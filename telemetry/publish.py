"""Lossless MQTT publishing: every QoS 1 message goes through the spool, with a bounded window.

paho 2.x silently drops a QoS 1 publish when its queue is full (rc 15) and keeps offline publishes
in memory only (rc 4), so paho is never the buffer here. ``publish`` queues the message for the
pump, which commits everything queued since its last pass in one transaction (group commit) and
only then hands rows to paho: nothing reaches the broker before it is on disk, and a crash can
only lose messages that were never sent (their sequence numbers were not stored either, so the
numbering shows no gap).

When the disk is full the spool sheds high-rate rows itself (counted per kind); rows it cannot
write at all (``SpoolFull``) are held in memory, bounded, and retried with backoff, never dropped
uncounted and never retried in a busy loop. Acknowledged rows whose delete the disk refuses are
retried the same way. What is still held at ``close`` is counted as dropped.

The pump feeds paho from the spool in id order, at most ``max_inflight`` unacknowledged at a time
and only while connected; rows are deleted when their PUBACK is counted, so after an outage or a
restart the backlog drains first, in order, ahead of anything newer. The pump also runs paho's
network loop itself (no ``loop_start`` thread), because publishing from another thread costs paho
a wake-up write per message. The window is small (100) because paho rescans every unacknowledged
message on each PUBACK: a window of 1000 cost more CPU than everything else in the bridge.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from telemetry.mqtt import MqttSettings, make_client
from telemetry.spool import Row, Spool, SpoolError, SpoolRow

__all__ = ["Publisher"]


class Publisher:
    """Publishes to one broker through a disk spool; thread-safe ``publish``."""

    def __init__(
        self,
        settings: MqttSettings,
        spool_path: Path,
        *,
        max_inflight: int = 100,
        spool_max_bytes: int = 256 * 1024 * 1024,
        will: tuple[str, bytes] | None = None,
        max_held: int = 50_000,
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
        self.max_held = max_held
        self._unspooled_seqs: dict[str, int] = {}
        self._pending: list[Row] = []
        self._held: list[Row] = []
        self._held_seqs: dict[str, int] = {}
        self._undeleted: list[int] = []
        self._retry_at = 0.0
        self._retry_backoff = 0.1
        self._pending_seqs: dict[str, int] = {}
        self._pending_lock = threading.Lock()
        self._queue: deque[SpoolRow] = deque()
        self._qos0: list[tuple[str, bytes, bool]] = []
        self._mids: dict[int, int] = {}
        self._acks: deque[int] = deque()
        self._cursor = 0
        self._evictions_seen = 0
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._wake_armed = False
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
        self._pump_thread = threading.Thread(target=self._pump, name="mqtt-pump", daemon=True)
        self._pump_thread.start()
        return self

    def flush(self, timeout: float) -> bool:
        """Wait until every spooled message is acknowledged; False if ``timeout`` passes first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._drained():
                return True
            time.sleep(0.02)
        return self._drained()

    def _drained(self) -> bool:
        return not self._pending and not self._held and self.spool.depth() == 0

    def close(self, timeout: float = 5.0) -> bool:
        """Flush for up to ``timeout``, then stop; what is left stays spooled for the next start."""
        flushed = self.flush(timeout) if self.client is not None else False
        self._stop.set()
        self._wake()
        if self._pump_thread is not None:
            self._pump_thread.join(10)
        else:
            self._retry_at = 0.0
            self._commit_pending()
        if self._held:  # the disk never had room for them: lost, and counted as such
            self.spool.count_dropped(r[0] for r in self._held)
            for key, n in self._held_seqs.items():  # so a restart shows their numbers as a gap
                self._unspooled_seqs[key] = max(n, self._unspooled_seqs.get(key, 0))
            self._held, self._held_seqs = [], {}
        try:
            self.spool.save_seqs(self._unspooled_seqs)
        except SpoolError as exc:
            self.last_error = str(exc)
        self.spool.close()
        self._wake_r.close()
        self._wake_w.close()
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
        """QoS 1: queued for the pump, which commits it to the spool before sending it.
        QoS 0: sent on the pump's next pass if connected, otherwise dropped and counted."""
        if qos >= 1:
            with self._pending_lock:
                self._pending.append((topic, payload, 1, retain, droppable))
                if seq_key is not None and seq is not None:
                    self._pending_seqs[seq_key] = seq
            self._wake()
            return
        if seq_key is not None and seq is not None:
            self._unspooled_seqs[seq_key] = seq
        with self._pending_lock:
            self._qos0.append((topic, payload, retain))
        self._wake()

    def stats(self) -> dict[str, Any]:
        return {
            **self.counts,
            "connected": self.connected,
            "inflight": len(self._mids),
            "spool_depth": self.spool.depth(),
            "spool_oldest_age_s": self.spool.oldest_age(),
            "spool_dropped": self.spool.dropped,
            "dropped": dict(self.spool.dropped_by_kind),
            "held": len(self._held),
        }

    def dropped(self) -> dict[str, int]:
        """Records dropped since start, per kind (spool shedding, and held rows lost at close)."""
        return dict(self.spool.dropped_by_kind)

    def seqs(self) -> dict[str, int]:
        """Last sequence number of every record stream, from the spool and from QoS 0 sends."""
        merged = self.spool.seqs()
        for key, n in self._unspooled_seqs.items():
            merged[key] = max(n, merged.get(key, 0))
        return merged

    # -- paho callbacks (pump thread) ---------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.last_error = f"broker {self.settings.url} refused the connection: {reason_code}"
            return
        self.connected = True
        self.last_error = None
        if self.will is not None:
            client.publish(self.will[0], b"true", qos=1, retain=True)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected = False

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self._acks.append(mid)

    # -- pump --------------------------------------------------------------------------------

    def _wake(self) -> None:
        """Interrupt the pump's select(); one byte per pump pass, not one per message."""
        if not self._wake_armed:
            self._wake_armed = True
            with contextlib.suppress(BlockingIOError, OSError):
                self._wake_w.send(b"x")

    def _pump(self) -> None:
        """The only thread that touches paho: reconnects, feeds the window, reads PUBACKs."""
        backoff, next_try = 0.2, 0.0
        while not self._stop.is_set():
            sock = self.client.socket()
            if sock is None:
                self.connected = False
                if time.monotonic() >= next_try:
                    try:
                        self.client.reconnect()
                        backoff = 0.2
                        continue
                    except (OSError, ValueError) as exc:
                        self.last_error = f"cannot reach broker {self.settings.url}: {exc}"
                        next_try = time.monotonic() + backoff
                        backoff = min(backoff * 2, 2.0)
            self._wake_armed = False  # publishes from here on send a wake byte
            try:
                self._commit_pending()
                self._settle_acks()
                self._send_window()
                self._io(sock, 0.05)
            except Exception as exc:  # never let the only sender die; the spool keeps the data
                self.last_error = f"publisher error: {exc}"
                time.sleep(0.1)
        self._shutdown()

    def _io(self, sock: Any, timeout: float) -> None:
        if sock is not None and sock.fileno() < 0:
            sock = None
        rlist = [self._wake_r] + ([sock] if sock is not None else [])
        wlist = [sock] if sock is not None and self.client.want_write() else []
        readable, writable, _ = select.select(rlist, wlist, [], timeout)
        if self._wake_r in readable:
            with contextlib.suppress(BlockingIOError, OSError):
                self._wake_r.recv(4096)
        if sock is not None:
            if sock in readable:
                self.client.loop_read()
            if sock in writable:
                self.client.loop_write()
            self.client.loop_misc()

    def _send_window(self) -> None:
        import paho.mqtt.client as mqtt

        if self._qos0:
            with self._pending_lock:
                batch, self._qos0 = self._qos0, []
            for topic, payload, retain in batch:
                ok = self.connected and self.client.publish(topic, payload, 0, retain).rc == 0
                self.counts["qos0_sent" if ok else "qos0_dropped"] += 1
                if not ok:
                    self.spool.count_dropped([topic])
        if self._evictions_seen != self.spool.evictions:
            # rows read ahead may have been evicted since (counted lost): read them again
            self._evictions_seen = self.spool.evictions
            self._queue.clear()
        while self.connected and len(self._mids) < self.max_inflight:
            if not self._queue:
                self._queue.extend(self.spool.after(self._cursor, 2000))
                if not self._queue:
                    return
            row = self._queue[0]
            info = self.client.publish(row.topic, row.payload, qos=1, retain=row.retain)
            if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
                # paho refused to queue it (any other rc: paho holds it and resends on reconnect)
                self.counts["rc_errors"] += 1
                return
            self._queue.popleft()
            self._mids[info.mid] = row.id
            self._cursor = row.id
            self.spool.mark_sent(row.id)
            self.counts["published"] += 1

    def _shutdown(self) -> None:
        """Last pass: commit, wait briefly for outstanding PUBACKs, mark the bridge offline."""
        self._retry_at = 0.0
        self._commit_pending()
        deadline = time.monotonic() + 2.0
        if self.will is not None and self.connected:
            self.client.publish(self.will[0], b"false", qos=1, retain=True)
        while self.connected and self.client.want_write() and time.monotonic() < deadline:
            self._io(self.client.socket(), 0.05)
        end = time.monotonic() + 0.2
        while self.connected and time.monotonic() < min(end, deadline):
            self._io(self.client.socket(), 0.02)  # collect the last PUBACKs
        self._settle_acks()
        self.client.disconnect()
        with contextlib.suppress(Exception):
            self.client.loop_write()

    def _commit_pending(self) -> None:
        """Group commit: one transaction for everything published since the last pass.

        Rows the disk cannot take are held (oldest first) and retried after a growing delay."""
        now = time.monotonic()
        if now < self._retry_at:
            return
        with self._pending_lock:
            rows, seqs = self._held + self._pending, {**self._held_seqs, **self._pending_seqs}
            self._pending, self._pending_seqs = [], {}
        try:
            self.spool.put_many(rows, seqs)
        except SpoolError as exc:
            self.last_error = str(exc)
            self._held, self._held_seqs = self._bounded(rows), seqs
            self._retry_at = now + self._retry_backoff
            self._retry_backoff = min(self._retry_backoff * 2, 2.0)
            return
        self._held, self._held_seqs = [], {}
        self._retry_backoff = 0.1

    def _bounded(self, rows: list[Row]) -> list[Row]:
        """At most ``max_held`` rows in memory: shed the oldest droppable ones, then the oldest."""
        excess = len(rows) - self.max_held
        if excess <= 0:
            return rows
        shed = {i for i, r in enumerate(rows) if r[4]}
        shed = set(sorted(shed)[:excess])
        if len(shed) < excess:
            rest = [i for i in range(len(rows)) if i not in shed]
            shed |= set(rest[: excess - len(shed)])
        self.spool.count_dropped(rows[i][0] for i in sorted(shed))
        return [r for i, r in enumerate(rows) if i not in shed]

    def _settle_acks(self) -> None:
        """Delete acknowledged rows; a delete the disk refuses is retried on a later pass."""
        while self._acks:
            row_id = self._mids.pop(self._acks.popleft(), None)
            if row_id is not None:
                self._undeleted.append(row_id)
                self.counts["acked"] += 1
        if not self._undeleted or time.monotonic() < self._retry_at:
            return
        try:
            self.spool.delete(self._undeleted)
        except SpoolError as exc:
            self.last_error = str(exc)
            self._retry_at = time.monotonic() + self._retry_backoff
            self._retry_backoff = min(self._retry_backoff * 2, 2.0)
            return
        self._undeleted = []
