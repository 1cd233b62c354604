"""Records, the normaliser's events and limits, the spool's bound, and the committed schemas."""

from __future__ import annotations

import json
import time

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from telemetry_support import Feed

from telemetry.normalise import NormaliseConfig, Normaliser
from telemetry.records import Event, parse_record
from telemetry.schema import render, schemas
from telemetry.spool import Spool

SCHEMA_DIR = ROOT / "docs" / "schema"


def test_committed_schemas_are_what_the_models_generate():
    generated = schemas()
    on_disk = {p.name for p in SCHEMA_DIR.glob("telemetry-*.schema.json")}
    assert on_disk == set(generated), "run: python -m telemetry.schema docs/schema"
    for name, schema in generated.items():
        assert (SCHEMA_DIR / name).read_text(encoding="utf-8") == render(schema), (
            f"{name} is stale; run: python -m telemetry.schema docs/schema"
        )


def test_records_refuse_unknown_fields_and_bad_event_codes():
    ok = {"vehicle": "sys1", "seq": 1, "time_boot_ms": None, "wall_time": 1.0, "kind": "event",
          "event": "lost", "severity": "critical", "text": "x"}  # fmt: skip
    assert isinstance(parse_record(json.dumps(ok)), Event)
    with pytest.raises(ValidationError):
        parse_record(json.dumps({**ok, "event": "teleported"}))
    with pytest.raises(ValidationError):
        parse_record(json.dumps({**ok, "colour": "red"}))


def kinds(records):
    return [r.event if r.kind == "event" else r.kind for r in records]


def test_state_changes_become_events_and_retained_state():
    feed = Feed(Normaliser())
    assert kinds(feed.heartbeat(mode=4)) == ["state"]
    assert kinds(feed.heartbeat(mode=4)) == []  # unchanged within the refresh period
    assert kinds(feed.heartbeat(mode=4, armed=True)) == ["armed", "state"]
    assert kinds(feed.heartbeat(mode=3, armed=True)) == ["mode_change", "state"]
    assert kinds(feed.heartbeat(mode=3, armed=True, status=6)) == ["failsafe", "state"]
    assert kinds(feed.heartbeat(mode=3, armed=True, status=6, dt=6.0)) == ["state"]  # refresh
    assert kinds(feed.heartbeat(mode=6, armed=False)) == ["mode_change", "disarmed", "state"]
    state = feed.heartbeat(mode=9, dt=0.1)[-1]
    assert (state.mode, state.armed, state.vehicle_type) == ("LAND", False, "quadrotor")


def test_statustext_fence_and_failsafe_events_carry_severity():
    feed = Feed(Normaliser())
    feed.heartbeat()
    ev = feed("statustext", 2, b"Battery failsafe: LAND")
    assert [(e.event, e.severity) for e in ev] == [
        ("statustext", "critical"),
        ("failsafe", "critical"),
    ]
    assert ev[0].text == "Battery failsafe: LAND"
    assert kinds(feed("fence_status", 1, 3, 1, 0)) == ["fence_breach"]
    assert kinds(feed("fence_status", 1, 4, 1, 0)) == []  # still the same breach
    assert kinds(feed("fence_status", 0, 4, 0, 0)) == []
    assert kinds(feed("fence_status", 1, 5, 2, 0)) == ["fence_breach"]


def test_unknown_battery_and_gps_values_become_null():
    feed = Feed(Normaliser())
    feed.heartbeat()
    (bat,) = feed("sys_status", 0, 0, 0, 0, 65535, -1, -1, 0, 0, 0, 0, 0, 0)
    assert (bat.voltage_v, bat.current_a, bat.battery_pct) == (None, None, None)
    (bat,) = feed("sys_status", 0, 0, 0, 0, 15800, 1250, 87, 0, 0, 0, 0, 0, 0, dt=1.0)
    assert (bat.voltage_v, bat.current_a, bat.battery_pct) == (15.8, 12.5, 87)
    (gps,) = feed("gps_raw_int", 0, 3, 0, 0, 0, 65535, 65535, 0, 0, 255)
    assert (gps.fix, gps.satellites, gps.hdop) == ("3d_fix", None, None)


