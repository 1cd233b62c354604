"""Where frames come from: video files, RTSP/HTTP streams, camera indices and image folders.

Every frame carries a timestamp: for files, the start time given plus the container's PTS; for
folders, the start time plus index / fps; for live sources, the wall clock at capture. A live
stream that breaks is reopened with exponential backoff. A frame that cannot be decoded, or a
JPEG file that was cut off, is skipped and counted, never passed on.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from mission.text import N_
from vision.errors import VisionError

__all__ = [
    "Frame",
    "FrameSource",
    "SourceStats",
    "SourceError",
    "VideoFileSource",
    "StreamSource",
    "ImageFolderSource",
    "open_source",
    "mp4_creation_time",
    "mvhd_offset",
    "jpeg_complete",
    "declared_pixels",
]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")


class SourceError(VisionError):
    """A frame source cannot be opened."""


@dataclass(frozen=True)
class Frame:
    index: int
    time: float
    image: np.ndarray


@dataclass
class SourceStats:
    frames: int = 0
    corrupt: int = 0
    reopens: int = 0


class FrameSource(Protocol):
    stats: SourceStats
    length: int | None

    def __iter__(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...


MIN_SIDE_PX = 32  # smaller than this, no detector has anything to judge (and resizing fails)
MAX_PIXELS = 100_000_000  # 8K video is 33 MP; a file declaring more is refused before decoding


def _usable(img) -> bool:
    return (
        img is not None
        and img.ndim == 3
        and min(img.shape[:2]) >= MIN_SIDE_PX
        and img.shape[0] * img.shape[1] <= MAX_PIXELS
    )


class VideoFileSource:
    """A video file; frame times are ``start_time`` + the presentation timestamp."""

    def __init__(self, path: Path, start_time: float = 0.0, max_bad_run: int = 50):
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(N_("video {path} does not exist; check --video", path=self.path))
        self.cap = cv2.VideoCapture(str(self.path))
        if not self.cap.isOpened():
            raise SourceError(
                N_("OpenCV cannot open video {path}; is it a video file?", path=self.path)
            )
        self.start_time = start_time
        self.max_bad_run = max_bad_run
        n = int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.length = n if n > 0 else None
        self.fps = self.cap.get(cv2.CAP_PROP_FPS) or 0.0
        self.stats = SourceStats()

    def __iter__(self) -> Iterator[Frame]:
        bad_run = 0
        index = 0
        while bad_run <= self.max_bad_run:
            if not self.cap.grab():
                if self.length is not None and index < self.length - 1:
                    self.stats.corrupt += 1
                    bad_run += 1
                    index += 1
                    continue
                return
            pts = self.cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            ok, img = self.cap.retrieve()
            if not ok or not _usable(img):
                self.stats.corrupt += 1
                bad_run += 1
                index += 1
                continue
            bad_run = 0
            if pts <= 0 and index > 0 and self.fps > 0:
                pts = index / self.fps
            self.stats.frames += 1
            yield Frame(index, self.start_time + pts, img)
            index += 1

    def close(self) -> None:
        self.cap.release()


class StreamSource:
    """A live stream or camera; stamped with the wall clock, reopened with backoff when it breaks."""

    def __init__(
        self,
        target: str | int,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        backoff: tuple[float, float] = (0.5, 10.0),
        max_reopens: int | None = None,
        opener: Callable[[str | int], cv2.VideoCapture] = cv2.VideoCapture,
    ):
        self.target = target
        self.clock, self.sleep = clock, sleep
        self.backoff = backoff
        self.max_reopens = max_reopens
        self.opener = opener
        self.length = None
        self.stats = SourceStats()
        self.cap = opener(target)
        if not self.cap.isOpened():
            raise SourceError(
                N_(
                    "cannot open stream {target}; check the URL/camera and the network",
                    target=target,
                )
            )
        self._stop = False

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        delay = self.backoff[0]
        while not self._stop:
            ok, img = self.cap.read()
            if ok and _usable(img):
                delay = self.backoff[0]
                self.stats.frames += 1
                yield Frame(index, self.clock(), img)
                index += 1
                continue
            if ok:
                self.stats.corrupt += 1
                continue
            if self.max_reopens is not None and self.stats.reopens >= self.max_reopens:
                return
            self.cap.release()
            self.sleep(delay)
            delay = min(delay * 2, self.backoff[1])
            self.stats.reopens += 1
            self.cap = self.opener(self.target)

    def close(self) -> None:
        self._stop = True
        self.cap.release()


def _read_image(path: Path) -> np.ndarray | None:
    """The image, or None when unreadable or a truncated JPEG (libjpeg would fill the missing
    part with grey and only warn, so a cut-off file would pass as a half-grey frame)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data or (path.suffix.lower() in (".jpg", ".jpeg") and not jpeg_complete(data)):
        return None
    if declared_pixels(data) > MAX_PIXELS:  # a few bytes can declare gigabytes of pixels
        return None
    try:
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:  # a header OpenCV refuses outright (e.g. dimensions past its limit)
        return None


