"""The bridge end to end: real MAVLink bytes in, a real mosquitto and a real subscriber out."""

from __future__ import annotations

import json
import math
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import shapely
from conftest import ROOT
from telemetry_support import GRIDPATROL, TLOG, Subscriber, assert_streams_complete

from telemetry.bridge import Bridge, BridgeConfig, LinkSource
from telemetry.mqtt import MqttSettings
from telemetry.normalise import NormaliseConfig
from telemetry.presence import Presence
from telemetry.publish import Publisher
from telemetry.records import parse_record
from telemetry.service import BridgeOptions, run_bridge
from telemetry.watch import run_watch
from vehicle.decode import new_mav
from vehicle.link import open_link
from vehicle.tlog import RotatingTlogWriter


def reference_positions(district):
    """pymavlink's own reading, without the positions from before a GPS fix (0,0, or while
    GPS_RAW_INT says less than 2D), rate-limited to 5 Hz by the documented rule, cell-tagged by
    shapely directly (not through CellIndex)."""
    from pymavlink import mavutil

    conn = mavutil.mavlink_connection(str(TLOG), dialect="ardupilotmega")
    out, next_at, fix = [], -math.inf, None
    while (m := conn.recv_match(type=["GLOBAL_POSITION_INT", "GPS_RAW_INT"])) is not None:
        if m.get_type() == "GPS_RAW_INT":
            fix = m.fix_type
            continue
        if (m.lat == 0 and m.lon == 0) or (fix is not None and fix < 2):
            continue
        if m._timestamp < next_at:
            continue
        next_at = m._timestamp + 0.9 / 5
        out.append(m)
    lon = np.array([m.lon / 1e7 for m in out])
    lat = np.array([m.lat / 1e7 for m in out])
    x, y = district.frame.to_metric(lon, lat)
    cells = np.zeros(len(out), dtype=int)
    for cell in sorted(district.cells, key=lambda c: -c.id):
        cells[shapely.intersects_xy(cell.shape, x, y)] = cell.id
    return out, [int(c) or None for c in cells]


def test_replaying_the_sitl_flight_through_the_command(mosquitto, tmp_path, example_district):
    sub = Subscriber(mosquitto.port)
    cmd = GRIDPATROL + ["telemetry", "--mavlink", str(TLOG), "--mqtt", mosquitto.url]
    cmd += ["--pace", "fast", "--district", str(ROOT / "examples/xiyuan/district.geojson")]
    cmd += ["--spool", str(tmp_path / "spool.sqlite")]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "everything acknowledged" in run.stderr
    ref, ref_cells = reference_positions(example_district)
    assert sub.wait(lambda: len(sub.records("position")) >= len(ref), 10)
    sub.close()

    positions = sub.records("position", "sys1")
    assert len(positions) == len(ref) == 499  # 530 less 31 from before the GPS fix
    for got, m in zip(positions, ref, strict=True):
        assert (got["lat"], got["lon"]) == (m.lat / 1e7, m.lon / 1e7)
        assert got["alt_rel_m"] == m.relative_alt / 1000 and got["alt_msl_m"] == m.alt / 1000
        assert got["time_boot_ms"] == m.time_boot_ms
        assert got["wall_time"] == pytest.approx(m._timestamp, abs=1e-6)
    assert [p["cell"] for p in positions] == ref_cells
    assert set(ref_cells) >= {5, 15}

    events = sub.records("event", "sys1")
    modes = [
        (e["details"]["old"], e["details"]["new"]) for e in events if e["event"] == "mode_change"
    ]
    assert modes == [("STABILIZE", "GUIDED"), ("GUIDED", "AUTO"), ("AUTO", "RTL")]
    assert [e["event"] for e in events if e["event"] in ("armed", "disarmed")] == [
        "armed",
        "disarmed",
    ]
    cell_events = [
        (e["event"], e["details"]["cell"]) for e in events if e["event"].startswith("cell")
    ]
    assert cell_events[:3] == [("cell_enter", 15), ("cell_leave", 15), ("cell_enter", 5)]
    mission = sub.records("mission", "sys1")
    assert [m["reached_seq"] for m in mission if m["reached_seq"]][-1] == 5
    counts = assert_streams_complete(sub.records())
    assert counts[("sys1", "attitude")] == 530
    for record in sub.records():
        parse_record(json.dumps(record))  # every payload validates against the published models

    # A late subscriber still sees the retained final state and the vehicle offline.
    late = Subscriber(mosquitto.port, client_id="late")
    assert late.wait(lambda: late.records("state") and late.online("sys1"), 5)
    state = late.records("state")[-1]
    assert (state["mode"], state["armed"]) == ("RTL", False)
    assert late.online("sys1")[-1] == b"false"
    late.close()


