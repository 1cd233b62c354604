"""`gridpatrol alerts`: a persistent, duplicate-free alert store fed from a real mosquitto."""

from __future__ import annotations

import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import pytest
from centre_support import Peer, alert
from cli_support import run_cli
from conftest import ROOT


def run(*args: str):
    return run_cli(args)


def rows(db) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT id, cell, team, score FROM alerts ORDER BY id").fetchall()


def test_alerts_survive_restarts_without_duplicates(mosquitto, tmp_path):
    db = tmp_path / "alerts.sqlite"
    first = run("alerts", "--mqtt", mosquitto.url, "--db", str(db), "--wait", "3")
    assert first.exit_code == 0, first.output
    assert "no open alerts" in first.output

    vision = Peer(mosquitto.port)
    try:
        # Published while the centre is not running: the broker keeps them for its session.
        vision.alert(alert("a-1", cell=7, team="Xia Xiyuan 2"))
        vision.alert(alert("a-2", cell=12, team="Leixi Street 1"))
        vision.alert(alert("a-3", cell=7, team="Xia Xiyuan 2"))
        vision.alert(alert("a-1", cell=7, team="Xia Xiyuan 2"))  # QoS 1 re-delivery
        second = run("alerts", "--mqtt", mosquitto.url, "--db", str(db), "--wait", "3")
        assert second.exit_code == 0, second.output
        lines = second.output.splitlines()
        assert lines[0] == "3 open alerts in 2 cells"
        cell7 = lines.index("cell 7 · team Xia Xiyuan 2")
        assert [line.split()[0] for line in lines[cell7 + 1 : cell7 + 3]] == ["a-1", "a-3"]
        assert lines[cell7 + 3] == "cell 12 · team Leixi Street 1"
        assert [r[0] for r in rows(db)] == ["a-1", "a-2", "a-3"]

        vision.alert(alert("a-2", cell=12, team="Leixi Street 1", score=0.95))  # an update
        vision.close()
        third = run("alerts", "--mqtt", mosquitto.url, "--db", str(db), "--wait", "3")
        assert third.exit_code == 0, third.output
    finally:
        vision.close()
    assert rows(db) == [
        ("a-1", 7, "Xia Xiyuan 2", 0.8),
        ("a-2", 12, "Leixi Street 1", 0.95),
        ("a-3", 7, "Xia Xiyuan 2", 0.8),
    ]
    offline = run("alerts", "--db", str(db))
    assert "3 open alerts in 2 cells" in offline.output
    assert "a-2  2026-11-28T01:00:00Z  activity  score 0.95" in offline.output


def test_ack_publishes_and_marks_the_alert(mosquitto, tmp_path):
    db = tmp_path / "alerts.sqlite"
    assert run("alerts", "--mqtt", mosquitto.url, "--db", str(db), "--wait", "2").exit_code == 0
    vision = Peer(mosquitto.port, subscribe="gridpatrol/v1/alerts/acks/+")
    try:
        vision.alert(alert("b-1", cell=3, team="Wuxingping 1"))
        vision.alert(alert("b-2", cell=4, team="Wuxingping 2"))
        assert "2 open alerts" in run("alerts", "--mqtt", mosquitto.url, "--db", str(db)).output

        before = time.time()
        done = run(
            "alerts", "ack", "b-1", "--by", "Li Wei", "--mqtt", mosquitto.url, "--db", str(db)
        )
        assert done.exit_code == 0, done.output
        assert "acknowledged b-1 (cell 3, team Wuxingping 1) as Li Wei" in done.output
        topic, payload = vision.received.get(timeout=5)
        assert topic == "gridpatrol/v1/alerts/acks/b-1"
        ack = json.loads(payload)
        assert ack["id"] == "b-1" and ack["by"] == "Li Wei"
        assert ack["time"].endswith("Z") and ack["time"] >= time.strftime(
            "%Y-%m-%dT%H:%M:%S", time.gmtime(before - 1)
        )

        listing = run("alerts", "--db", str(db)).output
        assert "1 open alert in 1 cell" in listing and "b-1" not in listing
        assert "acknowledged by Li Wei" in run("alerts", "--db", str(db), "--all").output

        again = run(
            "alerts", "ack", "b-1", "--by", "Zhang", "--mqtt", mosquitto.url, "--db", str(db)
        )
        assert again.exit_code == 0 and "already acknowledged by Li Wei" in again.output
        assert vision.received.empty()

        # An ack given by another centre arrives over MQTT and closes the alert here too.
        vision.publish(
            "gridpatrol/v1/alerts/acks/b-2",
            {"id": "b-2", "by": "Ma Lin", "time": "2026-11-28T01:05:00Z"},
        )
        assert "no open alerts" in run("alerts", "--mqtt", mosquitto.url, "--db", str(db)).output
    finally:
        vision.close()


def test_ack_before_alert_and_malformed_messages(mosquitto, tmp_path):
    db = tmp_path / "alerts.sqlite"
    assert run("alerts", "--mqtt", mosquitto.url, "--db", str(db), "--wait", "2").exit_code == 0
    peer = Peer(mosquitto.port)
    try:
        peer.publish("gridpatrol/v1/alerts/acks/c-1", {"id": "c-1", "by": "Ma", "time": 0})
        peer.publish("gridpatrol/v1/alerts/cells/5", b"not json")
        peer.publish("gridpatrol/v1/alerts/cells/5", {"id": "bad/id", "cell": 5})
        peer.alert(alert("c-1", cell=5, team="Leixi 5"))  # a re-sent alert stays acknowledged
        peer.alert(alert("c-2", cell=5, team="Leixi 5"))
    finally:
        peer.close()
    out = run("alerts", "--mqtt", mosquitto.url, "--db", str(db))
    assert out.exit_code == 1, out.output  # something was refused: the status says so
    assert "1 open alert in 1 cell" in out.output and "c-2" in out.output
    assert "2 malformed messages quarantined" in out.output
    assert [r[0] for r in rows(db)] == ["c-1", "c-2"]


