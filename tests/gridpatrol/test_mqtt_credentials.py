# ruff: noqa: F811 - pytest fixtures imported from tests.secure_broker are parameters here
"""MQTT credentials and TLS, the same on every command: a private CA, password auth, no echoes.

The broker is a real mosquitto configured by ``gridpatrol broker config`` (private CA, TLS,
users, ACL); each command connects as its own role with ``--mqtt-ca`` and a password file or
``$GRIDPATROL_MQTT_PASSWORD``, never with the password on its command line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from centre_support import alert
from conftest import FIXTURES, ROOT
from secure_broker import secure_broker  # noqa: F401 - a pytest fixture, used by name

from gridpatrol.broker import free_port
from telemetry.mqtt import MqttError, MqttSettings, redact

SECRET = "Pa55word"
BAD_URL = f"mqtts://user:{SECRET}@host:99999"


@pytest.mark.parametrize(
    "command",
    [
        ["alerts"],
        ["watch", "--once", "0.1"],
        ["telemetry", "--mavlink", "x.tlog"],
        ["vision", "run", "--video", "v.mp4", "--district", "d.geojson", "--telemetry", "t.tlog"],
        ["serve", "--district", "d.geojson"],
        ["demo", "--no-dashboard"],
    ],
)
def test_bad_port_is_one_line_and_never_shows_the_password(cli, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    result = cli(*command, "--mqtt", BAD_URL)
    assert result.code == 2
    assert SECRET not in result.out + result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "1 to 65535" in lines[0] and "user:***@host" in lines[0]
    assert list(tmp_path.iterdir()) == []  # refused before any store or spool is created


def test_redact_hides_every_password_in_a_line():
    line = "a mqtt://u:p@ss@h:1 and mqtts://v:w@k and mqtt://plain@h:2 and http://x/y"
    assert (
        redact(line) == "a mqtt://u:***@h:1 and mqtts://v:***@k and mqtt://plain@h:2 and http://x/y"
    )
    settings = MqttSettings.from_url(f"mqtts://user:{SECRET}@host:8883")
    assert SECRET not in repr(settings) and SECRET not in settings.url
    with pytest.raises(MqttError, match="1 to 65535"):
        MqttSettings.from_url("mqtt://host:0")


def test_password_in_url_works_with_a_warning_and_is_never_echoed(secure_broker, cli):
    password = Path(secure_broker.password_file("gp-ops")).read_text().strip()
    url = f"mqtts://gp-ops:{password}@127.0.0.1:{secure_broker.port}"
    result = cli("watch", "--mqtt", url, "--mqtt-ca", secure_broker.ca, "--once", "0.3")
    assert result.code == 0, result.err
    assert password not in result.out + result.err
    assert "--mqtt-password-file" in result.err and len(result.err.strip().splitlines()) == 1


def test_watch_over_tls_with_a_password_file(secure_broker, cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    bridge = secure_broker.client("gp-bridge")
    topic = "gridpatrol/v1/vehicles/drone-7/online"
    bridge.paho.publish(topic, b"true", qos=1, retain=True).wait_for_publish(5)
    bridge.close()
    result = cli("watch", *secure_broker.options("gp-ops"), "--once", "1")
    assert result.code == 0, result.err
    assert "drone-7" in result.out


def test_watch_without_the_ca_says_so_instead_of_an_empty_table(secure_broker, cli):
    result = cli(
        "watch", "--mqtt", secure_broker.url("gp-ops"),
        "--mqtt-password-file", secure_broker.password_file("gp-ops"), "--once", "0.3",
    )  # fmt: skip
    assert result.code == 2 and "certificate verify failed" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_alerts_over_tls_receives_what_vision_published(secure_broker, cli, tmp_path):
    receive = ["alerts", *secure_broker.options("gp-centre"), "--db", tmp_path / "a.sqlite"]
    first = cli(*receive, "--wait", "1")
    assert first.code == 0, first.err
    vision = secure_broker.client("gp-vision")
    vision.publish("gridpatrol/v1/alerts/cells/7", json.dumps(alert("tls-1", cell=7, team="t7")))
    vision.close()
    result = cli(*receive, "--wait", "3")
    assert result.code == 0, result.err
    assert "tls-1" in result.out
    ops = secure_broker.client("gp-ops")
    ops.subscribe("gridpatrol/v1/alerts/acks/+")
    ack = cli(
        "alerts", "ack", "tls-1", "--by", "Li Wei", *secure_broker.options("gp-centre"),
        "--db", tmp_path / "a.sqlite",
    )  # fmt: skip
    got = ops.received(1.0)
    ops.close()
    assert ack.code == 0, ack.err
    assert [topic for topic, _ in got] == ["gridpatrol/v1/alerts/acks/tls-1"]


def test_telemetry_over_tls_with_the_password_in_the_environment(
    secure_broker,
    cli,
    tmp_path,
    monkeypatch,
):
    monkeypatch.setenv(
        "GRIDPATROL_MQTT_PASSWORD", Path(secure_broker.password_file("gp-bridge")).read_text()
    )
    ops = secure_broker.client("gp-ops")
    ops.subscribe("gridpatrol/v1/vehicles/+/position")
    result = cli(
        "telemetry", "--mavlink", FIXTURES / "copter-patrol-1x.tlog", "--pace", "fast",
        "--mqtt", secure_broker.url("gp-bridge"), "--mqtt-ca", secure_broker.ca,
        "--spool", tmp_path / "spool.sqlite",
    )  # fmt: skip
    got = ops.received(2.0)
    ops.close()
    assert result.code == 0, result.err
    assert "everything acknowledged" in result.err
    assert len(got) > 10


def test_vision_over_tls_publishes_alerts(secure_broker, cli, tmp_path, example_district_path):
    footage = tmp_path / "footage"
    made = cli(
        "sim", "footage", "--district", example_district_path, "-o", footage, "--seconds", "4",
        "--width", "480", "--height", "270", "--seed", "3", "--people", "4", "--blooms", "3",
    )  # fmt: skip
    assert made.code == 0, made.err
    ops = secure_broker.client("gp-ops")
    ops.subscribe("gridpatrol/v1/alerts/cells/+")
    result = cli(
        "vision", "run", "--video", footage / "footage.mp4", "--telemetry", footage / "footage.tlog",
        "--district", example_district_path, "--evidence", tmp_path / "ev",
        "--alerts-out", tmp_path / "alerts.jsonl", *secure_broker.options("gp-vision"),
    )  # fmt: skip
    got = ops.received(3.0)
    ops.close()
    assert result.code == 0, result.err
    sent = (tmp_path / "alerts.jsonl").read_text().splitlines()
    assert sent and len(got) == len(sent)


def test_serve_over_tls_keeps_the_password_out_of_argv(
    secure_broker,
    tmp_path,
    example_district_path,
):
    password = Path(secure_broker.password_file("gp-centre")).read_text().strip()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridpatrol", "serve", *secure_broker.options("gp-centre"),
         "--district", str(example_district_path), "--port", str(free_port()),
         "--db", str(tmp_path / "c.sqlite")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        first = proc.stdout.readline()
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().decode()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "command centre on http://" in first, err
    assert f"mqtts://gp-centre@127.0.0.1:{secure_broker.port}" in first
    assert password not in cmdline and password not in first + err


def test_demo_first_line_never_shows_the_password(cli, tmp_path):
    result = cli(
        "demo", "--no-dashboard", "--out", tmp_path / "demo",
        "--mqtt", f"mqtt://user:{SECRET}@127.0.0.1:{free_port()}",
    )  # fmt: skip
    assert SECRET not in result.out + result.err
    broker = [line for line in result.out.splitlines() if line.startswith("MQTT broker:")]
    assert broker and broker[0].startswith("MQTT broker: mqtt://user@127.0.0.1:")
    assert result.code == 2 and "cannot connect" in result.err


def test_password_file_problems_are_one_line(cli, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    for path, words in ((tmp_path / "missing.txt", "cannot read"), (empty, "first line")):
        result = cli("watch", "--mqtt", "mqtts://u@127.0.0.1:1", "--mqtt-password-file", path)
        assert result.code == 2 and words in result.err
        assert len(result.err.strip().splitlines()) == 1
    good = tmp_path / "good.txt"
    good.write_text("s3cret\n")
    no_user = cli("watch", "--mqtt", "mqtts://127.0.0.1:1", "--mqtt-password-file", good)
    assert no_user.code == 2 and "needs a user name" in no_user.err and "s3cret" not in no_user.err


def test_log_lines_are_redacted_too(cli, caplog):
    import logging

    cli("--help")
    record = logging.LogRecord("centre", logging.WARNING, "", 0, "lost mqtts://gp:%s@h:8883",
                               (SECRET,), None)  # fmt: skip
    assert logging.lastResort.filter(record)
    assert record.getMessage() == "lost mqtts://gp:***@h:8883"


def test_bridge_with_a_wrong_password_stops_with_one_line(secure_broker, cli, tmp_path):
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("guess\n")
    start = time.monotonic()
    result = cli(
        "telemetry", "--mavlink", FIXTURES / "copter-patrol-1x.tlog", "--pace", "fast",
        "--mqtt", secure_broker.url("gp-bridge"), "--mqtt-ca", secure_broker.ca,
        "--mqtt-password-file", wrong, "--spool", tmp_path / "spool.sqlite",
    )  # fmt: skip
    assert result.code == 2 and time.monotonic() - start < 15
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "not authori" in lines[0].lower() and "guess" not in lines[0]
