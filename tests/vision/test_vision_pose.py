# ruff: noqa: F811 - pytest fixtures imported from tests.secure_broker are parameters here
"""Pose at frame time: interpolation, a real SITL .tlog, the bridge's MQTT records; config and CLI errors."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import paho.mqtt.client as mqtt
import pytest
from conftest import FIXTURES, ROOT
from secure_broker import secure_broker  # noqa: F401 - a pytest fixture, used by name

from telemetry.mqtt import MqttSettings
from telemetry.records import Attitude, Position
from vision.config import ConfigError, load_config
from vision.pose import LivePoseFeed, PoseError, PoseTrack, read_tlog_track


def test_pose_is_interpolated_and_yaw_takes_the_short_way():
    track = PoseTrack(max_gap_s=1.0)
    track.add_position(10.0, 36.0, 103.0, 1580.0, 60.0)
    track.add_position(11.0, 36.0002, 103.0, 1590.0, 70.0)
    track.add_attitude(10.0, 0.0, -2.0, 350.0)
    track.add_attitude(11.0, 4.0, -4.0, 10.0)
    p = track.at(10.5)
    assert p.lat == pytest.approx(36.0001) and p.alt_rel_m == pytest.approx(65.0)
    assert p.attitude.roll_deg == pytest.approx(2.0)
    assert p.attitude.yaw_deg == pytest.approx(
        0.0, abs=1e-9
    ) or p.attitude.yaw_deg == pytest.approx(360.0)
    assert track.at(11.9) is not None and track.at(12.5) is None and track.at(8.0) is None


def test_sitl_tlog_gives_a_track_over_the_whole_flight():
    track = read_tlog_track(FIXTURES / "copter-patrol-1x.tlog")
    assert track.end - track.start > 60
    p = track.at((track.start + track.end) / 2)
    assert 35.9 < p.lat < 36.2 and 103.6 < p.lon < 103.9
    assert -180 <= p.attitude.roll_deg <= 180 and 0 <= p.attitude.yaw_deg < 360


def test_tlog_without_poses_is_refused(tmp_path):
    empty = tmp_path / "empty.tlog"
    empty.write_bytes(b"\x00" * 64)
    with pytest.raises(PoseError, match="no GLOBAL_POSITION_INT and ATTITUDE"):
        read_tlog_track(empty)


def test_live_feed_refused_by_the_broker_is_one_line(secure_broker):
    """Wrong credentials: before, `vision run` went on with no pose and never said why."""
    settings = MqttSettings.from_url(secure_broker.url("gp-vision"), ca_file=secure_broker.ca,
                                     password="guess", client_id="pose-refused")  # fmt: skip
    with pytest.raises(PoseError, match=r"did not accept the connection: .*; check the URL"):
        LivePoseFeed(settings, "sys1").start(timeout_s=5)


def test_live_feed_fills_the_track_from_bridge_records(mosquitto):
    feed = LivePoseFeed(mosquitto.url, "sys1").start()
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="pose-feed-test")
    pub.connect("127.0.0.1", mosquitto.port)
    pub.loop_start()
    try:  # start() returned: the subscriptions are granted, nothing published now is missed
        for i in range(5):
            t = 1_780_000_000.0 + i
            pos = Position(
                vehicle="sys1",
                seq=i + 1,
                time_boot_ms=1000 * i,
                wall_time=t,
                lat=36.06 + 1e-5 * i,
                lon=103.79,
                alt_msl_m=1580.0,
                alt_rel_m=60.0,
                heading_deg=90.0,
                groundspeed_mps=1.0,
                climb_mps=0.0,
                cell=7,
            )
            att = Attitude(
                vehicle="sys1",
                seq=i + 1,
                time_boot_ms=1000 * i,
                wall_time=t,
                roll_deg=1.0,
                pitch_deg=-2.0,
                yaw_deg=90.0,
            )
            for rec in (pos, att):
                info = pub.publish(
                    f"gridpatrol/v1/vehicles/sys1/{rec.kind}", rec.model_dump_json(), qos=1
                )
                assert info.rc == mqtt.MQTT_ERR_SUCCESS
        deadline = time.monotonic() + 5
        while len(feed.track) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        pub.loop_stop()
        pub.disconnect()
        feed.close()
    p = feed.track.at(1_780_000_002.5)
    assert p.lat == pytest.approx(36.060025) and p.attitude.yaw_deg == pytest.approx(90.0)


def test_unknown_config_key_is_one_line(tmp_path):
    cfg = tmp_path / "v.toml"
    cfg.write_text("[activity]\ndiff_treshold = 9\n")
    with pytest.raises(ConfigError, match=r"activity\.diff_treshold: Extra inputs"):
        load_config(cfg)
    cfg.write_text("[tracker]\nk = 4\n")
    assert load_config(cfg).tracker.k == 4 and load_config(cfg).tracker.n == 5


def test_cli_reports_bad_input_as_one_line(tmp_path, example_district_path):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "gridpatrol",
            "vision",
            "run",
            "--video",
            str(tmp_path / "none.mp4"),
            "--telemetry",
            str(FIXTURES / "copter-patrol-1x.tlog"),
            "--district",
            str(example_district_path),
            "--evidence",
            str(tmp_path / "ev"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"error: video {tmp_path / 'none.mp4'} does not exist; check --video"
    ]


def test_a_config_value_that_is_not_a_finite_number_is_one_line(tmp_path):
    """TOML reads `nan` and `inf` as floats; a threshold of nan compared false with everything."""
    cfg = tmp_path / "v.toml"
    for text, key in (("[thermal]\nnoise_k = nan\n", "thermal.noise_k"),
                      ("[camera]\nhfov_deg = 0.0\n", "camera.hfov_deg"),
                      ("[camera]\nmount_pitch_deg = inf\n", "camera.mount_pitch_deg")):  # fmt: skip
        cfg.write_text(text)
        with pytest.raises(ConfigError, match=re.escape(key)):
            load_config(cfg)


def _run_frames(tmp_path, district, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gridpatrol", "vision", "run", "--video",
         str(FIXTURES / "aerial" / "rgb"), "--telemetry", str(FIXTURES / "copter-patrol-1x.tlog"),
         "--district", str(district), "--evidence", str(tmp_path / "ev"), *extra],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip


def test_frames_the_flight_log_does_not_cover_are_said_and_exit_1(tmp_path, example_district_path):
    """Real frames dated a year before the flight log: none has a pose, so none is scanned;
    the run used to end with exit 0 as if the patrol had been watched."""
    r = _run_frames(tmp_path, example_district_path, "--start", "2025-01-01T00:00:00Z")
    assert r.returncode == 1, r.stderr
    assert "6 without a pose were not scanned" in r.stderr


@pytest.mark.parametrize("option", [["--hfov", "0"], ["--pitch", "nan"], ["--fps", "inf"]])
def test_camera_and_frame_rate_options_that_are_no_numbers_are_one_line(
    tmp_path, example_district_path, option
):
    """--hfov 0 raised ZeroDivisionError; nan and inf were taken as they came."""
    r = _run_frames(tmp_path, example_district_path, *option)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("error: ")


def test_a_detector_that_cannot_apply_says_so_once_when_it_arises(tmp_path, example_district_path):
    """From patrol height ``people`` (HOG) resolves nobody upright; the run says so once, in
    words, instead of scanning every frame silently for nothing."""
    r = _run_frames(tmp_path, example_district_path, "--detectors", "people")
    assert r.returncode == 0, r.stderr
    said = [line for line in r.stderr.splitlines() if line.startswith("people: ")]
    assert len(said) == 1 and "HOG needs; skipped" in said[0], r.stderr
