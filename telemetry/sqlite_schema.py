"""Whether a SQLite file holds the tables a store expects, before the store trusts it.

``CREATE TABLE IF NOT EXISTS`` keeps a table of the same name that another program (or another
store of ours) made, and the first query of a missing column then raises deep inside the store.
The spool, the alert store and the runner's state each check their file once, on open.
"""

from __future__ import annotations

import sqlite3

__all__ = ["missing_columns"]


def _columns(db: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: {r[1] for r in db.execute(f"PRAGMA table_info('{t}')")} for t in tables}


def missing_columns(db: sqlite3.Connection, schema: str) -> list[str]:
    """``table.column`` of ``schema`` (CREATE TABLE statements) that ``db``'s tables lack."""
    wanted = sqlite3.connect(":memory:")
    try:
        wanted.executescript(schema)
        expected = _columns(wanted)
    finally:
        wanted.close()
    have = _columns(db)
    return [f"{t}.{c}" for t, cols in expected.items() if t != "sqlite_sequence"
            for c in sorted(cols - have.get(t, set()))]  # fmt: skip
