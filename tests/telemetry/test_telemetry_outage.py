"""Nothing QoS 1 is lost: a 10 s broker outage mid-stream, and a kill -9 of the bridge."""

from __future__ import annotations

import signal
import subprocess
import time

from conftest import ROOT
from telemetry_support import GRIDPATROL, TLOG, Subscriber, assert_streams_complete


def bridge_cmd(broker, spool, *extra):
    return GRIDPATROL + ["telemetry", "--mavlink", str(TLOG), "--mqtt", broker.url,
                         "--spool", str(spool), *extra]  # fmt: skip


def test_broker_down_for_10_s_mid_stream_loses_nothing(mosquitto, tmp_path):
    sub = Subscriber(mosquitto.port)
    # the 135 s flight at 10x: about 13.5 s of stream, with the broker gone for 10 s of it
    bridge = subprocess.Popen(
        bridge_cmd(mosquitto, tmp_path / "spool.sqlite", "--pace", "recorded", "--speed", "10"),
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert sub.wait(lambda: len(sub.records("position")) > 20, 10)
        mosquitto.stop()
        before = len(sub.records())
        time.sleep(10)
        mosquitto.start()
        _, err = bridge.communicate(timeout=30)
    finally:
        if bridge.poll() is None:
            bridge.kill()
    assert bridge.returncode == 0, err
    assert "everything acknowledged" in err
    assert sub.wait(lambda: len(sub.records("attitude")) >= 530, 10)
    sub.close()
    counts = assert_streams_complete(sub.records())
    # the whole flight arrived: the same record counts as an undisturbed replay
    assert counts[("sys1", "position")] == 499 and counts[("sys1", "attitude")] == 530
    # 34 STATUSTEXTs, 3 mode changes, armed, disarmed (no district: no cell events)
    assert counts[("sys1", "event")] == 39 and counts[("sys1", "mission")] == 13
    assert before < len(sub.records()) // 2  # the outage really was mid-stream


def test_kill_9_of_the_bridge_then_restart_drains_the_spool(mosquitto, tmp_path):
    spool = tmp_path / "spool.sqlite"
    sub = Subscriber(mosquitto.port)
    first = subprocess.Popen(
        bridge_cmd(mosquitto, spool, "--pace", "recorded", "--speed", "10"),
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert sub.wait(lambda: len(sub.records("position")) > 10, 10)
        mosquitto.stop()  # from here on the first run can only spool
        time.sleep(1.5)
        first.send_signal(signal.SIGKILL)
        first.wait(5)
    finally:
        if first.poll() is None:
            first.kill()
    mosquitto.start()
    second = subprocess.run(
        bridge_cmd(mosquitto, spool, "--pace", "fast"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 0, second.stderr
    drained = int(second.stderr.split("draining ")[1].split()[0])
    assert drained > 0
    assert sub.wait(lambda: len(sub.records("attitude")) >= 530, 10)
    sub.close()
    counts = assert_streams_complete(sub.records())
    # numbering continued across the crash: run 1's records, then run 2's full 530, no gap
    assert counts[("sys1", "attitude")] > 530
    assert counts[("sys1", "event")] > 39
