"""The frame-flagging detectors measured on real aerial footage (issue 13's goals table).

Run: ``.venv/bin/python bench/vision_real.py --data DIR`` where DIR holds ``aerial-cars/`` (RGB
nadir frames with YOLO labels of every vehicle) and ``hit-uav-thermal/`` (thermal frames with VOC
labels); ``GRIDPATROL_AERIAL`` may name DIR instead. ``--extra-rgb DIR`` adds more labelled RGB
frame folders of the same kind; ``--held-out DIR`` scores such a folder on its own (footage no
default was chosen on); ``--model FILE`` an ONNX model for the ``model`` detector (default: the
shipped one); ``--video FILE --video-tracks CSV`` a real video at its own frame rate with MOT
tracks of its moving vehicles (``_video_tracks.py`` says what is measured); ``--kit-ais CLONE``
the KIT AIS airborne sequences held in a clone of github.com/jekhor/aerial-cars-dataset
(``MOS*.png``, CC BY 3.0 "KIT AIS Data Set"), scored as held out at 0.5 s a frame;
``--oblique-video FILE`` Kitware's MEVA UAV montage (github.com/Kitware/mevadata, ``video/uav-clips.mp4``), whose
alerts a by-eye review judges (``_oblique_review.py``). Any part that is missing is reported as "skipped: reason" and the rest still runs.

How the figures are defined (printed with them):
- Frame times. Files are named ``<video>-<number>``; number n is taken as n x
  ``--seconds-per-number`` (1 s by default: frames extracted at one per second; the vehicles'
  measured displacements between consecutive numbers, 0.3-3 car lengths, agree with city
  speeds at that spacing). Frames of one video more than ``[activity] max_gap_s`` apart are not
  compared.
- Moving vehicles: ``vision.evaluate.movers`` (registered box of the previous frame overlapping
  at IoU < 0.5, i.e. moved more than about a third of its length), judged only in frames that
  have a predecessor within ``max_gap_s``; moving boxes linked into objects across frames.
- Recall: moving objects flagged (a motion detection matching one of its boxes) at least once /
  all moving objects. Precision: motion detections matching a moving box / all motion
  detections. Pedestrians are not labelled in these sets, so detections of walking people count
  as false; a second precision counts only detections at least as large as the smallest
  labelled vehicle of the set. A third counts, besides, the detections that a by-eye review
  (``_motion_review.py``) found on walkers, on movers the labels miss, or partly on a labelled
  mover; detections the review does not cover count as false.
- Minutes of RGB video: the time the detector watched, the sum over judged frames of the time
  since their reference frame (the frames are sparse samples, so the videos' full length would
  understate the rate). A false alert is a tracker alert whose first box matches no moving box;
  the number of them smaller than the smallest labelled vehicle is printed too (people walking
  are real movers but unlabelled in aerial-cars, so they count as false here).
- Alerts per moving object: alerts on movers / distinct moving objects with an alert.
- Detections on no moving vehicle, by what they lie on (``_motion_breakdown.py``). Extra, beside
  the goal's: precision with slow movers (``SLOW_IOU``: a bus crawling at a junction) counted.
- With a known height: the motion figures again, each video's camera height set from its
  labelled cars (4.5 m long; a stand-in for telemetry, which the sets lack), so sizes are in
  metres and every motion detection has a size class; printed besides: precision of the
  detections classed vehicle-sized, and how many were classed person-sized (and of those, how
  many lay on a labelled moving vehicle: the class's own error). Twice: with person-sized movers
  raising no alert (``[tracker] alert_person_sized = false``, the default; they stay detections
  and are counted) and with them alerting, so the alert figures are given both ways.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _aerial_frames import (  # noqa: E402
    CAR_NAMES,
    KIT_SECONDS_PER_NUMBER,
    KIT_TITLE,
    _height_from_cars,
    _videos,
    kit_sequences,
)
from _motion_breakdown import false_kind, say_breakdown  # noqa: E402
from _motion_review import REVIEW, VERDICTS, load_review, verdict_of  # noqa: E402
from _oblique_review import oblique_alerts  # noqa: E402
from _report import _pct, _say  # noqa: E402
from _video_tracks import video_motion  # noqa: E402

from vision.config import load_config  # noqa: E402
from vision.detectors import build_detectors  # noqa: E402
from vision.detectors.registry import DETECTOR_NAMES  # noqa: E402
from vision.detectors.size_class import PERSON, VEHICLE  # noqa: E402
from vision.evaluate.labels import read_voc, read_yolo  # noqa: E402
from vision.evaluate.matching import match_frame, matches  # noqa: E402
from vision.evaluate.movers import SLOW_IOU, LabelledFrame, find_movers  # noqa: E402
from vision.evaluate.runner import Evaluator  # noqa: E402
from vision.pipeline import camera_for  # noqa: E402


class _Score:
    """Per-frame class scores summed over a set."""

    found = labels = tp = n = 0

    def add(self, s) -> None:
        if s:
            self.found, self.labels = self.found + s.found, self.labels + s.labels
            self.tp, self.n = self.tp + s.true_positives, self.n + s.detections


def rgb_motion(
    folders: list[Path], spn: float, known_height: bool = False, alert_people: bool = False
) -> None:
    """Motion against the moving vehicles; with ``known_height`` each video's height is set
    from its labelled cars (``_height_from_cars``), so sizes are in metres and every detection
    has a size class, and the figures for vehicle-sized detections are printed too;
    ``alert_people`` sets ``[tracker] alert_person_sized`` (person-sized movers alert too)."""
    config = load_config().with_changes(tracker={"alert_person_sized": alert_people})
    quiet = 0
    det_n = det_sized = hits = hits_sized = alerts = false_alerts = false_sized = 0
    det_veh = hits_veh = det_person = person_on_mover = alerts_veh = false_veh = 0
    hits_slow = hits_slow_sized = hits_slow_veh = 0
    kinds, kinds_sized = Counter(), Counter()  # false detections by what they lie on
    reviewed = Counter()  # the same by the by-eye review's verdict (None: not reviewed)
    false_by_eye = Counter()  # false alerts' first boxes by the same verdicts
    review = load_review()
    watched_s = 0.0
    heights = []
    objects: set[tuple[str, int]] = set()
    flagged: set[tuple[str, int]] = set()
    flagged_veh: set[tuple[str, int]] = set()
    alerts_on: dict[tuple[str, int], int] = defaultdict(int)
    objects_of: dict[tuple[str, int], set] = defaultdict(set)  # the movers each alert was on
    for folder in folders:
        for video, items in _videos(folder, spn).items():
            frames = []
            for t, p in items:
                img = cv2.imread(str(p))
                size = (img.shape[1], img.shape[0])
                frames.append(
                    LabelledFrame(t, img, read_yolo(p.with_suffix(".txt"), size, CAR_NAMES))
                )
            movers, judged = find_movers(frames, config.activity.max_gap_s)
            slow = {
                (m.frame, m.label)
                for m in find_movers(frames, config.activity.max_gap_s, SLOW_IOU)[0]
            }
            smallest = min(
                (lb.box[2] - lb.box[0]) * (lb.box[3] - lb.box[1])
                for f in frames
                for lb in f.labels.boxes
            )
            by_frame: dict[int, dict[int, int]] = defaultdict(dict)
            for m in movers:
                by_frame[m.frame][m.label] = m.obj
                objects.add((f"{folder.name}/{video}", m.obj))
            height = None
            if known_height:
                w = frames[0].image.shape[1]
                height = _height_from_cars(frames, camera_for(config, w, w).fx)
                heights.append(f"{video} {height:.0f} m" if height else f"{video} unknown")
            ev = Evaluator(config, build_detectors(["activity"], config), height)
            act = ev.detectors[0]
            seen_tracks: set[int] = set()
            for i, f in enumerate(frames):
                before = act.stats["no_reference"] + act.stats["no_ego_motion"]
                recs = ev.process(i, f.time, f.image, items[i][1].name)
                if i in judged and act.stats["no_reference"] + act.stats["no_ego_motion"] == before:
                    watched_s += f.time - max(
                        g.time for g in frames[:i] if g.time <= f.time - config.activity.gap_s
                    )
                mov = by_frame.get(i, {})
                for r in recs:
                    det_n += 1
                    area = (r.box[2] - r.box[0]) * (r.box[3] - r.box[1])
                    det_sized += area >= smallest
                    vehicle = r.size_class == VEHICLE
                    det_veh += vehicle
                    det_person += r.size_class == PERSON
                    obj = next(
                        (o for j, o in mov.items() if matches(r.box, f.labels.boxes[j].box)), None
                    )
                    key = (f"{folder.name}/{video}", obj)
                    eye = None if obj is not None else verdict_of(review, items[i][1].name, r.box)
                    if obj is None:
                        kind = false_kind(r.box, f.labels, set(mov))
                        kinds[kind] += 1
                        reviewed[eye] += 1
                        kinds_sized[kind] += vehicle if known_height else area >= smallest
                    on_slow = any(
                        matches(r.box, lb.box)
                        for j, lb in enumerate(f.labels.boxes)
                        if (i, j) in slow
                    )
                    if obj is not None or on_slow:
                        hits_slow += 1
                        hits_slow_sized += area >= smallest
                        hits_slow_veh += vehicle
                    if obj is not None:
                        hits += 1
                        hits_sized += area >= smallest
                        hits_veh += vehicle
                        person_on_mover += r.size_class == PERSON
                        flagged.add(key)
                        if vehicle:
                            flagged_veh.add(key)
                    if r.track is not None and obj is not None:
                        objects_of[(f"{folder.name}/{video}", r.track)].add(obj)
                    if r.track is not None and r.track not in seen_tracks:
                        seen_tracks.add(r.track)
                        alerts += 1
                        alerts_veh += vehicle
                        if obj is None:
                            false_alerts += 1
                            false_by_eye[eye] += 1
                            false_sized += area >= smallest
                            false_veh += vehicle
                        else:
                            alerts_on[key] += 1
            quiet += ev.quiet
    if known_height:
        policy = "alert" if alert_people else "raise no alert (the default)"
        print(f"with a known height ({', '.join(heights)}; from the labelled cars' length)")
        print(f"person-sized movers {policy}: [tracker] alert_person_sized = {alert_people}")
    _say(
        "moving vehicles RGB, flagged at least once (goal >= 80 %)",
        _pct(len(flagged), len(objects)),
    )
    _say("motion detections on a real mover (goal >= 80 %)", _pct(hits, det_n))
    _say("  the same, vehicle-sized detections only", _pct(hits_sized, det_sized))
    moving = hits + reviewed["walker"] + reviewed["vehicle"]
    _say(
        "  by eye, walkers and unlabelled movers counted (with / without partial boxes)",
        f"{_pct(moving + reviewed['part'], det_n)} / {_pct(moving, det_n)}",
    )
    verdicts = ", ".join(f"{v} {reviewed[v]}" for v in VERDICTS)
    _say(f"  the review ({REVIEW.name}) of the rest", f"{verdicts}; not reviewed {reviewed[None]}")
    say_breakdown(_say, "all", kinds)
    say_breakdown(_say, "vehicle-sized" if known_height else "vehicle-area", kinds_sized)
    _say(
        "  extra: slow movers count as movers (all / vehicle-sized)",
        f"{_pct(hits_slow, det_n)} / {_pct(hits_slow_sized, det_sized)}",
    )
    minutes = watched_s / 60.0
    rate = f"{false_alerts / minutes:.2f}" if minutes > 0 else "n/a"
    _say(
        "false alerts per minute of RGB video (goal <= 1)",
        f"{rate} ({false_alerts} false of {alerts} alerts in {watched_s:.0f} s watched)",
    )
    small = false_alerts - false_sized
    _say(
        "  of which smaller than the smallest labelled vehicle",
        f"{small} (walkers and their shadows, unlabelled here, are most of them)",
    )
    if minutes > 0:
        _say("  false alerts per minute, vehicle-sized only", f"{false_sized / minutes:.2f}")
        nothing = false_by_eye["none"] + false_by_eye[None]
        verdicts = ", ".join(f"{v} {false_by_eye[v]}" for v in VERDICTS)
        _say(
            "  by eye, alerts on nothing moving per minute",
            f"{nothing / minutes:.2f} (the false ones: {verdicts}; not reviewed {false_by_eye[None]})",
        )
    per = sum(alerts_on.values()) / len(alerts_on) if alerts_on else float("nan")
    _say(
        "alerts per moving object (goal 1)",
        f"{per:.2f} ({sum(alerts_on.values())} alerts on {len(alerts_on)} moving objects)",
    )
    shared = sum(len(o) > 1 for o in objects_of.values())
    _say("  alerts whose detections lie on several moving objects", f"{shared} (goal 0)")
    if known_height:
        _say(
            "moving vehicles flagged by a vehicle-sized detection",
            _pct(len(flagged_veh), len(objects)),
        )
        _say('detections classed "vehicle-sized" on a real mover', _pct(hits_veh, det_veh))
        _say("  extra: slow movers count as movers", _pct(hits_slow_veh, det_veh))
        _say(
            'detections classed "person-sized"',
            f"{det_person} ({person_on_mover} of them on a labelled moving vehicle)",
        )
        _say("  confirmed person-sized movers that raised no alert", str(quiet))
        rate_veh = f"{false_veh / minutes:.2f}" if minutes > 0 else "n/a"
        _say(
            'false "vehicle-sized" alerts per minute',
            f"{rate_veh} ({false_veh} false of {alerts_veh} vehicle-sized alerts)",
        )


def thermal(folder: Path) -> None:
    if "thermal" not in DETECTOR_NAMES:
        _say("thermal people recall / precision per frame", "not available (no thermal detector)")
        return
    config = load_config()
    (det,) = build_detectors(["thermal"], config)
    ev = Evaluator(config, [det])
    tot = _Score()
    for i, p in enumerate(sorted(folder.glob("*.jpg"))):
        img = cv2.imread(str(p))
        lab = read_voc(p.with_suffix(".xml"), (img.shape[1], img.shape[0]))
        recs = [r for r in ev.process(i, i * 0.5, img, p.name) if r.code == "person"]
        _, scores = match_frame([(r.box, r.score, r.code) for r in recs], lab)
        tot.add(scores.get("person"))
    _say("thermal people recall per frame (goal >= 70 %)", _pct(tot.found, tot.labels))
    _say("thermal people precision per frame (goal >= 70 %)", _pct(tot.tp, tot.n))


def bloom(folders: dict[str, Path]) -> None:
    config = load_config()
    for name, folder in folders.items():
        ev = Evaluator(config, build_detectors(["bloom"], config))
        dets = 0
        for i, p in enumerate(sorted(folder.glob("*.jpg"))):
            dets += len(ev.process(i, float(i), cv2.imread(str(p)), p.name))
        _say(f"bloom false alerts on {name} (goal 0)", f"{ev.alerts} ({dets} detections)")


def speed(folder: Path, n: int = 250) -> None:
    """Default detectors (activity, bloom) at 1280x720, one OpenCV thread, frames at 25 fps.

    Frames per second of CPU time (this process alone; the machine may be shared) and of wall
    time; also with motion judged on every frame instead of at ``max_rate_hz``.
    """
    cv2.setNumThreads(1)
    config = load_config()
    items = _videos(folder, 1.0).get("DJI_0005", [])
    if not items:
        _say("default pipeline fps at 720p, one core", "skipped: no DJI_0005 frames")
        return
    imgs = [
        cv2.resize(cv2.imread(str(p)), (1280, 720), interpolation=cv2.INTER_AREA)
        for _, p in items[-8:]
    ]
    full = config.with_changes(activity={"max_rate_hz": 25.0})
    for label, cfg in (("default", config), ("motion judged on every frame", full)):
        ev = Evaluator(cfg, build_detectors(["activity", "bloom"], cfg))
        # A slow pan over consecutive real frames: each image is held for 12 frames (0.48 s).
        for i in range(n):
            ev.process(i, i / 25.0, imgs[(i // 12) % len(imgs)])
        _say(
            f"pipeline (activity, bloom) fps at 720p, one core, {label} (goal >= 25)",
            f"{ev.frames / ev.cpu_s:.1f} per CPU second ({ev.frames / ev.busy_s:.1f} wall)",
        )


def _model_run(folder: Path, config):
    """(evaluator, detector, score) of the ``model`` detector over the labelled frames."""
    (det,) = build_detectors(["model"], config)
    ev = Evaluator(config, [det])
    tot = _Score()
    for i, p in enumerate(sorted(folder.glob("*.jpg"))):
        img = cv2.imread(str(p))
        lab = read_yolo(p.with_suffix(".txt"), (img.shape[1], img.shape[0]), CAR_NAMES)
        recs = [r for r in ev.process(i, float(i), img, p.name) if r.code == "vehicle"]
        _, scores = match_frame([(r.box, r.score, r.code) for r in recs], lab)
        tot.add(scores.get("vehicle"))
    return ev, det, tot


def model(folder: Path, path: Path | None) -> None:
    """The ``model`` detector as configured: ``--model FILE``, else the shipped YOLOX-Nano; then
    the same at full resolution (``tile_max_px = 0``), the recall the default's speed costs."""
    if path is not None and not path.is_file():
        _say("model with tiling at 1080p", f"skipped: no such file {path}")
        return
    cv2.setNumThreads(1)
    config = load_config()
    try:
        if path is not None:
            config = config.with_changes(model={"path": str(path)})
        ev, det, tot = _model_run(folder, config)
        full = config.with_changes(model={"tile_max_px": 0})
        ev_full, det_full, tot_full = _model_run(folder, full)
    except Exception as exc:  # the bench reports every figure it can, never crashes
        _say("model with tiling at 1080p", f"skipped: {type(exc).__name__}: {str(exc)[:120]}")
        return
    if ev.frames == 0 or ev_full.frames == 0:
        _say("model with tiling at 1080p", f"skipped: no labelled frames in {folder}")
        return
    _say(
        "model at 1080p fps, one core (goal >= 2)",
        f"{ev.frames / ev.cpu_s:.2f} per CPU second ({ev.frames / ev.busy_s:.2f} wall)",
    )
    crops = det.stats["crops"] / max(1, det.stats["frames"])
    per_crop = ev.cpu_s / max(1, det.stats["crops"])
    _say("  crops per frame, time per crop", f"{crops:.0f}, {1000 * per_crop:.0f} ms of CPU")
    _say(
        "model vehicle recall / precision", f"{_pct(tot.found, tot.labels)} / {_pct(tot.tp, tot.n)}"
    )
    side = config.model.input_size
    least = np.ceil(1920 / side) * np.ceil(1080 / side)  # crops that just cover 1080p, no overlap
    crops_full = det_full.stats["crops"] / max(1, det_full.stats["frames"])
    per_crop_full = ev_full.cpu_s / max(1, det_full.stats["crops"])
    _say(
        "  at full resolution ([model] tile_max_px = 0): fps, crops, recall / precision",
        f"{ev_full.frames / ev_full.cpu_s:.2f} per CPU second, {crops_full:.0f} crops, "
        f"{_pct(tot_full.found, tot_full.labels)} / {_pct(tot_full.tp, tot_full.n)}; its floor "
        f"({least:.0f} crops, no overlap) is {1 / (least * per_crop_full):.2f} fps",
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=os.environ.get("GRIDPATROL_AERIAL"))
    ap.add_argument("--extra-rgb", type=Path, action="append", default=[])
    ap.add_argument(
        "--held-out",
        type=Path,
        action="append",
        default=[],
        help="labelled RGB frames of the same kind, scored on their own (not in the totals)",
    )
    ap.add_argument(
        "--kit-ais",
        type=Path,
        default=None,
        help="a clone of github.com/jekhor/aerial-cars-dataset: its three KIT AIS airborne image "
        "sequences (MOS*.png), scored as held out at KIT_SECONDS_PER_NUMBER",
    )
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--seconds-per-number", type=float, default=1.0)
    ap.add_argument(
        "--video",
        type=Path,
        action="append",
        default=[],
        help="a real video at its own frame rate, scored against --video-tracks",
    )
    ap.add_argument(
        "--video-tracks",
        type=Path,
        action="append",
        default=[],
        help="MOT CSV tracks of the moving vehicles of each --video, in the same order",
    )
    ap.add_argument("--video-first-frame", type=int, default=1, help="0 or 1 (MOT: 1)")
    ap.add_argument(
        "--oblique-video",
        type=Path,
        default=None,
        help="Kitware's MEVA UAV montage (uav-clips.mp4): alerts judged by a by-eye review",
    )
    args = ap.parse_args()
    data = args.data or Path("tests/fixtures/aerial")
    print(
        f"real data: {data}"
        + (" (test fixtures: too few frames for real figures)" if args.data is None else "")
    )
    rgb = data / "aerial-cars" if (data / "aerial-cars").is_dir() else data
    therm = data / "hit-uav-thermal"
    rgb_sets = [d for d in [rgb, *args.extra_rgb] if d.is_dir() and any(d.glob("*.txt"))]
    started = time.monotonic()
    if rgb_sets:
        print("RGB sets: " + ", ".join(str(d) for d in rgb_sets))
        spn = args.seconds_per_number
        held = [([h], spn, f"held out (no default was chosen on it): {h}") for h in args.held_out]
        kit = tempfile.TemporaryDirectory() if args.kit_ais else None
        if kit is not None and kit_sequences(args.kit_ais, Path(kit.name)):
            held.append(([Path(kit.name)], KIT_SECONDS_PER_NUMBER, KIT_TITLE))
        elif kit is not None:
            _say("KIT AIS sequences", f"skipped: no MOS*.png with labels in {args.kit_ais}")
        for sets, step, title in [(rgb_sets, spn, ""), *held]:
            if title:
                print(title)
            rgb_motion(sets, step)
            for people in (False, True):  # person-sized movers raise no alert / alert
                rgb_motion(sets, step, True, people)
        speed(rgb)
    else:
        _say("moving vehicles RGB", f"skipped: no labelled RGB frames in {rgb}")
    if len(args.video) != len(args.video_tracks):
        ap.error("give one --video-tracks file for each --video")
    for video, tracks in zip(args.video, args.video_tracks, strict=True):
        video_motion(video, tracks, args.video_first_frame)
    if args.oblique_video is not None:
        if args.oblique_video.is_file():
            oblique_alerts(args.oblique_video)
        else:
            _say("oblique video", f"skipped: no {args.oblique_video}")
    if therm.is_dir():
        thermal(therm)
    else:
        _say("thermal people", f"skipped: no {therm}")
    bloom({d.name: d for d in [*rgb_sets, therm] if d.is_dir()})
    for folder in [rgb, *args.held_out]:
        if folder != rgb:
            print(f"model, held out: {folder}")
        model(folder, args.model)
    print(f"(bench took {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
