"""Each store refuses a SQLite file that another program made, in one line, before writing; the
bridge refuses options that are no usable numbers before it opens its spool.

``CREATE TABLE IF NOT EXISTS`` keeps a same-named table with other columns, and the first query
then raised deep inside the store (`alerts export --db` of such a file gave a traceback)."""

from __future__ import annotations

import sqlite3

import pytest
from cli_support import run_cli
from conftest import FIXTURES

from centre.runner.errors import RunnerError
from centre.runner.store import StateStore
from telemetry.spool import Spool, SpoolError


def _foreign(path, *tables: str):
    db = sqlite3.connect(path)
    for t in tables:
        db.execute(f"CREATE TABLE {t} (x TEXT)")
        db.execute(f"INSERT INTO {t} VALUES ('theirs')")
    db.commit()
    db.close()
    return path


def _untouched(path, *tables: str) -> bool:
    db = sqlite3.connect(path)
    try:
        return all(db.execute(f"SELECT * FROM {t}").fetchall() == [("theirs",)] for t in tables)
    finally:
        db.close()


def test_alerts_export_refuses_another_program_s_alerts_table(tmp_path):
    db = _foreign(tmp_path / "other.sqlite", "alerts")
    r = run_cli(["alerts", "export", str(tmp_path / "o.geojson"), "--db", str(db)])
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert "is not a gridpatrol alert store (alerts.cell" in r.stderr
    assert not (tmp_path / "o.geojson").exists() and _untouched(db, "alerts")


def test_the_runner_state_and_the_spool_refuse_another_program_s_tables(tmp_path):
    state = _foreign(tmp_path / "state.sqlite", "meta", "sorties")
    with pytest.raises(RunnerError, match="not a runner state file: meta.key"):
        StateStore(state)
    spool = _foreign(tmp_path / "spool.sqlite", "outbox")
    with pytest.raises(SpoolError, match="cannot open spool"):
        Spool(spool)
    assert _untouched(state, "meta", "sorties") and _untouched(spool, "outbox")


def test_stores_of_our_own_open_again(tmp_path):
    """The check passes the files the stores make themselves (a restart reopens them)."""
    for _ in range(2):
        StateStore(tmp_path / "state.sqlite").close()
        Spool(tmp_path / "spool.sqlite").close()


@pytest.mark.parametrize(
    "option, words",
    [
        (["--spool-max-mb", "-1"], "spool_max_mb: Input should be greater than 0"),  # dropped 92 %
        (["--spool-max-mb", "nan"], "spool_max_mb: Input should be a finite number"),  # traceback
        (["--speed", "nan"], "speed: Input should be a finite number"),  # "holds no MAVLink"
        (["--keepalive", "-5"], "keepalive"),  # a paho traceback
        (["--rate", "position=-1"], "rates_hz.position"),
        (["--request", "ATTITUDE=nan"], "request_hz.ATTITUDE"),
        (["--qos", "position=7"], "qos.position: Input should be 0 or 1"),
        (["--lost-after", "nan"], "lost_after_s"),
    ],
)
def test_bridge_options_that_are_no_usable_numbers_are_one_line(tmp_path, option, words):
    """Each was taken as it came, raised, or blamed the file; all before any broker is needed."""
    r = run_cli(["telemetry", "--mavlink", str(FIXTURES / "copter-patrol-1x.tlog"), "--mqtt",
                 "mqtt://127.0.0.1:1", "--spool", str(tmp_path / "s.sqlite"), *option])  # fmt: skip
    assert r.exit_code == 2 and words in r.stderr, r.output
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "s.sqlite").exists()