def test_lost_then_regained_on_the_link_clock():
    n = Normaliser(NormaliseConfig(lost_after_s=2.0))
    feed = Feed(n)
    feed.heartbeat()
    assert n.check_lost(feed.t + 1.9, "l") == []
    (lost,) = n.check_lost(feed.t + 2.5, "l")
    assert (lost.event, lost.details["silent_s"]) == ("lost", 2.5)
    assert n.check_lost(feed.t + 9, "l") == []  # reported once
    assert kinds(feed.heartbeat(dt=3.0))[0] == "regained"


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    rate=st.sampled_from([1.0, 2.0, 5.0]),
    gaps=st.lists(st.floats(min_value=0.01, max_value=0.6), min_size=5, max_size=60),
)
def test_position_rate_limit_never_exceeds_the_rate_and_seq_has_no_gaps(rate, gaps):
    feed = Feed(Normaliser(NormaliseConfig(rates_hz={"position": rate})))
    feed.heartbeat()
    out = []
    for i, dt in enumerate(gaps):
        out += feed("global_position_int", i, 360650000, 1037950000, 0, 0, 0, 0, 0, 65535, dt=dt)
    times = [r.wall_time for r in out]
    assert all(b - a >= 0.9 / rate - 1e-9 for a, b in zip(times, times[1:], strict=False))
    assert [r.seq for r in out] == list(range(1, len(out) + 1))
    assert out and out[0].heading_deg is None


def test_spool_drops_oldest_droppable_first_and_never_events(tmp_path):
    spool = Spool(tmp_path / "s.sqlite", max_bytes=20_000)
    for i in range(400):
        droppable = i % 4 != 0
        topic = "t/position" if droppable else "t/event"
        spool.put_many([(topic, b"%04d" % i + b"x" * 96, 1, False, droppable)], {})
    kept = spool.after(0, 10_000)
    events = [r for r in kept if r.topic == "t/event"]
    assert len(events) == 100  # every event survives
    assert spool.dropped > 0 and len(kept) == 400 - spool.dropped
    kept_positions = [int(r.payload[:4]) for r in kept if r.topic == "t/position"]
    dropped_positions = sorted(set(i for i in range(400) if i % 4) - set(kept_positions))
    assert max(dropped_positions) < min(kept_positions)  # the oldest went first
    spool.close()


def test_spool_never_evicts_rows_already_sent_so_none_is_counted_both_lost_and_delivered(tmp_path):
    spool = Spool(tmp_path / "s.sqlite", max_bytes=20_000)
    for i in range(100):
        spool.put_many([("t/position", b"%04d" % i + b"x" * 96, 1, False, True)], {})
    sent = spool.after(0, 30)
    spool.mark_sent(sent[-1].id)  # the MQTT client holds these and delivers them on reconnect
    for i in range(100, 400):
        spool.put_many([("t/position", b"%04d" % i + b"x" * 96, 1, False, True)], {})
    kept = {r.id for r in spool.after(0, 10_000)}
    assert {r.id for r in sent} <= kept
    assert spool.evictions == spool.dropped == 400 - len(kept) > 0
    spool.close()


def test_spool_survives_reopening_with_order_and_seqs(tmp_path):
    spool = Spool(tmp_path / "s.sqlite")
    for i in range(10):
        spool.put_many([("t", b"%d" % i, 1, False, False)], {"sys1/event": i + 1})
    spool.delete([r.id for r in spool.after(0, 3)])
    spool.close()
    again = Spool(tmp_path / "s.sqlite", clock=lambda: time.time() + 60)
    assert [r.payload for r in again.after(0, 100)] == [b"%d" % i for i in range(3, 10)]
    assert again.depth() == 7 and again.seqs() == {"sys1/event": 10}
    assert again.oldest_age() >= 59
    again.close()
