"""``gridpatrol demo`` end to end in its fallback mode (no SITL): recorded flight, real brokers.

Each run plans, replays the bundled SITL recording through the bridge, films and flags the flight,
and writes the report; the assertions are what a newcomer would look at: the broker line, the
patrol table, alerts with their cell's team, and a report page that parses and holds the track.
"""

from __future__ import annotations

import json
import re

import pytest
from centre_support import ReportPage
from cli_support import run_cli

from centre.store import AlertStore
from gridpatrol.demo import DemoError, DemoOptions, run_demo
from gridpatrol.embedded_broker import amqtt_available
from mission.flight_model import haversine_m


def read_report(path) -> dict:
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?https?://""", html), "report must need no network"
    page = ReportPage()
    page.feed(html)
    page.close()
    assert page.stack == []
    return json.loads(page.boot)


@pytest.fixture(autouse=True)
def no_sitl(monkeypatch):
    monkeypatch.delenv("ARDUPILOT_SITL", raising=False)


def check_run(out, example_district) -> dict:
    boot = read_report(out / "report.html")
    snap = boot["snapshot"]
    (drone,) = snap["vehicles"]
    track = drone["track"]
    assert len(track) >= 100
    assert snap["planned"] and len(snap["planned"][0]["points"]) >= 3
    planned = snap["planned"][0]["points"]
    # The flown track is the planned sortie: it leaves from its launch site and passes each point
    # (an orbit's centre at its radius, up to 80 m; tests/test_demo_flight.py is exact per item).
    assert haversine_m(track[0][1], track[0][0], planned[0][1], planned[0][0]) < 15
    for lon, lat in planned:
        assert min(haversine_m(lat, lon, t[1], t[0]) for t in track) < 95
    assert snap["alerts"], "the demo must raise at least one alert"
    teams = {c.id: c.team for c in example_district.cells}
    for alert in snap["alerts"]:
        assert alert["cell"] in teams and alert["team"] == teams[alert["cell"]]
        assert alert["evidence"]["crop"].startswith("data:image/jpeg;base64,")
    assert len(snap["summary"]["rows"]) == len(example_district.key_areas)
    stats = snap["link_stats"]
    assert stats["records left in the spool"] == 0
    assert stats["alerts received by the centre"] == len(snap["alerts"])
    with AlertStore(out / "alerts.sqlite") as store:
        assert {a.id for a in store.alerts()} == {a["id"] for a in snap["alerts"]}
    assert len(list((out / "plan").glob("*.plan"))) >= 2
    return snap


def test_demo_on_mosquitto_plans_flies_flags_and_reports(mosquitto, tmp_path, example_district):
    out = tmp_path / "demo-out"
    run = run_cli(["demo", "--out", out, "--seed", "3", "--mqtt", mosquitto.url, "--speed", "80"])
    assert run.exit_code == 0, run.stderr
    assert f"MQTT broker: {mosquitto.url}" in run.stdout
    assert re.search(r"^area\s+limit\s+visits", run.stdout, re.M)  # the patrol summary table
    assert "replaying recorded-flight.tlog" in run.stdout
    assert re.search(r"^alert: cell \d+ · team Grid team \d+", run.stdout, re.M)
    snap = check_run(out, example_district)
    assert f"{len(snap['alerts'])} alerts in cells" in run.stdout


@pytest.mark.skipif(not amqtt_available(), reason="amqtt (the demo extra) is not installed")
def test_demo_falls_back_to_the_embedded_broker(tmp_path, example_district):
    out = tmp_path / "demo-out"
    run = run_cli(["demo", "--out", out, "--seed", "5", "--broker", "embedded", "--speed", "80"])
    assert run.exit_code == 0, run.stderr
    assert "MQTT broker: embedded amqtt on mqtt://127.0.0.1:" in run.stdout
    check_run(out, example_district)


def test_missing_recording_is_one_line_before_anything_starts(tmp_path):
    with pytest.raises(DemoError, match="recorded flight .* is missing .*; restore it from git"):
        run_demo(DemoOptions(out=tmp_path, recording=tmp_path / "none.tlog"), print)
    assert not (tmp_path / "plan").exists()
