"""Issue 14's attack rows against the command centre, as regression tests (loopback only).

Each test replays one row of the attack table against real parts: a real mosquitto (with its
default in-flight window of 20 where that matters), the real `gridpatrol alerts` and
`gridpatrol serve` commands, real sockets, and Debian's Chromium for what the page shows.
"""

from __future__ import annotations

import json
import math
import socket
import sqlite3
import time
from pathlib import Path

import pytest
from centre_support import TOKEN, Peer, alert, centre_app, http_get, serve_cli, stop_cli
from typer.testing import CliRunner

from gridpatrol.broker import MosquittoBroker
from mission.text import printable

runner = CliRunner()


def run(*args: str):
    return runner.invoke(centre_app(), list(args))


@pytest.fixture
def strict_broker(tmp_path):
    """mosquitto as shipped: at most 20 unacknowledged QoS 1 messages in flight per client."""
    broker = MosquittoBroker(workdir=tmp_path / "broker")
    broker.config.write_text(
        broker.config.read_text().replace("max_inflight_messages 0", "max_inflight_messages 20")
    )
    broker.start()
    yield broker
    broker.stop()


def quarantine_rows(db: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT topic, reason, size FROM quarantine ORDER BY n").fetchall()


def test_huge_cells_are_quarantined_and_the_feed_goes_on(strict_broker, tmp_path):
    """Row 1: 20 alerts with cell 10**20 used to block every later alert, even after restarts."""
    db = tmp_path / "alerts.sqlite"
    assert run("alerts", "--mqtt", strict_broker.url, "--db", str(db), "--wait", "2").exit_code == 0
    peer = Peer(strict_broker.port)
    try:
        for i in range(20):
            body = {**alert(f"big-{i}", cell=3, team="Grid team 03"), "cell": 10**20}
            peer.publish("gridpatrol/v1/alerts/cells/3", body)
        peer.alert(alert("after-1", cell=3, team="Grid team 03"))
    finally:
        peer.close()
    first = run("alerts", "--mqtt", strict_broker.url, "--db", str(db), "--wait", "3")
    assert first.exit_code == 1, first.output  # something was refused: the exit status says so
    assert "1 open alert in 1 cell" in first.output and "after-1" in first.output
    assert "20 malformed messages quarantined" in first.output
    assert "cell: Input should be less than or equal to 100000" in first.output
    rows = quarantine_rows(db)
    assert len(rows) == 20 and {r[0] for r in rows} == {"gridpatrol/v1/alerts/cells/3"}

    # Every one was acknowledged: a restart gets no re-delivery, and new alerts still arrive.
    peer = Peer(strict_broker.port)
    try:
        peer.alert(alert("after-2", cell=3, team="Grid team 03"))
    finally:
        peer.close()
    second = run("alerts", "--mqtt", strict_broker.url, "--db", str(db), "--wait", "3")
    assert second.exit_code == 0, second.output
    assert "2 open alerts in 1 cell" in second.output and "quarantined" not in second.output
    assert len(quarantine_rows(db)) == 20


def test_oversize_fields_are_quarantined_with_the_reason(mosquitto, tmp_path):
    """Row 5: a 10 MB team (and a merely long one) is refused at intake, never stored whole."""
    db = tmp_path / "alerts.sqlite"
    assert run("alerts", "--mqtt", mosquitto.url, "--db", str(db), "--wait", "2").exit_code == 0
    peer = Peer(mosquitto.port)
    try:
        peer.alert({**alert("huge-1", cell=4, team="x"), "team": "T" * 10_000_000})
        peer.alert({**alert("long-1", cell=4, team="x"), "team": "T" * 201})
        peer.alert(alert("fine-1", cell=4, team="T" * 200))
    finally:
        peer.close()
    out = run("alerts", "--mqtt", mosquitto.url, "--db", str(db), "--wait", "3")
    assert out.exit_code == 1, out.output
    assert "fine-1" in out.output and "huge-1" not in out.output and "long-1" not in out.output
    rows = quarantine_rows(db)
    assert [r[2] > 10_000_000 for r in rows] == [True, False]
    assert "over the 6291456-byte cap" in rows[0][1]
    assert "team: String should have at most 200 characters" in rows[1][1]
    with sqlite3.connect(db) as con:
        biggest = con.execute("SELECT max(length(head)) FROM quarantine").fetchone()[0]
        stored = con.execute("SELECT max(length(payload)) FROM alerts").fetchone()[0]
    assert biggest <= 4096 and stored < 100_000


def test_alert_for_a_cell_under_another_topic_is_quarantined(mosquitto, tmp_path):
    db = tmp_path / "alerts.sqlite"
    assert run("alerts", "--mqtt", mosquitto.url, "--db", str(db), "--wait", "2").exit_code == 0
    peer = Peer(mosquitto.port)
    try:
        peer.publish("gridpatrol/v1/alerts/cells/9", alert("moved-1", cell=8, team="t"))
    finally:
        peer.close()
    out = run("alerts", "--mqtt", mosquitto.url, "--db", str(db), "--wait", "2")
    assert out.exit_code == 1 and "cell 8 published under cells/9" in out.output


def test_control_characters_never_reach_the_terminal(mosquitto, tmp_path):
    """Row 4: escape sequences in a team name are shown escaped, not obeyed by the terminal."""
    db = tmp_path / "alerts.sqlite"
    assert run("alerts", "--mqtt", mosquitto.url, "--db", str(db), "--wait", "2").exit_code == 0
    hostile = "\x1b[2J\x1b]0;pwned\x07"
    peer = Peer(mosquitto.port)
    try:
        body = alert("esc-1", cell=6, team=hostile)
        body.update(vehicle="gp\x1b[31m1", code="act\u202eivity")
        peer.alert(body)
    finally:
        peer.close()
    out = run("alerts", "--mqtt", mosquitto.url, "--db", str(db), "--wait", "2")
    assert out.exit_code == 0, out.output
    assert not any(ch in out.output for ch in "\x1b\x07\u202e")
    assert "team \\x1b[2J\\x1b]0;pwned\\x07" in out.output
    assert "gp\\x1b[31m1" in out.output and "act\\u202eivity" in out.output


def test_printable_escapes_and_cuts():
    assert printable("Grid team 07 · 西园") == "Grid team 07 · 西园"
    assert printable("a\nb\tc\x7f\x9b") == "a\\x0ab\\x09c\\x7f\\x9b"
    assert printable("\u200bx\u2028") == "\\u200bx\\u2028"
    assert printable("y" * 600, limit=10) == "y" * 10 + "…"


# ---- the web server ------------------------------------------------------------------------


def test_slow_connections_do_not_starve_an_operator(mosquitto, tmp_path):
    """Row 3: 300 connections stuck half-way through their headers, and clients that vanish
    mid-request; an authorised operator is still served promptly and nothing prints a
    traceback."""
    proc, port = serve_cli(mosquitto, tmp_path, env={"GRIDPATROL_CENTRE_TOKEN": TOKEN})
    slow: list[socket.socket] = []
    try:
        for _ in range(300):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            slow.append(s)
        for _ in range(20):  # clients that go away mid-request and mid-stream
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\ntok")
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(
                f"GET /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode()
            )
            s.recv(100)
            s.close()
        started = time.monotonic()
        status, body = http_get(
            f"http://127.0.0.1:{port}/api/state", {"Authorization": f"Bearer {TOKEN}"}
        )
        took = time.monotonic() - started
        assert status == 200 and "alerts" in json.loads(body)
        assert took < 2.0, f"an operator waited {took:.1f} s behind 300 slow connections"
        # Unauthenticated, the stream is refused at once, never held open.
        assert http_get(f"http://127.0.0.1:{port}/events")[0] == 401
    finally:
        for s in slow:
            s.close()
        out, err = stop_cli(proc)
    assert "Traceback" not in err and "Traceback" not in out, err[-2000:]
    assert proc.returncode == 0 and out.splitlines()[-1] == "stopping", out


def test_idle_and_surplus_connections_are_closed(mosquitto, example_district, tmp_path):
    from centre.server import CommandCentre
    from centre.store import AlertStore
    from telemetry.mqtt import MqttSettings

    store = AlertStore(tmp_path / "a.sqlite")
    centre = CommandCentre(example_district, MqttSettings.from_url(mosquitto.url), store,
                           client_id="test-guard", port=0, max_connections=20,
                           idle_timeout_s=0.5)  # fmt: skip
    centre.start()
    held: list[socket.socket] = []
    try:
        for _ in range(20):
            held.append(socket.create_connection(("127.0.0.1", centre.port), timeout=5))
            held[-1].sendall(b"GET / HTTP/1.1\r\nHo")
        time.sleep(0.1)
        extra = socket.create_connection(("127.0.0.1", centre.port), timeout=5)
        assert extra.recv(100).startswith(b"HTTP/1.1 503")  # over the cap: told and closed
        extra.close()
        # Headers trickled one byte at a time never finish: cut at the deadline all the same.
        started = time.monotonic()
        while time.monotonic() - started < 3 and centre.guard.open:
            for s in held:
                try:
                    s.send(b"s")
                except OSError:
                    pass
            time.sleep(0.1)
        assert centre.guard.open == 0 and centre.guard.timed_out == 20
        assert centre.guard.refused == 1
        assert http_get(centre.url + "api/state")[0] == 200
    finally:
        for s in held:
            s.close()
        centre.stop()
        store.close()


def test_stored_values_are_finite(tmp_path):
    """Nothing non-finite can reach SQLite through the store's one door."""
    from centre.messages import IncomingAlert, parse_alert

    for raw in (b'{"id":"n","cell":3,"lon":Infinity}', b'{"id":"n","cell":3,"lat":NaN}',
                b'{"id":"n","cell":3,"score":1e400}', b'{"id":"n","cell":3,"created":-Infinity}',
                b'{"id":"n","cell":3,"footprint":[[NaN,1],[2,3],[4,5]]}'):  # fmt: skip
        assert not isinstance(parse_alert(raw), IncomingAlert), raw
    ok = parse_alert(b'{"id":"n","cell":3,"extra":NaN,"lat":36.0}')
    assert isinstance(ok, IncomingAlert) and math.isfinite(ok.lat)
    assert "NaN" not in ok.model_dump_json() and "Infinity" not in ok.model_dump_json()