def synth_tlog(path: Path, vehicles: dict[int, int], seconds: float, hz: float = 10.0) -> None:
    """Interleaved vehicles (sysid -> heading), each a HEARTBEAT per second and positions at hz."""
    writer = RotatingTlogWriter(path.parent, path.stem)
    mavs = {sysid: new_mav(sysid, 1) for sysid in vehicles}
    t0 = 1_800_000_000.0
    for step in range(int(seconds * hz)):
        t = t0 + step / hz
        for sysid, mav in mavs.items():
            if step % int(hz) == 0:
                writer.write(mav.heartbeat_encode(2, 3, 0x81 if step else 0x01, 4, 4).pack(mav), t)
                mav.seq = (mav.seq + 1) % 256
            msg = mav.global_position_int_encode(
                step * 100,
                360650000 + sysid * 1000 + step,
                1037950000,
                1540000,
                20000,
                100,
                0,
                0,
                vehicles[sysid],
            )
            writer.write(msg.pack(mav), t)
            mav.seq = (mav.seq + 1) % 256
    writer.close()
    writer.files[0].rename(path)


def test_two_vehicles_interleaved_on_one_labelled_link(mosquitto, tmp_path):
    tlog = tmp_path / "two.tlog"
    synth_tlog(tlog, {1: 9000, 7: 27000}, seconds=3)
    sub = Subscriber(mosquitto.port)
    opts = BridgeOptions(
        mavlink=[f"north={tlog}"], mqtt=mosquitto.url, spool=tmp_path / "s.sqlite", pace="fast"
    )
    summary = run_bridge(opts, threading.Event())
    assert summary["spool_left"] == 0
    assert sub.wait(lambda: len(sub.records("position")) >= 30, 5)
    sub.close()
    # the first vehicle heard keeps the link's name; another system id on it gets "-<sysid>"
    for sysid, heading, name in ((1, 90.0, "north"), (7, 270.0, "north-7")):
        positions = sub.records("position", name)
        # 10 Hz in, 5 Hz out: every other sample, values intact and never mixed up
        assert len(positions) == 15
        assert [p["lat"] for p in positions] == [
            (360650000 + sysid * 1000 + step) / 1e7 for step in range(0, 30, 2)
        ]
        assert {p["heading_deg"] for p in positions} == {heading}
        assert positions[0]["cell"] is None  # no district given
        events = sub.records("event", name)
        assert [e["event"] for e in events] == ["armed"]
    assert_streams_complete(sub.records())


def test_several_links_at_once_over_mqtt_5(mosquitto, tmp_path):
    north, south = tmp_path / "north.tlog", tmp_path / "south.tlog"
    synth_tlog(north, {1: 0}, seconds=2)
    synth_tlog(south, {1: 18000}, seconds=3)
    sub = Subscriber(mosquitto.port)
    opts = BridgeOptions(
        mavlink=[f"north={north}", f"south={south}"],
        mqtt=mosquitto.url,
        mqtt_protocol="5",
        spool=tmp_path / "s.sqlite",
        pace="fast",
    )
    assert run_bridge(opts, threading.Event())["spool_left"] == 0
    assert sub.wait(lambda: len(sub.records("position")) >= 25, 5)
    sub.close()
    assert len(sub.records("position", "north")) == 10
    assert {p["heading_deg"] for p in sub.records("position", "south")} == {180.0}
    assert len(sub.records("position", "south")) == 15


def vehicle_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def start_bridge(mosquitto, tmp_path, url, **normalise):
    settings = MqttSettings.from_url(mosquitto.url, client_id="bridge-under-test")
    publisher = Publisher(settings, tmp_path / "spool.sqlite").start()
    config = BridgeConfig(normalise=NormaliseConfig(**normalise), heartbeat_hz=5)
    link = open_link(url)
    bridge = Bridge([LinkSource(link)], publisher, config=config, presence=Presence(settings))
    stop = threading.Event()
    thread = threading.Thread(target=bridge.run, args=(stop,), daemon=True)
    thread.start()

    def shutdown():
        stop.set()
        thread.join(5)
        publisher.close(2)
        bridge.presence.close()
        link.close()

    return link, shutdown


