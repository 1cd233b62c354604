"""SQLite store of the alerts the command centre received and the acknowledgements given.

Alerts arrive at QoS 1, so the broker may deliver one twice, and the vision pipeline may re-send
an updated version under the same id: the alert ``id`` is the key and a re-delivery only replaces
the row. Acknowledgements have their own table, so an ack that arrives before its alert (another
centre acknowledged it first) is kept, and a re-sent alert never re-opens an acknowledged one.
Every write is committed before the MQTT callback returns, so an alert the broker handed over is
on disk before paho acknowledges it.

What cannot be filed (malformed, out of range, oversize, for an unknown cell) goes to the
``quarantine`` table with its reason and the first bytes of the message, so the broker can be
acknowledged (an unacknowledged message blocks the session's in-flight window) and nothing is
lost silently: the count is shown on the page and by ``gridpatrol alerts``. The patrol runner's
messages that cannot be used are quarantined in the same table, and counted apart on the page.

The check requests this centre sent (``task_requests``) are kept too, so after a restart the
runner's answers are still shown next to the alert they were asked for.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from centre.errors import CentreError
from centre.messages import Ack, IncomingAlert, iso_utc
from mission.text import N_
from telemetry.patrol_records import TaskRequest
from telemetry.sqlite_schema import missing_columns
from telemetry.topics import TOPIC_ROOT

__all__ = ["AlertStore", "StoredAlert", "StoreSink", "Change", "QUARANTINE_HEAD"]

Change = Literal["new", "updated", "duplicate"]
QUARANTINE_HEAD = 4096  # bytes of a quarantined message kept, enough to see what it was
_PATROL_TOPICS = " OR ".join(
    f"topic GLOB '{TOPIC_ROOT}/{part}/*'" for part in ("sorties", "tasks", "patrol")
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY,
    cell INTEGER NOT NULL,
    team TEXT,
    code TEXT,
    detector TEXT,
    vehicle TEXT,
    score REAL,
    lat REAL,
    lon REAL,
    uncertainty_m REAL,
    created TEXT,
    status TEXT NOT NULL,
    footprint TEXT,
    evidence TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    reason TEXT NOT NULL,
    size INTEGER NOT NULL,
    head BLOB NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS task_requests (
    id TEXT PRIMARY KEY,
    alert_id TEXT,
    payload TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS acks (
    id TEXT PRIMARY KEY,
    by TEXT NOT NULL,
    time TEXT NOT NULL,
    received_at TEXT NOT NULL
);
"""

_COLUMNS = (
    "a.id, a.cell, a.team, a.code, a.detector, a.vehicle, a.score, a.lat, a.lon, "
    "a.uncertainty_m, a.created, a.status, a.received_at, k.by, k.time, a.footprint, a.evidence"
)


