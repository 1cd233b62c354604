"""Benchmark of the frame-flagging pipeline on rendered footage with ground truth (one core).

Prints, per resolution: frames per second of each detector, of geotag + alert building, and of
the whole pipeline (activity + bloom + geotag + alerts), with and without MP4 decoding; precision
and recall of each detector against the ground truth; and the alert latency from the start of the
confirming frame to the alert arriving at an MQTT subscriber through the lossless publisher and a
real mosquitto. Run: ``.venv/bin/python bench/vision.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gridpatrol.broker import MosquittoBroker  # noqa: E402
from mission.district import CellIndex  # noqa: E402
from mission.formats.district_geojson import load_district  # noqa: E402
from sim.footage import FootageSpec, Renderer, straight_flight, write_footage  # noqa: E402
from sim.scoring import (  # noqa: E402
    Score,
    alert_is_right,
    detect_frames,
    score_frames,
    wanted_for,
)
from vision.alerts import MqttAlertSink  # noqa: E402
from vision.config import load_config  # noqa: E402
from vision.detectors import build_detectors  # noqa: E402
from vision.pose import PoseTrack, read_tlog_track  # noqa: E402
from vision.run import vision_pipeline  # noqa: E402
from vision.source import Frame, VideoFileSource  # noqa: E402

DISTRICT = ROOT / "examples" / "xiyuan" / "district.geojson"


class _Keep:
    """Keeps the first version of every alert."""

    def __init__(self):
        self.first = {}

    def send(self, alert) -> None:
        self.first.setdefault(alert.id, alert)


class _Null:
    def send(self, alert) -> None:
        pass


class _Proposed:
    """People scanning only where activity was seen (plus its periodic full scans), as in the
    pipeline; the time of both detectors counts."""

    def __init__(self, activity, people):
        self.activity, self.people = activity, people

    def detect(self, ctx):
        ctx.proposals.extend(self.activity.detect(ctx))
        return self.people.detect(ctx)


def _rendered(district, spec: FootageSpec, **flight):
    renderer = Renderer(district, straight_flight(district, seed=spec.seed, **flight), spec)
    return renderer, list(renderer.frames())


def _fps(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def _detector_run(name, config, renderer, frames):
    (det,) = build_detectors([name], config)
    pairs, spent = detect_frames(det, renderer.camera, frames)
    return pairs, _fps(len(frames), spent)


def _track_of(frames) -> PoseTrack:
    track = PoseTrack()
    for fr in frames:
        p = fr.pose
        a = p.attitude
        track.add_position(fr.time, p.lat, p.lon, p.alt_msl_m, p.alt_rel_m)
        track.add_attitude(fr.time, a.roll_deg, a.pitch_deg, a.yaw_deg)
    return track


def _pipeline(district, config, frames, tmp: Path, sink=None, names=("activity", "bloom")):
    return vision_pipeline(
        district, config, detectors=names, poses=_track_of(frames), sink=sink or _Null(),
        evidence_dir=tmp,
    )  # fmt: skip


CLIPS = ((11, 80.0), (12, 100.0), (13, 60.0))  # (seed, heading), each from a green plot


def _green_start(district, seed: int, k: int) -> tuple[float, float]:
    """A start point 30 m before the k-th green plot east of the launch site (blooms grow there)."""
    from sim.ground import BlockKind, GroundTexture

    ground = GroundTexture(seed)
    p = district.launch_sites[0].position
    bx0, by0 = ground.block_index(p.x, p.y)
    found = [
        (bx, by)
        for bx in range(bx0, bx0 + 12)
        for by in range(by0 - 3, by0 + 3)
        if ground.kind(bx, by) == BlockKind.GREEN
    ]
    bx, by = found[k % len(found)]
    return (bx + 0.5) * ground.block_m - 30.0, (by + 0.5) * ground.block_m


def _score_add(a: Score, b: Score) -> Score:
    return Score(
        a.true_positives + b.true_positives,
        a.false_positives + b.false_positives,
        a.false_negatives + b.false_negatives,
    )


def bench_resolution(district, config, width, height, seconds, tmp: Path) -> dict:
    rows: dict = {}
    settle = int(round(2 * config.activity.gap_s * 10))
    tol = width / 80
    clips = []
    for seed, heading in CLIPS:
        spec = FootageSpec(
            width=width, height=height, seconds=seconds, seed=seed, people=10, vehicles=6, blooms=5
        )
        start = _green_start(district, seed, len(clips))
        clips.append(_rendered(district, spec, heading_deg=heading, start=start))
    n_frames = sum(len(f) for _, f in clips)
    for name in ("activity", "bloom", "people"):
        total, spent = Score(0, 0, 0), 0.0
        for renderer, frames in clips:
            pairs, fps = _detector_run(name, config, renderer, frames)
            spent += len(frames) / fps
            s = score_frames(
                pairs,
                wanted_for(name),
                tolerance_px=tol,
                settle_frames=settle if name == "activity" else 0,
            )
            total = _score_add(total, s)
        label = "people (60 m nadir: not applicable, skipped)" if name == "people" else name
        rows[label] = {"fps": _fps(n_frames, spent)}
        if name != "people":
            rows[label].update(
                precision=total.precision, recall=total.recall, tp=total.true_positives
            )
    oblique = FootageSpec(
        width=width,
        height=height,
        seconds=6.0,
        fps=10,
        seed=3,
        people=16,
        vehicles=0,
        blooms=0,
        mount_pitch_deg=-20.0,
    )
    r2, f2 = _rendered(district, oblique, alt_m=5.0, speed_mps=2.0)
    for every_n in (1, config.people.every_n):
        cfg = config.with_changes(people={"every_n": every_n})
        label = f"people (oblique 5 m, full scan 1/{every_n}"
        if every_n > 1:
            label += ", else activity and followed regions"
            det = _Proposed(*build_detectors(["activity", "people"], cfg))
        else:
            (det,) = build_detectors(["people"], cfg)
        pairs, spent = detect_frames(det, r2.camera, f2)
        s = score_frames(pairs, wanted_for("people"), tolerance_px=tol)
        rows[label + ")"] = {
            "fps": _fps(len(f2), spent),
            "precision": s.precision,
            "recall": s.recall,
            "tp": s.true_positives,
        }
    spent, alerts, right = 0.0, 0, 0
    cells = CellIndex(district)
    for i, (_, frames) in enumerate(clips):
        sink = _Keep()
        pipe = _pipeline(district, config, frames, tmp / f"ev{width}-{i}", sink=sink)
        t0 = time.perf_counter()
        for fr in frames:
            pipe.process(Frame(fr.index, fr.time, fr.image))
        spent += time.perf_counter() - t0
        alerts += pipe.stats.alerts
        truth = {fr.time: fr.truth for fr in frames}
        for a in sink.first.values():
            t = a.frame_time.timestamp()
            near = min(truth, key=lambda k, t=t: abs(k - t))
            right += alert_is_right(a.model_dump(mode="json"), truth[near], district, cells)
    rows["pipeline: activity+bloom+geotag+alerts"] = {"fps": _fps(n_frames, spent), "tp": alerts}
    rows["  alerts at a true target, in its cell"] = {
        "fps": float("nan"),
        "precision": right / max(alerts, 1),
    }
    renderer, frames = clips[0]
    files = write_footage(renderer, tmp / f"mp4-{width}")
    track = read_tlog_track(files.tlog)
    pipe = _pipeline(district, config, frames, tmp / f"ev{width}-mp4")
    pipe.poses = track
    src = VideoFileSource(files.video, start_time=track.start)
    t0 = time.perf_counter()
    n = 0
    for frame in src:
        pipe.process(frame)
        n += 1
    rows["pipeline + MP4 decode (first clip)"] = {
        "fps": _fps(n, time.perf_counter() - t0),
        "tp": pipe.stats.alerts,
    }
    geo = pipe._geo
    t0 = time.perf_counter()
    k = 0
    for fr in frames:
        for tgt in fr.truth:
            if tgt["box"]:
                x0, y0, x1, y1 = tgt["box"]
                geo.locate(fr.pose, (x0 + x1) / 2, (y0 + y1) / 2)
                k += 1
    rows["geotag + uncertainty + cell (per detection)"] = {"fps": _fps(k, time.perf_counter() - t0)}
    return rows


def bench_latency(district, config, tmp: Path, n_runs: int) -> list[float]:
    import paho.mqtt.client as mqtt

    from telemetry.mqtt import MqttSettings
    from telemetry.publish import Publisher

    broker = MosquittoBroker(workdir=tmp / "broker").start()
    received: dict[str, float] = {}
    ready = threading.Event()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-vision-sub")
    sub.on_connect = lambda c, *_: c.subscribe("gridpatrol/v1/alerts/cells/#", qos=1)
    sub.on_subscribe = lambda *_: ready.set()

    def on_message(_c, _u, msg):
        received.setdefault(json.loads(msg.payload)["id"], time.perf_counter())

    sub.on_message = on_message
    sub.connect("127.0.0.1", broker.port)
    sub.loop_start()
    ready.wait(5)
    publisher = Publisher(MqttSettings.from_url(broker.url), tmp / "spool.db").start()
    deadline = time.monotonic() + 5
    while not publisher.connected and time.monotonic() < deadline:
        time.sleep(0.01)
    started: dict[str, float] = {}
    latencies = []
    try:
        for run in range(n_runs):
            spec = FootageSpec(
                width=1280, height=720, seconds=4, seed=20 + run, people=8, vehicles=4, blooms=3
            )
            _, frames = _rendered(district, spec)
            pipe = _pipeline(
                district, config, frames, tmp / f"lat{run}", sink=MqttAlertSink(publisher)
            )
            for fr in frames:
                t0 = time.perf_counter()
                for alert in pipe.process(Frame(fr.index, fr.time, fr.image)):
                    started.setdefault(alert.id, t0)
            publisher.flush(10)
        time.sleep(0.2)
        latencies = [received[i] - t for i, t in started.items() if i in received]
    finally:
        publisher.close(5)
        sub.loop_stop()
        sub.disconnect()
        broker.stop()
    return latencies


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter clips, 720p only")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    district = load_district(DISTRICT)
    config = load_config()
    sizes = [(1280, 720)] if args.quick else [(1280, 720), (1920, 1080)]
    seconds = 6.0 if args.quick else 12.0
    with tempfile.TemporaryDirectory(prefix="bench-vision-") as tmp:
        tmp = Path(tmp)
        for w, h in sizes:
            res = bench_resolution(district, config, w, h, seconds, tmp)
            print(f"\n## {w}x{h}, one core, {len(CLIPS)} clips x {seconds:.0f} s at 10 fps, 60 m")
            print(f"{'stage':68} {'fps':>8} {'precision':>10} {'recall':>8} {'hits/alerts':>11}")
            for stage, v in res.items():
                p = f"{v['precision']:.3f}" if "precision" in v else ""
                r = f"{v['recall']:.3f}" if "recall" in v else ""
                tp = str(v.get("tp", v.get("alerts", "")))
                fps = "" if v["fps"] != v["fps"] else f"{v['fps']:.1f}"
                print(f"{stage:68} {fps:>8} {p:>10} {r:>8} {tp:>11}")
        lat = bench_latency(district, config, tmp, 1 if args.quick else 3)
        print(
            "\n## alert latency: confirming frame start -> subscriber receives (mosquitto, QoS 1)"
        )
        if lat:
            lat_ms = sorted(x * 1000 for x in lat)
            p95 = lat_ms[min(len(lat_ms) - 1, int(0.95 * len(lat_ms)))]
            print(
                f"alerts {len(lat_ms)}  p50 {statistics.median(lat_ms):.1f} ms  "
                f"p95 {p95:.1f} ms  max {lat_ms[-1]:.1f} ms"
            )
        else:
            print("no alerts received")
        print(
            "\ngoals: pipeline >= 30 fps at 720p; activity recall >= 0.9, precision >= 0.8; "
            "latency < 200 ms"
        )


if __name__ == "__main__":
    main()
