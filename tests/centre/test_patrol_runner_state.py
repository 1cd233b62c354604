"""The runner's memory and clock: what survives a kill -9, and what a restart does with it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import pytest
from conftest import ROOT

from centre.runner.clock import ScheduleClock
from centre.runner.errors import RunnerError
from centre.runner.rules import launch_too_late, resume_action
from centre.runner.store import SortieRecord, StateStore
from mission.schedule import Schedule, Sortie


def _record(sid: str = "s001", **kw) -> SortieRecord:
    base = dict(id=sid, drone="drone-1", start_s=100.0, end_s=700.0, plan="/x/s001.plan",
                areas=("riverbank-1",))  # fmt: skip
    return SortieRecord(**{**base, **kw})


def test_state_is_in_wal_mode_with_full_sync_and_round_trips(tmp_path):
    store = StateStore(tmp_path / "runner.sqlite")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    rec = _record(state="airborne", manifest="ab" * 32, visited=("riverbank-1",), item=3, items=5)
    store.put(rec)
    again = StateStore(tmp_path / "runner.sqlite").get("s001")
    assert again == rec


def test_a_state_written_before_kill_9_is_there_after_it(tmp_path):
    """A separate process stores 'airborne' and is killed with SIGKILL right after: the row is
    on disk (the write returned only once committed)."""
    path = tmp_path / "runner.sqlite"
    code = textwrap.dedent(f"""
        import os, sys, time
        from centre.runner.store import SortieRecord, StateStore
        s = StateStore(__import__("pathlib").Path({str(path)!r}))
        s.put(SortieRecord("s007", "drone-2", 1.0, 2.0, "/p", state="airborne"))
        print("stored", flush=True)
        time.sleep(30)
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env)
    assert proc.stdout.readline().strip() == b"stored"
    proc.send_signal(signal.SIGKILL)
    proc.wait(5)
    assert StateStore(path).get("s007").state == "airborne"


def test_a_replan_lands_whole_or_not_at_all(tmp_path):
    store = StateStore(tmp_path / "runner.sqlite")
    store.put(_record("s001"))
    bad = _record("s002", areas=object())  # not JSON: the second row of the batch fails
    with pytest.raises(TypeError):
        store.put_many([_record("s001", state="skipped"), bad])
    assert [r.state for r in store.sorties()] == ["planned"]


def test_a_file_that_is_not_sqlite_is_one_line_error(tmp_path):
    path = tmp_path / "runner.sqlite"
    path.write_bytes(b"this is a schedule, not a database" * 100)
    with pytest.raises(RunnerError, match="give another --state file"):
        StateStore(path)


@pytest.mark.parametrize(
    ("state", "action"),
    [("planned", "fresh"), ("preflight", "ask_vehicle"), ("uploading", "ask_vehicle"),
     ("waiting_confirm", "ask_vehicle"), ("airborne", "follow"), ("landed", "done"),
     ("aborted", "done"), ("skipped", "done")],
)  # fmt: skip
def test_restart_never_reflies_an_ended_sortie_and_follows_one_in_the_air(state, action):
    assert resume_action(_record(state=state)) == action


def _schedule(*starts: float) -> Schedule:
    sorties = tuple(Sortie(f"s{i}", "drone-1", "ls", s, s + 600.0, 40.0, (), "p")
                    for i, s in enumerate(starts))  # fmt: skip
    return Schedule("d", datetime(2026, 12, 6, 8, tzinfo=UTC), 7200.0, ("drone-1",),
                    sorties)  # fmt: skip


def test_start_now_makes_the_first_sortie_due_now_and_the_rate_speeds_it_up():
    clock = ScheduleClock.for_schedule(_schedule(250.0, 1800.0), 1_000_000.0, start_now=True,
                                       rate=10.0)  # fmt: skip
    assert clock.now_s(1_000_000.0) == 250.0
    assert clock.now_s(1_000_010.0) == 350.0  # 10 wall seconds are 100 schedule seconds
    assert clock.wall_at(1800.0) == pytest.approx(1_000_155.0)


def test_without_start_now_the_schedule_start_is_real_time():
    clock = ScheduleClock.for_schedule(_schedule(250.0), 0.0, start_now=False, rate=1.0)
    start = datetime(2026, 12, 6, 8, tzinfo=UTC).timestamp()
    assert clock.now_s(start + 60.0) == 60.0


def test_the_clock_anchor_survives_a_restart(tmp_path):
    store = StateStore(tmp_path / "runner.sqlite")
    assert store.clock() is None
    clock = ScheduleClock(1_000_000.0, 250.0, 10.0)
    store.save_clock(clock)
    assert StateStore(tmp_path / "runner.sqlite").clock() == clock


@pytest.mark.parametrize("rate", [0.0, -1.0, float("nan"), float("inf"), 1e6])
def test_a_bad_clock_rate_is_refused(rate):
    with pytest.raises(RunnerError, match="clock-rate"):
        ScheduleClock(0.0, 0.0, rate)


def test_a_late_launch_is_flown_while_it_can_end_before_the_next_sortie():
    first = _record("s1", start_s=100.0, end_s=700.0)
    second = _record("s2", start_s=1000.0, end_s=1600.0)
    assert launch_too_late(first, 350.0, [first, second], 3600.0) is None  # ends at 950
    reason = launch_too_late(first, 450.0, [first, second], 3600.0)  # would end at 1050
    assert reason is not None and "next sortie at 1000 s" in reason
    assert "end of the schedule" in launch_too_late(second, 3100.0, [first, second], 3600.0)


def test_the_state_file_is_plain_sqlite_a_person_can_read(tmp_path):
    store = StateStore(tmp_path / "runner.sqlite")
    store.put(_record(state="landed", visited=("riverbank-1",)))
    rows = (
        sqlite3.connect(tmp_path / "runner.sqlite")
        .execute("SELECT id, state, visited FROM sorties")
        .fetchall()
    )
    assert rows == [("s001", "landed", '["riverbank-1"]')]
