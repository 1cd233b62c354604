"""A store-and-forward disk queue (SQLite in WAL mode) for QoS 1 messages.

A message is committed here before it is handed to paho and deleted only on PUBACK, so neither a
broker outage nor a ``kill -9`` of the bridge loses it: WAL with ``synchronous=NORMAL`` makes each
commit survive a process crash (only a power cut can lose the last commits). Rows keep their
insertion order, so the next start drains the backlog ahead of new traffic.

Room is kept for events. High-rate (*droppable*) rows may fill the spool only up to ``max_bytes``
less a reserve; past that the oldest of them are evicted, in the same transaction that inserts the
new rows (never deleted before the replacement is committed). When the disk itself is full, the
spool releases a reserve file it created beside itself at open, sheds droppable rows (the new ones
and the oldest stored ones) and retries with the others. Every dropped row is counted per kind
(the last topic level), because its sequence number was already given out: subscribers see the
gap, and the counts say why. Rows already handed to the MQTT client (``mark_sent``) are never
evicted: the client delivers them whatever the spool does, so counting them lost would count them
twice. ``evictions`` grows with every evicted row, so a reader holding rows read ahead knows to
read again. ``SpoolFull`` means even the rows that are not droppable could not be
written; the caller keeps them and retries later.

The spool also keeps each record stream's last sequence number in the same transaction as the
rows, dropped ones included, so a restarted bridge continues the numbering without a repeat.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from mission.text import N_
from telemetry.errors import TelemetryError
from telemetry.sqlite_schema import missing_columns

__all__ = ["Spool", "SpoolRow", "SpoolError", "SpoolFull", "Row"]

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
_RESERVE_MAX = 8 * 1024 * 1024
_RESERVE_RETRY_S = 2.0
Row = tuple[str, bytes, int, bool, bool]  # topic, payload, qos, retain, droppable


class SpoolError(TelemetryError):
    """The spool file cannot be opened or written."""


class SpoolFull(SpoolError):
    """Not even the rows that must not be dropped fit on the disk; keep them and retry."""


@dataclass(frozen=True)
class SpoolRow:
    id: int
    topic: str
    payload: bytes
    qos: int
    retain: bool


def kind_of(topic: str) -> str:
    """The record kind a row is counted under: its topic's last level."""
    return topic.rsplit("/", 1)[-1]


