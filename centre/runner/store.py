"""The runner's memory: the schedule being flown and every sortie's and task's state, in SQLite.

Written before anything is published or commanded (WAL, ``synchronous=FULL``: a row committed is
on disk), so after kill -9 the runner knows, for each sortie, whether it landed (never fly it
again), was in the air (follow it), or sat between upload and launch (ask the vehicle first).
The schedule clock's anchor is kept here too, so a restart continues the same clock.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from centre.runner.clock import ScheduleClock
from centre.runner.errors import RunnerError
from mission.schedule import Schedule, Sortie, Visit
from mission.text import N_
from telemetry.sqlite_schema import missing_columns

__all__ = ["SortieRecord", "StateStore", "REPLACED"]


def _locked(method):  # type: ignore[no-untyped-def]
    def run(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with self.lock:
            return method(self, *args, **kwargs)

    run.__doc__ = method.__doc__
    return run


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sorties (
    id TEXT PRIMARY KEY, drone TEXT NOT NULL, kind TEXT NOT NULL, start_s REAL NOT NULL,
    end_s REAL NOT NULL, plan TEXT NOT NULL, areas TEXT NOT NULL, state TEXT NOT NULL,
    reason TEXT, manifest TEXT, visited TEXT NOT NULL, item INTEGER, items INTEGER,
    task TEXT, revision INTEGER NOT NULL, updated REAL NOT NULL, site TEXT NOT NULL,
    alt_m REAL NOT NULL, visits TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, state TEXT NOT NULL, body TEXT NOT NULL,
    updated REAL NOT NULL);
"""
_COLUMNS = ("id", "drone", "kind", "start_s", "end_s", "plan", "areas", "state", "reason",
            "manifest", "visited", "item", "items", "task", "revision", "updated", "site", "alt_m",
            "visits")  # fmt: skip


REPLACED = "replaced by re-plan"  # the reason a re-plan gives the planned sorties it takes out


@dataclass(frozen=True)
class SortieRecord:
    """One sortie as the runner knows it. ``plan`` is its mission file; ``revision`` the re-plan
    that made it (0: the schedule as given); ``site``, ``alt_m`` and ``visits`` are what the
    re-planner needs of it (``as_sortie``)."""

    id: str
    drone: str
    start_s: float
    end_s: float
    plan: str
    areas: tuple[str, ...] = ()
    kind: str = "patrol"
    state: str = "planned"
    reason: str | None = None
    manifest: str | None = None
    visited: tuple[str, ...] = ()
    item: int | None = None
    items: int | None = None
    task: str | None = None
    revision: int = 0
    updated: float = 0.0
    site: str = ""
    alt_m: float = 0.0
    visits: tuple[tuple[str, float], ...] = ()  # (area, planned schedule second)

    @property
    def replaced(self) -> bool:
        """Taken out by a re-plan before it flew: not on the timeline, and its retained state is
        cleared, since over a day re-plans replace hundreds (a retained message each)."""
        return (self.reason or "").startswith(REPLACED)

    def as_sortie(self) -> Sortie:
        """The schedule's view of this sortie, for the re-planner."""
        visits = tuple(Visit(area, eta) for area, eta in self.visits)
        return Sortie(self.id, self.drone, self.site, self.start_s, self.end_s, self.alt_m,
                      visits, Path(self.plan).name)  # fmt: skip

    @classmethod
    def of(cls, sortie: Sortie, plan: Path, **fields: object) -> SortieRecord:
        """A planned record of a schedule's sortie, its mission in ``plan``."""
        return cls(id=sortie.id, drone=sortie.drone, start_s=sortie.start_s, end_s=sortie.end_s,
                   plan=str(plan.resolve()), areas=tuple(dict.fromkeys(v.area for v in sortie.visits)),
                   site=sortie.launch_site, alt_m=sortie.alt_m,
                   visits=tuple((v.area, v.eta_s) for v in sortie.visits), **fields)  # type: ignore[arg-type]  # fmt: skip

    def moved(self, **changes: object) -> SortieRecord:
        """This record with ``changes``, stamped now."""
        return dataclasses.replace(self, updated=time.time(), **changes)