@dataclass(frozen=True)
class StoredAlert:
    """One alert row joined with its acknowledgement (``acked_by`` is None while open)."""

    id: str
    cell: int
    team: str | None
    code: str | None
    detector: str | None
    vehicle: str | None
    score: float | None
    lat: float | None
    lon: float | None
    uncertainty_m: float | None
    created: str | None
    status: str
    received_at: str
    acked_by: str | None
    acked_at: str | None
    footprint: tuple[tuple[float, float], ...] | None = None
    evidence: tuple[str, ...] = ()

    @classmethod
    def from_incoming(cls, alert: IncomingAlert, received_at: str = "") -> StoredAlert:
        """The row an alert would become, before any acknowledgement."""
        footprint = alert.footprint_lonlat()
        return cls(
            id=alert.id, cell=alert.cell, team=alert.team, code=alert.code,
            detector=alert.detector, vehicle=alert.vehicle, score=alert.score, lat=alert.lat,
            lon=alert.lon, uncertainty_m=alert.uncertainty_m,
            created=None if alert.created is None else str(alert.created), status=alert.status,
            received_at=received_at, acked_by=None, acked_at=None,
            footprint=None if footprint is None else tuple(map(tuple, footprint)),
            evidence=tuple(sorted(alert.evidence_b64())),
        )  # fmt: skip

    @property
    def is_open(self) -> bool:
        return self.acked_by is None and self.status == "open"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AlertStore:
    """Thread-safe: the MQTT thread writes while web request threads read."""

    def __init__(self, path: Path, clock: Callable[[], datetime] = _utcnow):
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
            missing = missing_columns(self._db, _SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise CentreError(
                N_(
                    "cannot open alert store {path}: {exc}; pass --db with a writable SQLite file",
                    path=self.path,
                    exc=exc,
                )
            ) from None

        if missing:  # another program's database, or one of its tables, under this name
            self._db.close()
            raise CentreError(
                N_(
                    "{path} is not a gridpatrol alert store ({missing} missing); pass --db with "
                    "another file",
                    path=self.path,
                    missing=", ".join(missing[:5]),
                )
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> AlertStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def put_alert(self, alert: IncomingAlert) -> Change:
        """Insert or replace by id; ``duplicate`` when the very same JSON was already stored."""
        payload = alert.model_dump_json()
        footprint = alert.footprint_lonlat()
        row = (alert.cell, alert.team, alert.code, alert.detector, alert.vehicle, alert.score,
               alert.lat, alert.lon, alert.uncertainty_m,
               None if alert.created is None else str(alert.created), alert.status,
               None if footprint is None else json.dumps(footprint),
               ",".join(sorted(alert.evidence_b64())), payload)  # fmt: skip
        now = iso_utc(self._clock())
        with self._write():
            old = self._db.execute(
                "SELECT payload FROM alerts WHERE id = ?", (alert.id,)
            ).fetchone()
            if old is None:
                self._db.execute(
                    "INSERT INTO alerts (cell, team, code, detector, vehicle, score, lat, lon, "
                    "uncertainty_m, created, status, footprint, evidence, payload, id, "
                    "received_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*row, alert.id, now, now),
                )
                return "new"
            if old[0] == payload:
                return "duplicate"
            self._db.execute(
                "UPDATE alerts SET cell = ?, team = ?, code = ?, detector = ?, vehicle = ?, "
                "score = ?, lat = ?, lon = ?, uncertainty_m = ?, created = ?, status = ?, "
                "footprint = ?, evidence = ?, payload = ?, updated_at = ? WHERE id = ?",
                (*row, now, alert.id),
            )
            return "updated"

    def put_ack(self, ack: Ack) -> bool:
        """Record an acknowledgement; the first one wins. True when it was not known before."""
        with self._write():
            cur = self._db.execute(
                "INSERT OR IGNORE INTO acks (id, by, time, received_at) VALUES (?, ?, ?, ?)",
                (ack.id, ack.by, iso_utc(ack.time), iso_utc(self._clock())),
            )
            return cur.rowcount == 1

    def quarantine(self, topic: str, reason: str, payload: bytes) -> None:
        """Keep a message that cannot be filed: its topic, why, its size and its first bytes."""
        with self._write():
            self._db.execute(
                "INSERT INTO quarantine (topic, reason, size, head, received_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (topic[:512], reason[:500], len(payload), payload[:QUARANTINE_HEAD],
                 iso_utc(self._clock())),
            )  # fmt: skip

    def quarantined(self, patrol: bool | None = None) -> int:
        """How many messages were quarantined in this store, ever; ``patrol``: only those of the
        patrol runner (True) or only the others (False)."""
        where = "" if patrol is None else f"WHERE {'' if patrol else 'NOT '}({_PATROL_TOPICS})"
        with self._lock:
            return self._db.execute(f"SELECT count(*) FROM quarantine {where}").fetchone()[0]

    def put_task_request(self, request: TaskRequest, alert_id: str | None) -> None:
        """Keep a check request once the broker has taken it, with the alert it was for."""
        with self._write():
            self._db.execute(
                "INSERT OR REPLACE INTO task_requests (id, alert_id, payload, sent_at) "
                "VALUES (?, ?, ?, ?)",
                (request.id, alert_id, request.model_dump_json(), iso_utc(self._clock())),
            )

    def task_requests(self, limit: int = 500) -> list[tuple[TaskRequest, str | None]]:
        """The newest ``limit`` check requests sent (oldest first), each with its alert id."""
        with self._lock:
            rows = self._db.execute(
                "SELECT payload, alert_id FROM task_requests ORDER BY rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [(TaskRequest.model_validate_json(p), a) for p, a in reversed(rows)]

    def quarantine_reasons(self, limit: int = 5) -> list[tuple[str, str]]:
        """The newest quarantined messages as (topic, reason), newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT topic, reason FROM quarantine ORDER BY n DESC LIMIT ?", (limit,)
            ).fetchall()
        return [(topic, reason) for topic, reason in rows]

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One immediate transaction: a second process on the same file waits instead of racing."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def get(self, alert_id: str) -> StoredAlert | None:
        rows = self._select("WHERE a.id = ?", (alert_id,))
        return rows[0] if rows else None

    def alerts(self, *, open_only: bool = True) -> list[StoredAlert]:
        """Sorted by cell, then team, then creation: the order the centre hands them out in."""
        where = "WHERE k.id IS NULL AND a.status = 'open'" if open_only else ""
        return self._select(where, ())

    def evidence_jpeg(self, alert_id: str, kind: str) -> bytes | None:
        """One evidence image of an alert, decoded; None when absent or not valid base64."""
        with self._lock:
            row = self._db.execute(
                "SELECT payload FROM alerts WHERE id = ?", (alert_id,)
            ).fetchone()
        if row is None:
            return None
        b64 = IncomingAlert.model_validate_json(row[0]).evidence_b64().get(kind)
        try:
            return None if b64 is None else base64.b64decode(b64, validate=True)
        except ValueError:
            return None

    def _select(self, where: str, args: tuple) -> list[StoredAlert]:
        sql = (
            f"SELECT {_COLUMNS} FROM alerts a LEFT JOIN acks k ON k.id = a.id {where} "
            "ORDER BY a.cell, a.team, a.created, a.id"
        )
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [
            StoredAlert(
                *row[:15],
                footprint=None if row[15] is None else tuple(map(tuple, json.loads(row[15]))),
                evidence=tuple(filter(None, row[16].split(","))),
            )
            for row in rows
        ]


class StoreSink:
    """Feed sink that files alerts and acks in the store and reports each change to ``notify``."""

    def __init__(self, store: AlertStore, notify: Callable[[str, str], None] | None = None):
        self.store = store
        self._notify = notify

    def on_alert(self, alert: IncomingAlert) -> None:
        change = self.store.put_alert(alert)
        if change != "duplicate" and self._notify:
            self._notify(change, alert.id)

    def on_ack(self, ack: Ack) -> None:
        if self.store.put_ack(ack) and self._notify:
            self._notify("acked", ack.id)

    def on_refused(self, topic: str, reason: str, payload: bytes) -> None:
        self.store.quarantine(topic, reason, payload)
        if self._notify:
            self._notify("quarantined", reason)

    def on_vehicle(self, vehicle: str, record: str, payload: Any) -> None:
        """Vehicle records are not stored: the bridge's own spool and the broker keep them."""

    def on_patrol(self, item: Any) -> None:
        """Runner states are not stored: they are retained on the broker and live in memory."""

    def on_link(self, connected: bool) -> None:
        """Nothing to do: the persistent session makes the broker keep alerts meanwhile."""
