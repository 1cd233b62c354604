"""Frame sources: PTS timestamps, skipped corrupt images, reopening a broken stream with backoff."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vision.source import (
    ImageFolderSource,
    SourceError,
    StreamSource,
    VideoFileSource,
    declared_pixels,
    mp4_creation_time,
    open_source,
)


def _video(path, n=20, fps=10.0):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (64, 48))
    for i in range(n):
        w.write(np.full((48, 64, 3), (i * 12) % 256, np.uint8))
    w.release()
    return path


def test_video_file_frames_are_stamped_start_plus_pts(tmp_path):
    src = VideoFileSource(_video(tmp_path / "v.mp4"), start_time=1000.0)
    frames = list(src)
    assert src.length == 20 and src.stats.frames == 20 and src.stats.corrupt == 0
    assert [round(f.time - 1000.0, 3) for f in frames] == [round(i / 10, 3) for i in range(20)]
    assert int(frames[5].image.mean()) in range(55, 66)
    assert mp4_creation_time(tmp_path / "v.mp4") is None  # OpenCV leaves the field zero


def test_image_folder_skips_and_counts_corrupt_files(tmp_path):
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"img{i}.png"), np.full((40, 48, 3), 50 * i, np.uint8))
    (tmp_path / "img1b.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (tmp_path / "img1c.png").write_bytes(b"")  # an empty file made OpenCV raise, not return None
    (tmp_path / "notes.txt").write_text("ignored")
    src = ImageFolderSource(tmp_path, start_time=10.0, fps=2.0)
    frames = list(src)
    assert src.stats.corrupt == 2 and src.stats.frames == 3
    assert [f.time for f in frames] == [10.0, 10.5, 12.0]  # a skipped file keeps its slot


def test_frames_too_small_to_judge_or_declaring_too_many_pixels_are_skipped(tmp_path):
    """A 1x1 frame made the detectors' resize raise; a header of a few bytes can declare a
    20000 x 20000 image (1.2 GB decoded), so the size is read before decoding."""
    cv2.imwrite(str(tmp_path / "a.png"), np.full((64, 80, 3), 90, np.uint8))
    cv2.imwrite(str(tmp_path / "b.png"), np.full((1, 1, 3), 90, np.uint8))
    header = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + (20000).to_bytes(4, "big") * 2
    (tmp_path / "c.png").write_bytes(header + b"\x08\x02\x00\x00\x00" + b"\x00" * 64)
    assert declared_pixels((tmp_path / "c.png").read_bytes()) == 400_000_000
    assert declared_pixels((tmp_path / "a.png").read_bytes()) == 64 * 80
    src = ImageFolderSource(tmp_path)
    assert [f.image.shape for f in src] == [(64, 80, 3)]
    assert src.stats.corrupt == 2


def test_broken_stream_is_reopened_with_exponential_backoff(tmp_path):
    good = str(_video(tmp_path / "s.mp4", n=5))
    targets = iter([good, "/nonexistent/a", "/nonexistent/b", good])
    delays: list[float] = []
    ticks = iter(range(1000))
    src = StreamSource(
        "rtsp://camera/stream",
        clock=lambda: 5000.0 + next(ticks),
        sleep=delays.append,
        backoff=(0.5, 10.0),
        max_reopens=3,
        opener=lambda _target: cv2.VideoCapture(next(targets)),
    )
    frames = list(src)
    assert len(frames) == 10 and src.stats.reopens == 3
    assert delays == [0.5, 1.0, 2.0]
    assert [f.time for f in frames[:3]] == [5000.0, 5001.0, 5002.0]


def test_unopenable_sources_fail_with_one_line(tmp_path):
    with pytest.raises(SourceError, match="does not exist; check --video"):
        open_source(str(tmp_path / "missing.mp4"))
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(SourceError, match="cannot open video"):
        open_source(str(bad))
    with pytest.raises(SourceError, match="no images"):
        open_source(str(_empty(tmp_path)))


def _empty(tmp_path):
    d = tmp_path / "empty"
    d.mkdir()
    return d