def _is_full(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code == sqlite3.SQLITE_FULL or "full" in str(exc).lower()


class Spool:
    """Thread-safe: the bridge writes, the publisher's pump reads and deletes."""

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = 256 * 1024 * 1024,
        reserve_bytes: int | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.path = Path(path)
        self.max_bytes = max_bytes
        # The WAL is folded back every max_bytes/32 (16..1000 pages) and truncated after, so the
        # disk space it holds stays small next to the reserve, which must cover one checkpoint.
        self._wal_pages = max(16, min(1000, max_bytes // 32 // 4096))
        self.reserve_bytes = (
            min(_RESERVE_MAX, 2 * self._wal_pages * 4096)
            if reserve_bytes is None
            else reserve_bytes
        )
        self.clock = clock
        self.dropped_by_kind: Counter[str] = Counter()
        self.disk_full = False
        self._reserve_path = self.path.with_name(self.path.name + ".reserve")
        self._reserve_retry_at = 0.0
        self._sent_upto = 0
        self.evictions = 0
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(f"PRAGMA wal_autocheckpoint={self._wal_pages}")
            self._db.execute(f"PRAGMA journal_size_limit={self._wal_pages * 4096}")
            self._db.executescript(_SCHEMA)
            missing = missing_columns(self._db, _SCHEMA)
            if missing:  # another program's file: its own tables must not be written into
                raise sqlite3.DatabaseError(f"not a gridpatrol spool ({', '.join(missing[:5])} "
                                            "missing)")  # fmt: skip
            self._count, size = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload) + LENGTH(topic)), 0) FROM outbox"
            ).fetchone()
        except (sqlite3.Error, OSError) as exc:
            raise SpoolError(
                N_(
                    "cannot open spool {path}: {exc}; choose another --spool path",
                    path=self.path,
                    exc=exc,
                )
            ) from exc
        self._bytes = int(size)
        self._make_reserve()

    @property
    def dropped(self) -> int:
        """Rows dropped since open, all kinds together."""
        return sum(self.dropped_by_kind.values())

    def count_dropped(self, topics: Iterable[str]) -> None:
        """Count rows lost before they reached the spool (the caller could not keep them)."""
        with self._lock:
            self.dropped_by_kind.update(kind_of(t) for t in topics)

    def mark_sent(self, row_id: int) -> None:
        """Rows up to ``row_id`` are with the MQTT client, which delivers them even after a
        reconnect: they leave the spool on PUBACK, never by eviction."""
        with self._lock:
            self._sent_upto = max(self._sent_upto, row_id)

    # -- the disk reserve ----------------------------------------------------------------------

    def _make_reserve(self) -> bool:
        """Hold ``reserve_bytes`` of disk in a side file, only while the disk has plenty free."""
        if self.reserve_bytes <= 0 or self._reserve_path.exists():
            return True
        try:
            if shutil.disk_usage(self.path.parent).free < 2 * self.reserve_bytes:
                return False
            with self._reserve_path.open("wb") as fh:
                fh.write(b"\0" * self.reserve_bytes)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError:
            with contextlib.suppress(OSError):
                self._reserve_path.unlink()
            return False
        return True

    def _make_room(self) -> None:
        """After SQLITE_FULL: free the reserve, then fold the WAL into the database and truncate
        it, so the space the WAL holds (its high-water mark) is given back to the disk."""
        with contextlib.suppress(OSError):
            self._reserve_path.unlink()
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- writing -------------------------------------------------------------------------------

    def put_many(self, rows: list[Row], seqs: dict[str, int]) -> None:
        """Commit rows and stream counters atomically, shedding droppable rows when full.

        While the disk is full, new droppable rows are dropped and each write first evicts old
        droppable rows worth twice its own size, so the file never needs to grow. Raises
        ``SpoolFull`` (nothing of this batch committed) when even the rows that are not droppable
        cannot be written; the caller keeps them and calls again later.
        """
        if not rows and not seqs:
            return
        now = self.clock()
        with self._lock:
            if self.disk_full and now >= self._reserve_retry_at:
                self._reserve_retry_at = now + _RESERVE_RETRY_S
                self.disk_full = not (self._make_reserve() or self._free_inside())
            keep = [r for r in rows if not r[4]] if self.disk_full else rows
            try:
                self._write(keep, seqs, now, room=self._room_for(keep))
            except sqlite3.Error as exc:
                if not _is_full(exc):
                    raise SpoolError(
                        N_(
                            "cannot write spool {path}: {exc}; free disk space",
                            path=self.path,
                            exc=exc,
                        )
                    ) from exc
                self.disk_full = True
                self._reserve_retry_at = now + _RESERVE_RETRY_S
                self._make_room()
                keep = [r for r in rows if not r[4]]
                try:
                    self._write(keep, seqs, now, room=self._room_for(keep) + 64 * 1024)
                except sqlite3.Error as exc2:
                    raise SpoolFull(
                        N_(
                            "spool disk full at {parent} ({problem}); holding {n_keep} records in memory until "
                            "there is room; free disk space",
                            parent=self.path.parent,
                            problem=exc2,
                            n_keep=len(keep),
                        )
                    ) from exc2
            if keep is not rows:
                self.dropped_by_kind.update(kind_of(r[0]) for r in rows if r[4])

    def _room_for(self, rows: list[Row]) -> int:
        """Bytes of old droppable rows to evict first: none unless the disk is full."""
        return 2 * sum(len(r[0]) + len(r[1]) for r in rows) if self.disk_full else 0

    def _free_inside(self) -> bool:
        """True when the file's own free pages hold a reserve's worth: writes need not grow it."""
        pages = self._db.execute("PRAGMA freelist_count").fetchone()[0]
        return pages * 4096 >= 2 * max(self.reserve_bytes, 64 * 1024)

    def _write(self, rows: list[Row], seqs: dict[str, int], now: float, *, room: int) -> None:
        """One transaction: evict droppable rows to make room, insert, store the counters."""
        size = sum(len(r[0]) + len(r[1]) for r in rows)
        droppable = any(r[4] for r in rows)
        cur = self._db.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            # droppable rows may not use the reserve; events may use the whole bound
            limit = self.max_bytes - (self.reserve_bytes if droppable else 0)
            evicted = self._evict(cur, max(self._bytes + size - limit, room))
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
        except sqlite3.Error:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        freed = 0
        self.evictions += len(evicted)
        for kind, nbytes in evicted:
            self.dropped_by_kind[kind] += 1
            freed += nbytes
        self._count += len(rows) - len(evicted)
        self._bytes += size - freed

    def _evict(self, cur: sqlite3.Cursor, excess: int) -> list[tuple[str, int]]:
        """Delete the oldest droppable rows not yet sent worth ``excess`` bytes; (kind, bytes) of
        each."""
        out: list[tuple[str, int]] = []
        freed = 0
        while freed < excess:
            rows = cur.execute(
                "SELECT id, topic, LENGTH(payload) + LENGTH(topic) FROM outbox"
                " WHERE droppable = 1 AND id > ? ORDER BY id LIMIT 500",
                (self._sent_upto,),
            ).fetchall()
            if not rows:
                break  # only rows that must not be dropped are left: keep them, over the bound
            ids = []
            for row_id, topic, nbytes in rows:
                ids.append((row_id,))
                out.append((kind_of(topic), nbytes))
                freed += nbytes
                if freed >= excess:
                    break
            cur.executemany("DELETE FROM outbox WHERE id = ?", ids)
        return out

    # -- reading and acknowledging --------------------------------------------------------------

    def after(self, row_id: int, limit: int) -> list[SpoolRow]:
        """Up to ``limit`` rows with id greater than ``row_id``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, topic, payload, qos, retain FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
                (row_id, limit),
            ).fetchall()
        return [SpoolRow(r[0], r[1], bytes(r[2]), r[3], bool(r[4])) for r in rows]

    def delete(self, ids: Iterable[int]) -> None:
        """Forget acknowledged rows, 100 per transaction (a small write fits even a full disk's
        WAL); raises ``SpoolError`` if the disk refuses, and deleting again is harmless."""
        ids = list(ids)
        with self._lock:
            for at in range(0, len(ids), 100):
                self._delete(ids[at : at + 100])

    def _delete(self, ids: list[int]) -> None:
        marks = ",".join("?" * len(ids))
        sql = f"DELETE FROM outbox WHERE id IN ({marks}) RETURNING LENGTH(payload) + LENGTH(topic)"
        try:
            try:
                sizes = self._db.execute(sql, ids).fetchall()
            except sqlite3.Error as exc:
                if not _is_full(exc):
                    raise
                self._make_room()
                sizes = self._db.execute(sql, ids).fetchall()
        except sqlite3.Error as exc:
            raise SpoolError(
                N_(
                    "cannot delete from spool {path}: {exc}; free disk space",
                    path=self.path,
                    exc=exc,
                )
            ) from exc
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
            try:
                self._db.executemany(
                    "INSERT INTO seqs (key, seq) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET seq = MAX(seq, excluded.seq)",
                    list(seqs.items()),
                )
            except sqlite3.Error as exc:
                raise SpoolError(
                    N_(
                        "cannot save sequence numbers in {path}: {exc}; free disk space",
                        path=self.path,
                        exc=exc,
                    )
                ) from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()