def test_one_line_errors(mosquitto, tmp_path):
    db = tmp_path / "alerts.sqlite"
    port = mosquitto.port
    mosquitto.stop()
    down = run("alerts", "--mqtt", f"mqtt://127.0.0.1:{port}", "--db", str(db))
    assert down.exit_code == 2 and "is the broker running?" in down.stderr
    bad = run("alerts", "--mqtt", "http://x", "--db", str(db))
    assert bad.exit_code == 2 and "bad MQTT URL" in bad.stderr
    blank = run("alerts", "ack", "zz-9", "--by", "  ", "--mqtt", mosquitto.url, "--db", str(db))
    assert blank.exit_code == 2 and "--by needs a name" in blank.stderr
    missing = run("alerts", "--db", str(tmp_path / "none.sqlite"))
    assert missing.exit_code == 2 and "no alert store at" in missing.stderr
    assert not (tmp_path / "none.sqlite").exists()
    unknown = run(
        "alerts", "ack", "zz-9", "--by", "Li", "--mqtt", "mqtt://127.0.0.1:1", "--db", str(db)
    )
    assert unknown.exit_code == 2 and "no alert zz-9" in unknown.stderr
    for result in (down, bad, blank, missing, unknown):
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["alerts", "--help"], ["alerts", "ack", "--help"]])
def test_help_is_one_line_per_command(args):
    result = run(*args)
    assert result.exit_code == 0 and "Usage" in result.output


def test_alerts_from_the_vision_pipeline_sink(mosquitto, tmp_path):
    """The real publishing path: vision.alerts.Alert -> MqttAlertSink -> telemetry Publisher."""
    from centre_support import jpeg_array

    from telemetry.mqtt import MqttSettings
    from telemetry.publish import Publisher
    from vision.alerts import Alert, EvidenceStore, MqttAlertSink

    db = tmp_path / "alerts.sqlite"
    assert run("alerts", "--mqtt", mosquitto.url, "--db", str(db), "--wait", "2").exit_code == 0
    evidence = EvidenceStore(tmp_path / "evidence").save(
        "gp1-20261128T010000-activity-0001", 1764291600.0, jpeg_array(3, 40), jpeg_array(4, 120)
    )
    first = Alert(
        id="gp1-20261128T010000-activity-0001", created="2026-11-28T01:00:00Z",
        updated="2026-11-28T01:00:00Z", vehicle="gp1", detector="activity", code="activity",
        score=0.7, lat=36.064, lon=103.79, uncertainty_m=9.5, cell=23, team="Grid team 23",
        footprint=[[103.789, 36.063], [103.791, 36.063], [103.791, 36.065]],
        frame_time="2026-11-28T01:00:00Z", evidence=evidence,
    )  # fmt: skip
    seen_again = first.model_copy(
        update={"sightings": 4, "updated": datetime(2026, 11, 28, 1, 0, 9, tzinfo=UTC)}
    )
    publisher = Publisher(MqttSettings.from_url(mosquitto.url), tmp_path / "spool.sqlite").start()
    try:
        sink = MqttAlertSink(publisher)
        sink.send(first)
        sink.send(seen_again)
        assert publisher.flush(10)
    finally:
        publisher.close()
    out = run("alerts", "--mqtt", mosquitto.url, "--db", str(db))
    assert out.exit_code == 0, out.output
    assert "1 open alert in 1 cell" in out.output
    assert "cell 23 · team Grid team 23" in out.output
    assert (
        "gp1-20261128T010000-activity-0001  2026-11-28T01:00:00Z  activity  score 0.70"
        in out.output
    )
    with sqlite3.connect(db) as con:
        (payload,) = con.execute("SELECT payload FROM alerts").fetchone()
    assert json.loads(payload)["sightings"] == 4


def test_follow_prints_alerts_as_they_come_until_ctrl_c(mosquitto, tmp_path):
    root = ROOT / "tests"
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root.parent}"}
    args = ["alerts", "--mqtt", mosquitto.url, "--db", str(tmp_path / "a.sqlite"), "--follow"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridpatrol", *args], stdout=subprocess.PIPE, text=True, env=env
    )
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True)
    reader.start()

    def next_line() -> str:
        return lines.get(timeout=10)  # a hung command fails the test instead of hanging it

    try:
        assert next_line().startswith("listening on mqtt://127.0.0.1:")
        peer = Peer(mosquitto.port)
        try:
            peer.alert(alert("f-1", cell=3, team="Grid team 03"))
            assert next_line().startswith("new: cell 3 · f-1  2026-11-28T01:00:00Z")
            peer.publish("gridpatrol/v1/alerts/acks/f-1", {"id": "f-1", "by": "Li", "time": 0})
            assert "acknowledged by Li" in next_line()
        finally:
            peer.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        reader.join(5)
    finally:
        proc.kill()
    rest = []
    while not lines.empty():
        rest.append(lines.get().strip())
    assert [x for x in rest if x] == ["no open alerts"]
