"""GeoJSON exports for Chinese map apps: a recorded flight's track and the stored alerts, in
WGS-84 by default and in GCJ-02 with ``--output-crs gcj02`` (issue 8, "Exports")."""

from __future__ import annotations

import json
import math

from centre_support import alert
from cli_support import run_cli
from conftest import FIXTURES

TLOG = FIXTURES / "copter-patrol-1x.tlog"


def metres(a, b) -> float:
    """Distance between two lon/lat positions (equirectangular; fine over a few hundred m)."""
    lat = math.radians((a[1] + b[1]) / 2)
    dx = math.radians(b[0] - a[0]) * math.cos(lat) * 6371008.8
    dy = math.radians(b[1] - a[1]) * 6371008.8
    return math.hypot(dx, dy)


def pymavlink_fixes(path) -> list[list[float]]:
    from pymavlink import mavutil

    conn = mavutil.mavlink_connection(str(path), dialect="ardupilotmega")
    out = []
    while (m := conn.recv_match(type="GLOBAL_POSITION_INT")) is not None:
        if m.lat or m.lon:
            out.append([m.lon / 1e7, m.lat / 1e7, m.alt / 1000.0])
    return out


def export(args: list[str]) -> dict:
    result = run_cli(args)
    assert result.exit_code == 0, result.output
    out = args[args.index("-o") + 1] if "-o" in args else args[2]
    return json.loads(open(out, encoding="utf-8").read())


def test_track_is_one_line_of_every_fix_and_gcj02_shifts_it(tmp_path):
    wgs = export(["track", str(TLOG), "-o", str(tmp_path / "wgs.geojson")])
    assert "crs" not in wgs
    (line,) = wgs["features"]
    assert line["geometry"]["type"] == "LineString"
    assert line["properties"]["vehicle"] == "sys1"
    reference = pymavlink_fixes(TLOG)
    assert len(reference) > 100
    assert line["geometry"]["coordinates"] == reference
    assert line["properties"]["points"] == len(reference)

    args = ["track", str(TLOG), "-o", str(tmp_path / "gcj.geojson"), "--output-crs", "gcj02"]
    gcj = export(args)
    assert gcj["crs"] == "gcj02"
    shifted = gcj["features"][0]["geometry"]["coordinates"]
    assert len(shifted) == len(reference)
    for a, b in zip(reference, shifted, strict=True):
        assert 200 < metres(a, b) < 300  # GCJ-02 offset in Lanzhou is about 225 m
        assert a[2] == b[2]


def test_gcj02_track_is_refused_as_a_mission(tmp_path):
    from mission.crs import require_wgs84
    from mission.errors import FormatError

    gcj = export(["track", str(TLOG), "-o", str(tmp_path / "t.geojson"), "--output-crs", "gcj02"])
    try:
        require_wgs84(gcj, "t.geojson")
    except FormatError:
        return
    raise AssertionError("a gcj02 track passed require_wgs84")


def test_track_errors_are_one_line(tmp_path):
    result = run_cli(["track", str(tmp_path / "none.tlog"), "-o", "x.geojson"])
    assert result.exit_code != 0
    result = run_cli(["track", str(TLOG), "-o", str(tmp_path / "x.geojson"), "--output-crs", "utm"])
    assert result.exit_code != 0
    assert not (tmp_path / "x.geojson").exists()


def _records(data: bytes) -> list[bytes]:
    """The real tlog cut into its records (8-byte stamp + one MAVLink 2 frame each)."""
    out, i = [], 0
    while i < len(data):
        length = 8 + 10 + data[i + 9] + 2 + (13 if data[i + 10] & 1 else 0)
        out.append(data[i : i + length])
        i += length
    return out


def test_a_damaged_reordered_or_repeated_tlog_draws_the_track_and_says_what_it_skipped(tmp_path):
    """A track from a tlog with a garbage stretch, its two halves swapped and a stretch recorded
    twice used to be written with exit 0 and not a word (and drawn as a zigzag)."""
    records = _records(TLOG.read_bytes())
    assert all(r[8] == 0xFD for r in records)  # MAVLink 2 throughout: cut where it should be
    half = len(records) // 2
    pieced = [
        *records[half:],
        b"\x00garbage\xfd\x09" * 20,
        *records[:half],
        *records[half : half + 400],
    ]
    bad = tmp_path / "pieced.tlog"
    bad.write_bytes(b"".join(pieced))
    out = tmp_path / "t.geojson"
    result = run_cli(["track", str(bad), "-o", str(out)])
    assert result.exit_code == 1
    assert "garbage bytes" in result.stderr and "fixes out of time order" in result.stderr
    assert "repeated fixes" in result.stderr and "Traceback" not in result.stderr
    (line,) = json.loads(out.read_text())["features"]
    assert line["geometry"]["coordinates"] == pymavlink_fixes(TLOG)  # in order, each once


def filled_store(db):
    from centre.messages import Ack, IncomingAlert
    from centre.store import AlertStore

    bodies = [
        alert("a-1", cell=3, team="east", lon=103.781, lat=36.071),
        alert("a-2", cell=5, team="west", score=0.6, lon=103.79, lat=36.065),
        alert("a-3", cell=5, team="west", lon=103.785, lat=36.068),
    ]
    with AlertStore(db) as store:
        for body in bodies:
            store.put_alert(IncomingAlert.model_validate(body))
        store.put_ack(
            Ack.model_validate({"id": "a-3", "by": "team west", "time": "2026-11-28T01:05:00Z"})
        )
    return {b["id"]: b for b in bodies}


def test_alert_export_writes_points_and_gcj02_shifts_them(tmp_path):
    db = tmp_path / "alerts.sqlite"
    bodies = filled_store(db)
    out = tmp_path / "open.geojson"
    fc = export(["alerts", "export", str(out), "--db", str(db)])
    assert "crs" not in fc
    assert [f["properties"]["id"] for f in fc["features"]] == ["a-1", "a-2"]
    for feature in fc["features"]:
        body = bodies[feature["properties"]["id"]]
        assert feature["geometry"] == {"type": "Point", "coordinates": [body["lon"], body["lat"]]}
        props = feature["properties"]
        assert props["code"] == "activity" and props["detector"] == "motion"
        assert props["score"] == body["score"] and props["cell"] == body["cell"]
        assert props["team"] == body["team"] and props["uncertainty_m"] == 12.0
        assert props["status"] == "open" and props["created"]
        assert "evidence" not in props and "jpeg_b64" not in json.dumps(fc)

    every = export(["alerts", "export", str(tmp_path / "all.geojson"), "--db", str(db), "--all"])
    by_id = {f["properties"]["id"]: f["properties"] for f in every["features"]}
    assert sorted(by_id) == ["a-1", "a-2", "a-3"]
    assert by_id["a-3"]["status"] == "acked" and by_id["a-3"]["acked_by"] == "team west"

    args = ["alerts", "export", str(tmp_path / "gcj.geojson"), "--db", str(db)]
    gcj = export([*args, "--output-crs", "gcj02"])
    assert gcj["crs"] == "gcj02"
    for a, b in zip(fc["features"], gcj["features"], strict=True):
        assert 200 < metres(a["geometry"]["coordinates"], b["geometry"]["coordinates"]) < 300


def test_alert_export_without_a_store_is_one_line(tmp_path):
    result = run_cli(
        ["alerts", "export", str(tmp_path / "x.geojson"), "--db", str(tmp_path / "no.db")]
    )
    assert result.exit_code == 2
    assert "no alert store" in result.stderr and len(result.stderr.splitlines()) == 1
