"""A store-and-forward disk queue (SQLite in WAL mode) for QoS 1 messages.

A message is committed here before it is handed to paho and deleted only on PUBACK, so neither a
broker outage nor a ``kill -9`` of the bridge loses it: WAL with ``synchronous=NORMAL`` makes each
commit survive a process crash (only a power cut can lose the last commits). Rows keep their
insertion order, so the next start drains the backlog ahead of new traffic. The spool is bounded:
past ``max_bytes`` it drops the oldest *droppable* (high-rate) rows and never an event.

The spool also keeps each record stream's last sequence number in the same transaction as the
row, so a restarted bridge continues the numbering without a false gap or a repeat.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from telemetry.errors import TelemetryError

__all__ = ["Spool", "SpoolRow", "SpoolError"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    qos INTEGER NOT NULL,
    retain INTEGER NOT NULL,
    droppable INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_droppable ON outbox (droppable, id);
CREATE TABLE IF NOT EXISTS seqs (key TEXT PRIMARY KEY, seq INTEGER NOT NULL);
"""


class SpoolError(TelemetryError):
    """The spool file cannot be opened or written."""


@dataclass(frozen=True)
class SpoolRow:
    id: int
    topic: str
    payload: bytes
    qos: int
    retain: bool


class Spool:
    """Thread-safe: the bridge writes, the publisher's pump reads and deletes."""

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = 256 * 1024 * 1024,
        clock: Callable[[], float] = time.time,
    ):
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.clock = clock
        self.dropped = 0
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._count, size = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload) + LENGTH(topic)), 0) FROM outbox"
            ).fetchone()
        except sqlite3.Error as exc:
            raise SpoolError(
                f"cannot open spool {self.path}: {exc}; choose another --spool path"
            ) from exc
        self._bytes = int(size)

    def put_many(
        self, rows: list[tuple[str, bytes, int, bool, bool]], seqs: dict[str, int]
    ) -> None:
        """Commit (topic, payload, qos, retain, droppable) rows and stream counters atomically."""
        if not rows:
            return
        size = sum(len(r[0]) + len(r[1]) for r in rows)
        now = self.clock()
        with self._lock:
            if self._bytes + size > self.max_bytes:
                self._evict(size)
            try:
                cur = self._db.cursor()
                cur.execute("BEGIN")
                cur.executemany(
                    "INSERT INTO outbox (topic, payload, qos, retain, droppable, created)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [(t, p, q, int(r), int(d), now) for t, p, q, r, d in rows],
                )
                cur.executemany(
                    "INSERT INTO seqs (key, seq) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET seq = MAX(seq, excluded.seq)",
                    list(seqs.items()),
                )
                cur.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise SpoolError(f"cannot write spool {self.path}: {exc}; free disk space") from exc
            self._count += len(rows)
            self._bytes += size

    def _evict(self, incoming: int) -> None:
        """Drop the oldest droppable rows until ``incoming`` fits in 90% of the bound."""
        target = 0.9 * self.max_bytes - incoming
        while self._bytes > target:
            rows = self._db.execute(
                "SELECT id, LENGTH(payload) + LENGTH(topic) FROM outbox"
                " WHERE droppable = 1 ORDER BY id LIMIT 500"
            ).fetchall()
            if not rows:
                return  # only events and other undroppable rows left: keep them, over the bound
            take, freed = [], 0
            for row_id, size in rows:
                take.append(row_id)
                freed += size
                if self._bytes - freed <= target:
                    break
            self._db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in take])
            self._count -= len(take)
            self._bytes -= freed
            self.dropped += len(take)

    def after(self, row_id: int, limit: int) -> list[SpoolRow]:
        """Up to ``limit`` rows with id greater than ``row_id``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, topic, payload, qos, retain FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
                (row_id, limit),
            ).fetchall()
        return [SpoolRow(r[0], r[1], bytes(r[2]), r[3], bool(r[4])) for r in rows]

    def delete(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        if not ids:
            return
        with self._lock:
            marks = ",".join("?" * len(ids))
            sizes = self._db.execute(
                f"DELETE FROM outbox WHERE id IN ({marks})"
                " RETURNING LENGTH(payload) + LENGTH(topic)",
                ids,
            ).fetchall()
            self._count -= len(sizes)
            self._bytes -= sum(s[0] for s in sizes)

    def depth(self) -> int:
        return self._count

    def oldest_age(self) -> float | None:
        with self._lock:
            row = self._db.execute("SELECT created FROM outbox ORDER BY id LIMIT 1").fetchone()
        return None if row is None else round(max(0.0, self.clock() - row[0]), 3)

    def seqs(self) -> dict[str, int]:
        with self._lock:
            return dict(self._db.execute("SELECT key, seq FROM seqs").fetchall())

    def save_seqs(self, seqs: dict[str, int]) -> None:
        """Store counters of streams that bypass the spool (QoS 0), keeping the larger value."""
        with self._lock:
            self._db.executemany(
                "INSERT INTO seqs (key, seq) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET seq = MAX(seq, excluded.seq)",
                list(seqs.items()),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