def test_silent_vehicle_is_lost_goes_offline_and_is_asked_again_when_back(mosquitto, tmp_path):
    sub = Subscriber(mosquitto.port)
    link, shutdown = start_bridge(mosquitto, tmp_path, "udpin:127.0.0.1:0", lost_after_s=1.0)
    port = link._transport.sock.getsockname()[1]
    vehicle = vehicle_socket()
    vehicle.settimeout(0.05)
    mav, heard = new_mav(3, 1), Counter()

    def beat(times: int) -> None:
        """Send heartbeats as vehicle 3 and note what the bridge sends back."""
        for _ in range(times):
            vehicle.sendto(mav.heartbeat_encode(2, 3, 0x81, 3, 4).pack(mav), ("127.0.0.1", port))
            mav.seq = (mav.seq + 1) % 256
            try:
                for msg in new_mav().parse_buffer(vehicle.recv(4096)) or []:
                    heard[msg.get_type()] += 1
                    if msg.get_type() == "COMMAND_LONG":
                        heard[("interval", int(msg.param1), int(msg.param2))] += 1
            except TimeoutError:
                pass
            time.sleep(0.05)

    try:
        beat(10)
        assert sub.wait(lambda: b"true" in sub.online("sys3"), 5)
        # silence: a lost event and online false, both seen by a subscriber
        assert sub.wait(lambda: any(e["event"] == "lost" for e in sub.records("event", "sys3")), 5)
        assert sub.wait(lambda: sub.online("sys3")[-1] == b"false", 5)
        assert heard[("interval", 33, 200000)] == 1  # GLOBAL_POSITION_INT at 5 Hz, asked once
        beat(6)  # back: regained, online again, and asked for its streams again
        assert sub.wait(lambda: sub.online("sys3")[-1] == b"true", 5)
        beat(10)  # read what the bridge sent meanwhile (heartbeats, mission read-back, requests)
    finally:
        shutdown()
        sub.close()
        vehicle.close()
    assert [e["event"] for e in sub.records("event", "sys3")] == ["lost", "regained"]
    assert heard["HEARTBEAT"] >= 1
    assert heard[("interval", 33, 200000)] == 2


def test_garbage_on_a_live_link_is_survived_and_reported_in_link_health(mosquitto, tmp_path):
    from test_telemetry_link import garbage_stream

    data, good, bad, unknown = garbage_stream(seed=11)
    server = socket.create_server(("127.0.0.1", 0))
    sub = Subscriber(mosquitto.port)
    link, shutdown = start_bridge(
        mosquitto, tmp_path, f"tcp:127.0.0.1:{server.getsockname()[1]}", link_period_s=0.3
    )
    conn, _ = server.accept()
    mav = new_mav(1, 1)
    try:
        conn.sendall(mav.heartbeat_encode(2, 3, 0x81, 3, 4).pack(mav))
        for k in range(0, len(data), 500):
            conn.sendall(data[k : k + 500])
            time.sleep(0.01)

        def settled():
            health = sub.records("link", "sys1")
            return health and health[-1]["messages"] == good + 1

        assert sub.wait(settled, 10)
    finally:
        shutdown()
        conn.close()
        server.close()
        sub.close()
    health = sub.records("link", "sys1")[-1]
    assert health["bad_bytes"] + health["unknown_bytes"] == bad + sum(unknown)
    assert len(unknown) <= health["unknown"] <= len(unknown) + 2
    assert health["connected"] is True
    assert len(sub.records("position", "sys1")) >= 1


def test_watch_shows_the_fleet_from_mqtt_alone(mosquitto, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    opts = BridgeOptions(
        mavlink=[str(TLOG)], mqtt=mosquitto.url, spool=tmp_path / "s.sqlite", pace="fast"
    )
    run_bridge(opts, threading.Event())
    view = run_watch(mosquitto.url, once=1.0)
    out = capsys.readouterr().out
    assert "sys1" in out and "RTL" in out and "disarmed" in out
    assert view.vehicles["sys1"]["online"] is False


@pytest.mark.parametrize(
    "args, words",
    [
        (["--mqtt", "http://broker"], "bad MQTT URL"),
        (["--mqtt", "mqtt://127.0.0.1:1", "--rate", "position"], "bad --rate 'position'"),
        (["--mqtt", "mqtt://127.0.0.1:1", "--pace", "slow"], "bad option pace"),
        (["--mqtt", "mqtt://127.0.0.1:1", "--request", "WARP_DRIVE=1"], "unknown MAVLink message"),
    ],
)
def test_command_errors_are_one_line_and_exit_2(args, words, monkeypatch, capsys):
    from gridpatrol.cli import main

    monkeypatch.setattr(sys, "argv", ["gridpatrol", "telemetry", "--mavlink", str(TLOG), *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and words in err and "\n" not in err
