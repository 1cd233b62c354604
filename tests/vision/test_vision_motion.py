"""Motion on REAL drone frames (tests/fixtures/aerial, see SOURCES.md): movers found, noise,
compression and camera motion ignored, one alert per mover, on frame sequences and 25 fps video.

The frames are two runs of three consecutive nadir frames (1 s apart) over Minsk junctions, with
every vehicle labelled; which of them move is derived by ``vision.evaluate.movers``.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import ROOT

from vision.config import load_config
from vision.detectors import build_detectors
from vision.detectors.base import Detection
from vision.detectors.shadows import shadow_like, strip_shadows
from vision.detectors.size_class import PERSON, VEHICLE
from vision.evaluate.labels import read_yolo
from vision.evaluate.matching import matches
from vision.evaluate.movers import SLOW_IOU, LabelledFrame, find_movers
from vision.evaluate.runner import Evaluator
from vision.geotag import GroundFix
from vision.source import ImageFolderSource, VideoFileSource
from vision.tracker import Observation, Tracker

RGB = ROOT / "tests" / "fixtures" / "aerial" / "rgb"
NAMES = ["car", "truck", "bus", "minibus"]
CONFIG = load_config()


def _frames(video: str, folder=RGB) -> list[LabelledFrame]:
    out = []
    for i, p in enumerate(sorted(folder.glob(f"{video}-*.jpg"))):
        img = cv2.imread(str(p))
        labels = read_yolo(p.with_suffix(".txt"), (img.shape[1], img.shape[0]), NAMES)
        out.append(LabelledFrame(float(i), img, labels))
    return out


def _activity() -> Evaluator:
    return Evaluator(CONFIG, build_detectors(["activity"], CONFIG))


@pytest.mark.parametrize("video", ["DJI_0005", "DJI-00760"])
def test_moving_vehicles_are_found_and_parked_ones_are_not(video):
    frames = _frames(video)
    movers, judged = find_movers(frames, CONFIG.activity.max_gap_s)
    assert judged == {1, 2} and len(movers) >= 20  # busy junctions: 10-21 movers a frame
    ev = _activity()
    per_frame = [ev.process(i, f.time, f.image) for i, f in enumerate(frames)]
    last, recs = frames[2], per_frame[2]
    moving = [last.labels.boxes[m.label].box for m in movers if m.frame == 2]
    parked = [
        lb.box
        for j, lb in enumerate(last.labels.boxes)
        if j not in {m.label for m in movers if m.frame == 2}
    ]
    found = sum(any(matches(r.box, b) for r in recs) for b in moving)
    on_parked = sum(
        any(matches(r.box, b) for b in parked) and not any(matches(r.box, b) for b in moving)
        for r in recs
    )
    assert found >= 0.8 * len(moving), (found, len(moving))
    # "Parked" is the labels' IoU >= 0.5 rule, which also covers cars creeping in a queue (one
    # in DJI_0005-0187 moved a quarter of its length): at most one such hit is allowed.
    assert on_parked <= max(1, 0.1 * len(parked)), (on_parked, len(parked))
    assert per_frame[0] == []  # nothing to compare the first frame with


@pytest.mark.parametrize("sigma", [2.0, 8.0])
def test_sensor_noise_on_a_still_scene_is_not_motion(sigma):
    """The threshold follows each pair's own noise: the same real frame with fresh noise of any
    level (seeded) is never motion."""
    base = cv2.imread(str(RGB / "DJI_0005-0185.jpg")).astype(np.float32)
    rng = np.random.default_rng(7)
    ev = _activity()
    found = []
    for i in range(4):
        noisy = np.clip(base + rng.normal(0, sigma, base.shape), 0, 255).astype(np.uint8)
        found += ev.process(i, float(i), noisy)
    assert found == []


def test_compression_artefacts_and_camera_pan_are_not_motion():
    """One real frame re-encoded at falling JPEG quality and seen through a panning window."""
    base = cv2.imread(str(RGB / "DJI-00760-00021.jpg"))
    ev = _activity()
    found = []
    for i, (quality, dx, dy) in enumerate([(90, 0, 0), (60, 14, 6), (35, 28, 12), (60, 40, 20)]):
        view = base[dy : dy + 480, dx : dx + 880]
        ok, jpg = cv2.imencode(".jpg", view, [cv2.IMWRITE_JPEG_QUALITY, quality])
        found += ev.process(i, float(i), cv2.imdecode(jpg, cv2.IMREAD_COLOR))
    assert ev.detectors[0].stats["no_ego_motion"] == 0
    assert found == []


def test_an_image_folder_at_the_default_fps_and_a_scene_cut():
    """Both runs in one folder at --fps 1: motion runs on every frame with a predecessor, and the
    cut between the two videos is counted, not guessed across."""
    src = ImageFolderSource(RGB, fps=1.0)
    ev = _activity()
    per_file = {}
    for frame in src:
        per_file[src.files[frame.index].stem] = ev.process(frame.index, frame.time, frame.image)
    stats = ev.detectors[0].stats
    assert stats["no_ego_motion"] == 1 and stats["no_reference"] == 1
    assert per_file["DJI_0005-0185"] == []  # first frame after the cut
    for stem in ("DJI-00760-00022", "DJI-00760-00023", "DJI_0005-0186", "DJI_0005-0187"):
        assert per_file[stem], stem


def test_25_fps_video_finds_the_movers_too(tmp_path):
    """The three frames as a 25 fps video (each held 0.52 s, as a slow pan would): motion is
    judged at 10 Hz against frames half a second back."""
    frames = _frames("DJI_0005")
    path = tmp_path / "clip.mp4"
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (960, 540))
    for f in frames:
        for _ in range(13):
            out.write(f.image)
    out.release()
    ev = _activity()
    hits = []
    for frame in VideoFileSource(path):
        recs = ev.process(frame.index, frame.time, frame.image)
        if frame.index >= 26:
            hits += [r for r in recs]
    stats = ev.detectors[0].stats
    assert stats["rate"] >= 20  # frames between the 10 Hz judgements are skipped, and counted
    movers, _ = find_movers(frames, CONFIG.activity.max_gap_s)
    last = [frames[2].labels.boxes[m.label].box for m in movers if m.frame == 2]
    found = sum(any(matches(r.box, b) for r in hits) for b in last)
    assert found >= 0.8 * len(last), (found, len(last))


def test_the_slow_mover_rule_adds_slow_vehicles_and_keeps_every_mover():
    """The extra figure's rule (SLOW_IOU) counts every mover of the benchmark's rule, a few slow
    vehicles more, and still calls the parked ones parked."""
    frames = _frames("DJI-00760")
    strict = {(m.frame, m.label) for m in find_movers(frames, CONFIG.activity.max_gap_s)[0]}
    lenient = find_movers(frames, CONFIG.activity.max_gap_s, SLOW_IOU)[0]
    slow = {(m.frame, m.label) for m in lenient}
    boxes = sum(len(f.labels.boxes) for f in frames[1:])
    assert strict < slow and len(slow) <= len(strict) + 0.1 * boxes
    assert len(slow) < 0.7 * boxes  # a busy junction, but most of its cars are parked


def test_one_alert_per_moving_vehicle():
    frames = _frames("DJI_0005")
    movers, _ = find_movers(frames, CONFIG.activity.max_gap_s)
    ev = _activity()
    tracks_on: dict[int, set[int]] = {}
    for i, f in enumerate(frames):
        for r in ev.process(i, f.time, f.image):
            for m in movers:
                if m.frame == i and r.track is not None:
                    if matches(r.box, f.labels.boxes[m.label].box):
                        tracks_on.setdefault(m.obj, set()).add(r.track)
    assert tracks_on, "movers seen in two frames are confirmed"
    assert all(len(t) == 1 for t in tracks_on.values()), tracks_on


def _mover(
    x: float, vx: float, vy: float, size: str | None = None, *, dt: float = 1.0
) -> Observation:
    """A mover at (x, 0) m that moved at (vx, vy) m/s over the last ``dt`` s."""
    shift = (vx * dt, vy * dt)
    det = Detection(
        (0, 0, 4, 4), 0.9, "activity", "activity", shift=shift, shift_s=dt, size_class=size
    )
    return Observation(det, GroundFix(x, 0.0, 0.0, 0.0, 0.0, 0, None), (x - shift[0], -shift[1]))


def test_a_mover_judged_ten_times_a_second_confirms_only_on_independent_displacements():
    """Each sighting's displacement is measured against a frame 0.5 s older. Sightings 0.1 s
    apart share most of that interval: the mover is confirmed once its sightings span 0.5 s,
    not at the second one, unless [tracker] min_span is 0."""

    def first_alert(config) -> float | None:
        tracker = Tracker(config.tracker)
        for n in range(10):
            t = n / 10.0
            if any(
                e.kind == "new" for e in tracker.update(t, [_mover(10.0 * t, 10.0, 0.0, dt=0.5)])
            ):
                return t
        return None

    assert first_alert(CONFIG) == 0.5
    assert first_alert(CONFIG.with_changes(tracker={"min_span": 0.0})) == 0.1


def test_each_car_of_a_queue_gets_its_own_alert_though_they_drive_alike():
    """Two cars 6.5 m apart (centre to centre: a car length and a short gap) at the same 10 m/s,
    judged 10 times a second. The rear car comes into view while the front one, already alerted,
    is missed for two frames: the rear car gets an alert of its own, not the front car's, and the
    front car keeps its alert when it is seen again."""
    tracker = Tracker(CONFIG.tracker)
    alerts: dict[str, set[int]] = {"front": set(), "rear": set()}
    for n in range(20):
        t = n / 10.0
        cars = {"front": 6.5 + 10.0 * t, "rear": 10.0 * t}
        seen = [c for c in cars if not (c == "front" and n in (5, 6) or c == "rear" and n < 4)]
        tracker.update(t, [_mover(cars[c], 10.0, 0.0, dt=0.1) for c in seen])
        for car, number in zip(seen, tracker.tracks, strict=True):
            if number is not None:
                alerts[car].add(number)
    assert alerts == {"front": {1}, "rear": {2}}


def test_an_alert_taken_up_again_is_in_view_and_not_shared_with_a_second_mover():
    """A mover confirmed near an alert lost a while ago continues it; a second mover confirmed
    in the same frame 12 m further on is another object, not the same alert again."""
    tracker = Tracker(CONFIG.tracker)
    events = [tracker.update(float(t), [_mover(10.0 * t, 10.0, 0.0)]) for t in (1, 2)]
    assert [len(e) for e in events] == [0, 1]  # alert at x = 20 m
    for t in range(3, 9):
        tracker.update(float(t), [])
    seen = [
        tracker.update(float(t), [_mover(t, 1.0, 0.0), _mover(t + 12, 1.0, 0.0)]) for t in (9, 10)
    ]
    assert seen[0] == [] and len(tracker.alerts) == 2, tracker.alerts


def test_a_person_sized_mover_is_counted_once_not_alerted_and_unknown_sizes_alert():
    tracker = Tracker(CONFIG.tracker)
    events = [
        tracker.update(float(t), [_mover(1.5 * t, 1.5, 0.0, "person-sized")]) for t in range(1, 5)
    ]
    assert events == [[], [], [], []] and tracker.quiet == 1  # one walker, four sightings
    # The same candidate seen vehicle-sized (a car misjudged once) alerts then.
    assert len(tracker.update(5.0, [_mover(7.5, 1.5, 0.0, "vehicle-sized")])) == 1
    for size in (None, "person-sized"):  # no height: no class, so it alerts; or when asked to
        config = CONFIG.with_changes(tracker={"alert_person_sized": size is not None})
        tracker = Tracker(config.tracker)
        events = [tracker.update(float(t), [_mover(10.0 * t, 10.0, 0.0, size)]) for t in (1, 2)]
        assert [len(e) for e in events] == [0, 1] and tracker.quiet == 0


def test_a_mover_is_confirmed_only_when_two_frame_pairs_measure_the_same_motion():
    # A car at 10 m/s measured twice: one alert.
    tracker = Tracker(CONFIG.tracker)
    events = [tracker.update(float(t), [_mover(10.0 * t, 10.0, 0.0)]) for t in range(1, 3)]
    assert [len(e) for e in events] == [0, 1]
    # A blob that stays put but whose "displacements" are chance matches (2 m/s one way, then
    # the other): near enough to be linked by position, but the motion disagrees, so no alert.
    tracker = Tracker(CONFIG.tracker)
    first = tracker.update(1.0, [_mover(0.0, 0.0, 2.0)])
    second = tracker.update(2.0, [_mover(0.0, 0.0, -2.0)])
    assert first == [] and second == []


def _sunlit_blobs(shadow_dx: int, shadow_dy: int, n: int = 6):
    """``n`` casters (10x10) with a shadow (10x10) at the given offset, on a 200x200 mask."""
    mask = np.zeros((200, 200), np.uint8)
    shade = np.zeros_like(mask)
    for i in range(n):
        x, y = 20 + (i % 3) * 60, 20 + (i // 3) * 80
        mask[y : y + 10, x : x + 10] = 255
        mask[y + shadow_dy : y + shadow_dy + 10, x + shadow_dx : x + shadow_dx + 10] = 255
        shade[y + shadow_dy : y + shadow_dy + 10, x + shadow_dx : x + shadow_dx + 10] = 255
    return mask, shade


def test_shadows_are_stripped_only_on_the_side_all_movers_agree_on():
    mask, shade = _sunlit_blobs(10, 5)
    out, stripped = strip_shadows(mask, shade, 5, 0.5, 12)
    assert stripped == 6 and cv2.countNonZero(out) == 6 * 100  # the casters are left
    # Too few movers to read the sun's side from, or a caster smaller than the smallest object
    # reported (a walker seen from high up is mostly shadow): nothing is removed.
    mask, shade = _sunlit_blobs(10, 5, n=3)
    assert strip_shadows(mask, shade, 5, 0.5, 12)[1] == 0
    mask, shade = _sunlit_blobs(10, 5)
    assert strip_shadows(mask, shade, 5, 0.5, 150)[1] == 0
    # Dark vehicles: their shadow-like parts lie on every side of their highlights, no sun side.
    mask, shade = np.zeros((200, 200), np.uint8), np.zeros((200, 200), np.uint8)
    for i, (dx, dy) in enumerate([(8, 0), (-8, 0), (0, 8), (0, -8), (6, 6), (-6, -6)]):
        x, y = 40 + (i % 3) * 50, 40 + (i // 3) * 80
        mask[y + dy : y + dy + 10, x + dx : x + dx + 10] = 255
        shade[y + dy : y + dy + 10, x + dx : x + dx + 10] = 255
        mask[y : y + 10, x : x + 10] = 255
        shade[y : y + 10, x : x + 10] = 0
    out, stripped = strip_shadows(mask, shade, 5, 0.5, 12)
    assert stripped == 0 and np.array_equal(out, mask)


def test_shadow_like_means_less_light_on_the_same_surface():
    rng = np.random.default_rng(5)
    ground = rng.uniform(60, 200, (20, 20, 3)).astype(np.float32)
    assert shadow_like(0.5 * ground, ground, 0.3, 0.04).all()  # half the light: a shadow
    assert not shadow_like(0.1 * ground + 1, ground, 0.3, 0.04).any()  # far too dark: an object
    red_car = ground.copy()
    red_car[..., 2] *= 0.9
    red_car[..., :2] *= 0.4
    assert not shadow_like(red_car, ground, 0.3, 0.04).any()  # darker, but another colour


def test_shadows_judged_only_where_asked_are_judged_the_same():
    """The motion detector asks only around its change; there the answer must not differ."""
    a, b = (cv2.imread(str(p)).astype(np.float32) for p in sorted(RGB.glob("DJI-00760-*.jpg"))[:2])
    where = np.zeros(a.shape[:2], np.uint8)
    where[100:300, 200:600] = 255
    where[400:420, 10:900] = 255
    full = shadow_like(a, b, 0.3, 0.04)
    part = shadow_like(a, b, 0.3, 0.04, where=where)
    assert np.array_equal(part[where > 0], full[where > 0]) and full[where > 0].any()
    assert not part[where == 0].any()


def test_sun_shadows_do_not_cost_movers_on_real_frames():
    frames = _frames("DJI-00760")  # a sunny morning: long shadows of cars and walkers
    movers, _ = find_movers(frames, CONFIG.activity.max_gap_s)
    found = {}
    for shadows in (False, True):
        cfg = CONFIG.with_changes(activity={"shadows": shadows})
        ev = Evaluator(cfg, build_detectors(["activity"], cfg))
        recs = [ev.process(i, f.time, f.image) for i, f in enumerate(frames)]
        found[shadows] = sum(
            any(matches(r.box, frames[m.frame].labels.boxes[m.label].box) for r in recs[m.frame])
            for m in movers
        )
        if shadows:
            assert ev.detectors[0].stats["shadows stripped"] > 0
    # Boxes without the shadow fit the cars (IoU >= 0.3) as often or more: 24 of 33 sightings
    # either way since a mover's blob is no longer cut to a 2 px sliver (before that, 22 -> 24).
    assert found[True] >= found[False], found


KIT = ROOT / "tests" / "fixtures" / "aerial" / "kit-ais"
# Two dark cars driving east along the street in the last frame (boxes read off the frames):
# each is of one even colour and fills the box of its change.
KIT_MOVERS = [(429, 99, 441, 106), (525, 100, 541, 107)]


def test_a_car_of_one_even_colour_is_not_taken_for_a_brightness_change():
    """Real airborne frames 0.5 s apart (KIT AIS, Munich). Inside its own box a dark car differs
    from the road it now covers by a brightness offset only; the alignment test, which removes
    such an offset, took every one for a brightness change. Judged with the unchanged road
    around it, each is found, and nothing else is."""
    ev = _activity()
    frames = sorted(KIT.glob("*.png"))
    assert len(frames) == 3
    recs = [ev.process(i, i * 0.5, cv2.imread(str(p))) for i, p in enumerate(frames)][-1]
    for car in KIT_MOVERS:
        assert any(matches(r.box, car) for r in recs), (car, recs)
    assert all(any(matches(r.box, car) for car in KIT_MOVERS) for r in recs), recs


def test_without_a_height_a_bus_turning_is_judged_not_refused_as_too_large():
    """A bus turning at a junction (DJI-00760-00013 -> 00014, 85 m) changes over 3,300 work
    pixels, its old and new places together. Without a height, blobs over ``max_area_px`` are
    taken for registration failures; the bound is 120 m2 seen from 60 m, so a vehicle filmed
    from a patrol height is judged. At the old 2,000 px (120 m2 from 113 m) it was refused."""
    frames = _frames("DJI-00760", RGB.parent / "rgb-bus")
    movers, _ = find_movers(frames, CONFIG.activity.max_gap_s)
    bus = next(
        frames[1].labels.boxes[m.label].box
        for m in movers
        if m.frame == 1 and frames[1].labels.boxes[m.label].name == "bus"
    )

    def found(config) -> bool:
        ev = Evaluator(config, build_detectors(["activity"], config))
        recs = [ev.process(i, f.time, f.image) for i, f in enumerate(frames)][1]
        return any(matches(r.box, bus) for r in recs)

    assert found(CONFIG)
    assert not found(CONFIG.with_changes(activity={"max_area_px": 2000.0}))


def test_without_a_height_a_mover_at_walking_pace_even_from_the_ceiling_is_person_sized():
    """With no height only bounds are known: from the 120 m ceiling a thing looks as large and
    as fast as it can be. A blob too large for a person there, but moving no faster than a
    walk even at that sampling, is held back like a walker (with its shadow, a walker's blob is
    often car-sized at the ceiling); moving faster, it stays unclassed and alerts. With a height
    the speed is not used: the size is measured."""
    act = build_detectors(["activity"], CONFIG)[0]
    bound = 0.25  # m per work pixel at the ceiling
    mask = np.zeros((40, 40), np.uint8)
    mask[10:30, 12:22] = 1  # 5 x 2.5 m at the bound: not person-sized by size
    walk = 2.0 / bound * 0.5  # px moved in 0.5 s at 2 m/s
    drive = 8.0 / bound * 0.5
    assert act._size(mask, None, bound, (walk, 0.0), 0.5) == PERSON
    assert act._size(mask, None, bound, (drive, 0.0), 0.5) is None
    assert act._size(mask, None, None, (walk, 0.0), 0.5) is None  # no bound: nothing said
    assert act._size(mask, 0.25, None, (walk, 0.0), 0.5) == VEHICLE  # measured, not bounded