def declared_pixels(data: bytes) -> int:
    """Width x height as a PNG or JPEG header declares it (0 for other formats or no header)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width * height
    if data[:2] != b"\xff\xd8":
        return 0
    i = 2
    while i + 9 <= len(data) and data[i] == 0xFF:
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start of frame
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width * height
        i += 2 + length
    return 0


def jpeg_complete(data: bytes) -> bool:
    """Whether a JPEG's last scan is followed by its end-of-image marker (FF D9).

    The last start-of-scan (FF DA) is the main image's (EXIF thumbnails come before it), so an
    end marker after it means the compressed data was not cut off.
    """
    sos = data.rfind(b"\xff\xda")
    return data[:2] == b"\xff\xd8" and sos >= 0 and data.find(b"\xff\xd9", sos) >= 0


class ImageFolderSource:
    """Images in name order; frame ``i`` is at ``start_time + i / fps``."""

    def __init__(self, folder: Path, start_time: float = 0.0, fps: float = 1.0):
        if not 0 < fps <= 1000:  # NaN fails too; at inf every frame had the same time
            raise SourceError(N_("--fps must be a positive number, got {fps}", fps=fps))
        self.folder = Path(folder)
        self.files = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise SourceError(
                N_(
                    "no images ({image_suffixes}) in {folder}",
                    image_suffixes=", ".join(IMAGE_SUFFIXES),
                    folder=self.folder,
                )
            )
        self.start_time, self.fps = start_time, fps
        self.length = len(self.files)
        self.stats = SourceStats()

    def __iter__(self) -> Iterator[Frame]:
        for i, path in enumerate(self.files):
            img = _read_image(path)
            if not _usable(img):
                self.stats.corrupt += 1
                continue
            self.stats.frames += 1
            yield Frame(i, self.start_time + i / self.fps, img)

    def close(self) -> None:
        pass


_MP4_EPOCH = 2_082_844_800  # seconds from 1904-01-01 (QuickTime/MP4 time) to 1970-01-01


def _mp4_boxes(f, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload offset, payload end) of the boxes between ``start`` and ``end``."""
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        head = f.read(16)
        if len(head) < 8:
            return
        size, kind = struct.unpack(">I4s", head[:8])
        body = pos + 8
        if size == 1 and len(head) == 16:
            size, body = struct.unpack(">Q", head[8:16])[0], pos + 16
        elif size == 0:
            size = end - pos
        if size < 8:
            return
        yield kind, body, pos + size
        pos += size


def mvhd_offset(path: Path) -> tuple[int, int] | None:
    """(file offset of the creation time in the ``mvhd`` box, its width in bytes), if any."""
    try:
        with open(path, "rb") as f:
            end = f.seek(0, 2)
            for kind, body, stop in _mp4_boxes(f, 0, end):
                if kind == b"moov":
                    for inner, ibody, _ in _mp4_boxes(f, body, stop):
                        if inner == b"mvhd":
                            f.seek(ibody)
                            version = f.read(1)
                            return ibody + 4, 8 if version == b"\x01" else 4
    except OSError:
        return None
    return None


def mp4_creation_time(path: Path) -> float | None:
    """Epoch seconds of an MP4/MOV's ``mvhd`` creation time, or None when absent or zero.

    Cameras write it at the start of recording (in UTC by the standard; check your camera).
    """
    where = mvhd_offset(path)
    if where is None:
        return None
    offset, width = where
    with open(path, "rb") as f:
        f.seek(offset)
        raw = f.read(width)
    value = int.from_bytes(raw, "big") if len(raw) == width else 0
    return float(value - _MP4_EPOCH) if value > _MP4_EPOCH else None


def open_source(spec: str, start_time: float = 0.0, fps: float = 1.0) -> FrameSource:
    """A file path, image folder, ``rtsp://``/``http(s)://`` URL, or camera index (``0``)."""
    if spec.isdigit():
        return StreamSource(int(spec))
    if "://" in spec:
        return StreamSource(spec)
    path = Path(spec)
    if path.is_dir():
        return ImageFolderSource(path, start_time, fps)
    return VideoFileSource(path, start_time)
