"""Privacy zones: blacked out before detection, and no pixel of one in any stored evidence image."""

from __future__ import annotations

import cv2
import numpy as np
from shapely.geometry import LineString, Point

from mission.district import CellIndex
from sim.footage import FootageSpec, Renderer, Target, WaypointFlight, write_tlog
from vision.alerts import EvidenceStore
from vision.config import load_config
from vision.detectors import build_detectors
from vision.pipeline import Pipeline
from vision.pose import read_tlog_track
from vision.source import Frame


def _magenta(img: np.ndarray) -> int:
    b, g, r = (img[..., i].astype(int) for i in range(3))
    return int(((r > 170) & (b > 170) & (g < 100)).sum())


class Collect:
    def __init__(self):
        self.alerts = []

    def send(self, alert) -> None:
        self.alerts.append(alert)


def test_privacy_zone_never_reaches_detectors_or_evidence(example_district, tmp_path):
    zone = example_district.privacy_zones[0].shape
    cx = zone.centroid.x
    x0, y0, x1, y1 = zone.bounds
    edge_y = zone.intersection(LineString([(cx, y0 - 1), (cx, y1 + 1)])).bounds[3]
    # Fly east along the zone's northern edge: half of every frame is the zone, half is not.
    flight = WaypointFlight([(cx - 30, edge_y, 60.0), (cx + 30, edge_y, 60.0)], 8.0, seed=2)
    people = [
        Target("out-a", "person", cx - 20, edge_y + 15, 1.3, 0.4, (200, 200, 205)),
        Target("out-b", "person", cx + 5, edge_y + 20, -1.2, 0.5, (40, 60, 150)),
        Target("in-a", "person", cx - 10, edge_y - 18, 1.4, 0.0, (200, 200, 205)),
        Target("in-b", "vehicle", cx + 10, edge_y - 14, -5.0, 0.0, (235, 235, 235), 2.3),
    ]
    assert all(zone.contains(Point(t.x, t.y)) == t.id.startswith("in") for t in people)
    spec = FootageSpec(width=640, height=360, fps=10, seconds=6, seed=2, mark_privacy=True)
    renderer = Renderer(example_district, flight, spec, targets=people)
    write_tlog(renderer, tmp_path / "f.tlog")
    # The people are the movers here: person-sized movers alert only when asked to.
    config = load_config().with_changes(tracker={"alert_person_sized": True})
    sink = Collect()
    pipe = Pipeline(
        district=example_district,
        config=config,
        detectors=build_detectors(["activity", "bloom"], config),
        poses=read_tlog_track(tmp_path / "f.tlog"),
        sink=sink,
        evidence=EvidenceStore(tmp_path / "ev"),
        cells=CellIndex(example_district),
    )
    raw_magenta = 0
    for fr in renderer.frames():
        raw_magenta += _magenta(fr.image)
        pipe.process(Frame(fr.index, fr.time, fr.image))
    assert raw_magenta > 100_000  # the zone really was in the pictures
    assert sink.alerts, "the people outside the zone should raise alerts"
    files = sorted((tmp_path / "ev").rglob("*.jpg"))
    assert len(files) == 2 * len({a.id for a in sink.alerts})
    masked_frames = 0
    for f in files:
        img = cv2.imread(str(f))
        assert _magenta(img) == 0, f.name
        if f.name.endswith("-frame.jpg") and (img.max(axis=2) < 12).mean() > 0.2:
            masked_frames += 1
    assert masked_frames >= 1
    for a in sink.alerts:
        x, y = example_district.frame.to_metric(a.lon, a.lat)
        assert not zone.contains(Point(x, y)), a.id
