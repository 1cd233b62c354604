"""Geotagging against rendered ground truth: target pixels back to lat/lon through a real .tlog."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mission.district import CellIndex
from sim.footage import FootageSpec, Renderer, straight_flight, write_tlog
from vision.alerts import Alert, EvidenceStore, JsonlAlertSink
from vision.camera import Attitude, Camera, reaches_ground
from vision.config import load_config
from vision.detectors.base import Detection
from vision.geotag import Geotagger
from vision.pipeline import Pipeline
from vision.pose import PoseTrack, read_tlog_track
from vision.source import Frame


def _errors(district, renderer, track: PoseTrack, camera: Camera):
    """Metres between each visible target's true position and the geotag of its box centre."""
    geo = Geotagger(camera, district, CellIndex(district))
    errs, radii, cells = [], [], []
    for fr in renderer.frames():
        pose = track.at(fr.time)
        for t in fr.truth:
            if t["box"] is None or t["visible"] < 0.99:
                continue
            x0, y0, x1, y1 = t["box"]
            fix = geo.locate(pose, (x0 + x1) / 2, (y0 + y1) / 2)
            errs.append(math.hypot(fix.x - t["x"], fix.y - t["y"]))
            radii.append(fix.uncertainty_m)
            cells.append((fix.cell, int(CellIndex(district).lookup(t["lon"], t["lat"])[0])))
    return np.array(errs), np.array(radii), cells


def _render(district, tmp_path, pitch: float, seed: int):
    spec = FootageSpec(
        width=480,
        height=270,
        fps=2,
        seconds=15,
        seed=seed,
        people=0,
        vehicles=4,
        blooms=4,
        mount_pitch_deg=pitch,
    )
    flight = straight_flight(district, alt_m=60.0, seed=seed)
    renderer = Renderer(district, flight, spec)
    write_tlog(renderer, tmp_path / "flight.tlog")
    return renderer, read_tlog_track(tmp_path / "flight.tlog")


def test_nadir_exact_pose_within_3_m_and_right_cell(example_district, tmp_path):
    renderer, track = _render(example_district, tmp_path, -90.0, seed=4)
    errs, radii, cells = _errors(example_district, renderer, track, renderer.camera)
    assert len(errs) >= 20
    assert errs.max() < 3.0, errs.max()
    agree = sum(a == b for a, b in cells) / len(cells)
    assert agree >= 0.95


def test_pitched_camera_with_attitude_noise_within_8_m(example_district, tmp_path):
    renderer, track = _render(example_district, tmp_path, -85.0, seed=5)
    rng = np.random.default_rng(5)
    noisy = PoseTrack()
    for t in np.arange(track.start, track.end, 0.5):
        p = track.at(t)
        noisy.add_position(t, p.lat, p.lon, p.alt_msl_m, p.alt_rel_m)
        a = p.attitude
        d = rng.normal(0.0, 2.0, 3)
        noisy.add_attitude(t, a.roll_deg + d[0], a.pitch_deg + d[1], a.yaw_deg + d[2])
    errs, radii, _ = _errors(example_district, renderer, noisy, renderer.camera)
    assert len(errs) >= 20
    assert errs.max() < 8.0, errs.max()
    # The reported radius holds the true position in most cases (it is a ~2-sigma radius).
    assert np.mean(errs <= radii) >= 0.9


def test_footprint_is_a_closed_ring_round_the_nadir_point(example_district):
    cam = Camera.from_hfov(640, 360, 70.0)
    geo = Geotagger(cam, example_district)
    site = example_district.launch_sites[0].position
    lon, lat = example_district.frame.to_lonlat(site.x, site.y)
    from vision.pose import Pose

    pose = Pose(0.0, lat, lon, example_district.ground_elevation_m + 60.0, 60.0, Attitude())
    ring = geo.footprint(pose)
    assert ring[0] == ring[-1] and len(ring) == 5
    xy = np.array([example_district.frame.to_metric(a, b) for a, b in ring[:-1]])
    width = np.ptp(xy[:, 0])
    assert width == pytest.approx(2 * 60 * math.tan(math.radians(35)), rel=0.01)
    assert np.allclose(xy.mean(axis=0), (site.x, site.y), atol=0.01)


def test_sensor_and_focal_length_give_the_lens_of_the_same_fov():
    cam = Camera.from_sensor(1280, 720, sensor_width_mm=6.3, focal_mm=4.5)
    hfov = math.degrees(2 * math.atan(6.3 / 2 / 4.5))
    assert cam.fx == pytest.approx(Camera.from_hfov(1280, 720, hfov).fx)
    assert cam.scaled(640, 360).fx == pytest.approx(cam.fx / 2)


def test_rays_above_the_horizon_or_out_of_range_do_not_reach_the_ground():
    """A camera pitched 10 degrees below the horizon sees sky in its top row, ground 5 degrees
    below the horizon (686 m off from 60 m, beyond 8 x 60 m: too far to send anyone to) 40 rows
    above its centre, and ground within range in its bottom row."""
    cam = Camera.from_hfov(640, 360, 70.0, mount_pitch_deg=-10.0)
    u = np.full(3, 320.0)
    v = np.array([0.0, 140.0, 359.0])
    assert reaches_ground(cam, Attitude(), 60.0, u, v).tolist() == [False, False, True]
    nadir = Camera.from_hfov(640, 360, 70.0)
    corners = reaches_ground(nadir, Attitude(), 60.0, [0, 639, 0, 639], [0, 0, 359, 359])
    assert corners.all()


class _SkyAndGround:
    """A detector double: each frame, one box in the sky (top rows) and one on the ground."""

    name = "model"

    def detect(self, ctx) -> list[Detection]:
        w, h = ctx.image.shape[1], ctx.image.shape[0]
        return [
            Detection((w // 2 - 10, 2, w // 2 + 10, 22), 0.9, "model", "vehicle"),
            Detection((w // 2 - 10, h - 30, w // 2 + 10, h - 10), 0.9, "model", "vehicle"),
        ]


def test_a_detection_in_the_sky_is_counted_and_raises_no_alert(example_district, tmp_path):
    renderer, track = _render(example_district, tmp_path, -15.0, seed=6)
    sink = JsonlAlertSink(tmp_path / "alerts.jsonl")
    config = load_config().with_changes(camera={"hfov_deg": 70.0, "mount_pitch_deg": -15.0})
    pipe = Pipeline(district=example_district, config=config, detectors=[_SkyAndGround()],
                    poses=track, sink=sink, evidence=EvidenceStore(tmp_path / "ev"),
                    cells=CellIndex(example_district))  # fmt: skip
    for fr in renderer.frames():
        pipe.process(Frame(fr.index, fr.time, fr.image))
    posed = pipe.stats.frames - pipe.stats.no_pose
    assert posed >= 20
    assert pipe.stats.off_ground == posed  # every sky box, and only those
    alerts = [Alert.model_validate_json(line) for line in sink.path.read_text().splitlines()]
    assert alerts, "the box on the ground should raise an alert"
    for alert in alerts:
        pose = track.at(alert.frame_time.timestamp())
        x, y = example_district.frame.to_metric(alert.lon, alert.lat)
        cx, cy = example_district.frame.to_metric(pose.lon, pose.lat)
        assert math.hypot(x - cx, y - cy) < 8 * 60.0