class StateStore:
    """One SQLite file per run; every write is its own committed transaction."""

    def __init__(self, path: Path):
        try:
            self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(_SCHEMA)
            missing = missing_columns(self.db, _SCHEMA)
        except sqlite3.DatabaseError as exc:
            problem = str(exc)
        else:
            problem = (
                f"not a runner state file: {', '.join(missing[:5])} missing" if missing else ""
            )
        if problem:
            raise RunnerError(
                N_(
                    "cannot use {path} as the runner's state ({problem}); "
                    "give another --state file",
                    path=path,
                    problem=problem,
                )
            ) from None
        self.path = path
        self.lock = threading.RLock()  # drone workers and the main loop share the file

    def close(self) -> None:
        self.db.close()

    def seed(self, schedule_path: Path, schedule: Schedule) -> None:
        """A new state file takes the schedule's sorties as planned; a used one must hold this
        very schedule (by its SHA-256), never another day's."""
        digest = hashlib.sha256(schedule_path.read_bytes()).hexdigest()
        known = self.get_meta("schedule_sha256")
        if known is not None and known != digest:
            raise RunnerError(N_(
                "{state} holds the state of another schedule; give a new --state file "
                "(or the schedule it was started with)", state=self.path))  # fmt: skip
        if known is None:
            base = schedule_path.parent
            self.put_many([SortieRecord.of(s, base / s.plan) for s in schedule.sorties])
            self.set_meta("schedule_sha256", digest)

    @_locked
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @_locked
    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def clock(self) -> ScheduleClock | None:
        """The persisted schedule clock, or None on a new state file."""
        raw = self.get_meta("clock")
        if raw is None:
            return None
        d = json.loads(raw)
        return ScheduleClock(float(d["anchor_wall"]), float(d["anchor_s"]), float(d["rate"]))

    def save_clock(self, clock: ScheduleClock) -> None:
        self.set_meta("clock", json.dumps(dataclasses.asdict(clock)))

    @_locked
    def put(self, record: SortieRecord) -> None:
        """Insert or replace one sortie, committed (and synced) before the call returns."""
        values = dataclasses.asdict(record)
        values["areas"] = json.dumps(list(record.areas))
        values["visited"] = json.dumps(list(record.visited))
        values["visits"] = json.dumps([list(v) for v in record.visits])
        marks = ", ".join("?" for _ in _COLUMNS)
        self.db.execute(
            f"INSERT OR REPLACE INTO sorties ({', '.join(_COLUMNS)}) VALUES ({marks})",
            [values[c] for c in _COLUMNS],
        )

    @_locked
    def put_many(self, records: Iterable[SortieRecord]) -> None:
        """Several sorties in one transaction: a re-plan lands whole or not at all."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for record in records:
                self.put(record)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @_locked
    def sorties(self) -> list[SortieRecord]:
        """Every sortie known, in start order."""
        rows = self.db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM sorties ORDER BY start_s, id"
        ).fetchall()
        out = []
        for row in rows:
            d = dict(zip(_COLUMNS, row, strict=True))
            d["areas"] = tuple(json.loads(d["areas"]))
            d["visited"] = tuple(json.loads(d["visited"]))
            d["visits"] = tuple((str(a), float(t)) for a, t in json.loads(d["visits"]))
            out.append(SortieRecord(**d))
        return out

    def get(self, sortie_id: str) -> SortieRecord | None:
        return next((s for s in self.sorties() if s.id == sortie_id), None)

    @_locked
    def put_task(self, task_id: str, state: str, body: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO tasks VALUES (?, ?, ?, ?)", (task_id, state, body, time.time())
        )

    @_locked
    def tasks(self) -> dict[str, tuple[str, str]]:
        """Task id -> (state, last published body)."""
        rows = self.db.execute("SELECT id, state, body FROM tasks").fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}
