"""Moving things seen from a moving camera, on 25-30 fps video and on frames 0.5-2 s apart.

1. Motion is judged at most ``max_rate_hz`` times a second (a 25 fps video is judged at 10 Hz,
   plenty to see a vehicle move and to confirm it; the frames between are counted as skipped).
   Each judged frame is compared with the latest earlier frame at least ``gap_s`` older (and, when
   there is one, with a second one ``gap_s`` older still), but never one more than
   ``max_gap_s`` older: so 30 fps video is compared across half a second, and a folder of frames
   a second apart with the previous frame. The camera's own motion is removed with a ground
   homography (``vision.ego_motion``). The sky above a horizon in view is left out of both
   (``vision.detectors.sky``).
2. The threshold of change is set from that pair's own noise: ``noise_k`` times a robust
   standard deviation (1.4826 x MAD) of the registered difference. Real compressed video is far
   noisier than rendered footage, and differently so from camera to camera and frame to frame,
   so no fixed grey level holds. The difference tolerates one pixel of misregistration (it is
   measured against the local min/max of the warped frame). With two earlier frames, only change
   against both is kept: that is where a mover is now, not where it was.
3. Movers' cast shadows are stripped from the change (``vision.detectors.shadows``: darker,
   same chromaticity, on the side of their caster that all movers of the frame agree on).
4. Blobs of change within the size bounds (square metres with a known height, else pixels) go
   through the tests of ``motion_tests`` (local alignment, ghost, consistent displacement),
   and, when ``parallax_max_ratio`` is set, the parallax test of ``parallax`` (off by default).
5. Against a single earlier frame, a mover's blob also holds the place it left, and in traffic
   the ghosts and shadows of its neighbours: only the pixels that moved with its measured
   displacement are kept, and their separate parts are separate movers
   (``vision.detectors.motion_support``). With two earlier frames the change is already where
   the mover is now, and the blob is kept whole. When the displacement explains too little of
   a blob to say, and the blob was cut to its leading end (a uniform car changes only at its
   ends, so that end can be a sliver), the box is grown through the change above a lower
   threshold (``WEAK_SHARE`` of the threshold) no further than the displacement
   (``motion_support.grown_box``).
6. With a height each mover gets a size class (``vision.detectors.size_class``). A vehicle-sized
   one wider across its motion than ``abreast_m`` is cut into the vehicles driving abreast in it
   (``vision.detectors.abreast``). A vehicle-sized one whose displacement runs across its length
   is no vehicle driving, and is dropped (counted as "sideways"). Without one, a mover that is
   person-sized, or no faster than ``walker_max_mps``, even seen from ``unknown_height_bound_m``
   (the altitude ceiling, from which things look as large and as fast as they can be) is
   classed person-sized; others get none.

Frames whose ego-motion cannot be estimated, or where too much of the picture changes (a
registration failure), report nothing rather than guesses, and are counted in ``stats``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from vision.config import ActivityConfig
from vision.detectors.abreast import split_abreast
from vision.detectors.base import Detection, FrameContext, scale_box
from vision.detectors.motion_support import Part, grown_box, moved_parts
from vision.detectors.motion_tests import Blob, judge
from vision.detectors.parallax import ground_flow, parallax_like
from vision.detectors.shadows import shadow_like, strip_shadows
from vision.detectors.size_class import PERSON, VEHICLE, moves_across, size_class
from vision.detectors.sky import sky_mask
from vision.ego_motion import Features, features, register

__all__ = ["ActivityDetector"]

_K3 = np.ones((3, 3), np.uint8)
_BORDER_PX = 4  # JPEG blocks and lens fall-off make the picture's own edge unreliable
_MAD_TO_SIGMA = 1.4826
_QUANTISATION_SIGMA = 1 / np.sqrt(6)  # the difference of two 8-bit images is never finer
# The lower threshold a sliver's box grows through, as a share of the change threshold: at
# noise_k = 4 it is 3 sigma, where Gaussian noise marks 0.3 % of pixels. On the real sets the box
# only, never the size class, is grown: classed on the grown pixels, walkers joined to their
# surroundings became vehicle-sized (vehicle-sized precision 74.4 -> 66.7 % held out).
WEAK_SHARE = 0.75


@dataclass
class _Past:
    time: float
    grey: np.ndarray  # smoothed working image, float32
    valid: np.ndarray
    feats: Features
    colour: np.ndarray | None = None  # smoothed working colour image, float32
    link: tuple[float, np.ndarray] | None = None  # (time of its reference, homography from it)


class ActivityDetector:
    name = "activity"

    def __init__(self, config: ActivityConfig):
        self.cfg = config
        self.orb = cv2.ORB_create(nfeatures=config.orb_features, fastThreshold=10)
        self.history: deque[_Past] = deque()
        self.stats = {
            "frames": 0,
            "rate": 0,
            "no_reference": 0,
            "no_ego_motion": 0,
            "discarded": 0,
            "blobs": 0,
            "local noise": 0,
            "aligned": 0,
            "ghost": 0,
            "no match": 0,
            "shadows stripped": 0,
            "too many blobs": 0,
            "parallax": 0,
            "sideways": 0,
            "sky": 0,
        }

    def detect(self, ctx: FrameContext) -> list[Detection]:
        self.stats["frames"] += 1
        cfg = self.cfg
        last = self.history[-1].time if self.history else None
        self.looked = not (last is not None and 0 <= ctx.time - last < 1.0 / cfg.max_rate_hz - 1e-6)
        if not self.looked:
            self.stats["rate"] += 1  # judged at most max_rate_hz times a second
            return []
        bgr, grey, hidden, scale = ctx.work(cfg.work_width)
        if cfg.channel == "red":
            grey = cv2.extractChannel(bgr, 2)
        orb_grey = grey
        # Smoothed in float: rounded to 8 bits, most differences of a still scene would be 0 and
        # the noise estimate would collapse.
        grey = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), cfg.smooth_px)
        valid = np.full(grey.shape, 255, np.uint8) if hidden is None else cv2.bitwise_not(hidden)
        b = _BORDER_PX
        valid[:b], valid[-b:], valid[:, :b], valid[:, -b:] = 0, 0, 0, 0
        sky = sky_mask(bgr) if cfg.sky else None
        if sky is not None:
            valid[sky > 0] = 0  # nothing drives there, and the sky does not register
            self.stats["sky"] += 1
        now = _Past(ctx.time, grey, valid, features(self.orb, orb_grey, valid))
        if cfg.shadows:
            now.colour = cv2.GaussianBlur(bgr.astype(np.float32), (0, 0), cfg.smooth_px)
        ref1 = self._reference(ctx.time - cfg.gap_s, ctx.time)
        ref2 = self._reference(ref1.time - cfg.gap_s, ctx.time) if ref1 else None
        self._remember(now)
        if ref1 is None:
            self.stats["no_reference"] += 1
            return []
        h1 = self._homography(ref1, now)
        first = self._difference(ref1, now, h1) if h1 is not None else None
        if first is None:
            self.stats["no_ego_motion"] += 1
            return []
        now.link = (ref1.time, h1)
        diff, warped, valid, sigma = first
        threshold = cfg.noise_k * max(sigma, _QUANTISATION_SIGMA)
        mask = cv2.compare(diff, threshold, cv2.CMP_GT)
        changed = cv2.bitwise_and(mask, valid).astype(np.float32) / 255.0
        second = None
        if ref2 is not None:
            if ref1.link is not None and abs(ref1.link[0] - ref2.time) < 1e-6:
                h2 = h1 @ ref1.link[1]  # chained: no second feature match
            else:
                h2 = self._homography(ref2, now)
            second = self._difference(ref2, now, h2) if h2 is not None else None
        if second is not None:
            mask = cv2.bitwise_and(mask, cv2.compare(second[0], threshold, cv2.CMP_GT))
        mask = cv2.bitwise_and(mask, valid)
        shade = None  # shadow-like pixels, for telling a vehicle's side from its shadow
        if cfg.shadows:
            size = (now.grey.shape[1], now.grey.shape[0])
            before = cv2.warpPerspective(ref1.colour, h1, size, flags=cv2.INTER_LINEAR)
            gsd = ctx.gsd_m * scale if ctx.gsd_m else None
            k = self._group_kernel(gsd)
            # Judged only where blobs can reach once grouped (closing stays inside the dilation).
            near = cv2.dilate(mask, np.ones((k, k), np.uint8)) if k > 1 else mask
            shade = shadow_like(
                now.colour, before, cfg.shadow_min_ratio, cfg.shadow_max_chroma, where=near
            )
            min_px = cfg.min_area_m2 / gsd**2 if gsd else cfg.min_area_px
            mask, stripped = strip_shadows(
                mask, shade, cfg.shadow_min_casters, cfg.shadow_agreement, min_px
            )
            self.stats["shadows stripped"] += stripped
        if cv2.countNonZero(mask) > cfg.max_frame_fraction * max(1, cv2.countNonZero(valid)):
            self.stats["discarded"] += 1
            return []
        dt = ctx.time - ref1.time
        trim = second is None
        weak = None  # change above the lower threshold, for boxes cut to a sliver
        if trim:
            weak = cv2.bitwise_and(cv2.compare(diff, WEAK_SHARE * threshold, cv2.CMP_GT), valid)
        return self._movers(
            ctx, now, warped, mask, changed, weak, shade, sigma, scale, dt, trim, h1
        )

    def _movers(
        self, ctx, now: _Past, warped, mask, changed, weak, shade, sigma, scale, dt, trim, h1
    ) -> list[Detection]:
        cfg = self.cfg
        gsd = ctx.gsd_m * scale if ctx.gsd_m else None
        k = self._group_kernel(gsd)
        if gsd:
            min_px, max_px = cfg.min_area_m2 / gsd**2, cfg.max_area_m2 / gsd**2
            max_shift = cfg.max_speed_mps * dt / gsd
        else:
            min_px, max_px = cfg.min_area_px, cfg.max_area_px
            max_shift = cfg.max_shift_per_s * now.grey.shape[1] * dt
        bound = None
        if not gsd:
            bound = ctx.gsd_at(cfg.unknown_height_bound_m)
            bound = bound * scale if bound else None
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        sized = [
            i
            for i in range(1, n)
            if min_px <= stats[i, 4] <= max_px and _compact(stats[i, 2], stats[i, 3])
        ]
        self.stats["blobs"] += len(sized)
        if len(sized) > cfg.max_blobs:
            self.stats["too many blobs"] += len(sized) - cfg.max_blobs
            sized = sorted(sized, key=lambda i: -stats[i, 4])[: cfg.max_blobs]
        out = []
        for i in sized:
            x, y, w, h = (int(v) for v in stats[i, :4])
            blob = Blob(x, y, w, h, (labels[y : y + h, x : x + w] == i).astype(np.uint8))
            verdict = judge(
                blob,
                now.grey,
                warped,
                sigma,
                local_px=cfg.local_px,
                max_shift_px=max(cfg.local_px + 1, int(np.ceil(max_shift))),
                min_ncc=cfg.min_ncc,
                trim=trim,
                changed=changed,
                noise_k=cfg.noise_k,
            )
            if verdict.reason:
                self.stats[verdict.reason] += 1
                continue
            if cfg.parallax_max_ratio > 0 and parallax_like(
                verdict.shift,
                ground_flow(h1, x + w / 2, y + h / 2),
                cfg.parallax_max_ratio,
                cfg.parallax_min_cos,
            ):
                self.stats["parallax"] += 1
                continue
            shift = (verdict.shift[0] * scale, verdict.shift[1] * scale)
            parts = trim and moved_parts(
                blob,
                now.grey,
                warped,
                changed,
                verdict.shift,
                cfg.noise_k * max(sigma, _QUANTISATION_SIGMA),
                gap_px=k,
                min_px=min_px,
            )
            boxes = None
            if not parts:
                bx, by, bw, bh = verdict.box
                own = blob.mask[by - y : by - y + bh, bx - x : bx - x + bw]
                parts = [Part(verdict.box, own)]
                moved = float(np.hypot(*verdict.shift))
                cut = verdict.box != (x, y, w, h)  # cut to its leading end
                if weak is not None and cut and np.isfinite(moved):
                    boxes = [grown_box(verdict.box, own, weak, int(np.ceil(moved)))]
            if gsd and not boxes:
                parts = self._abreast(parts, verdict.shift, gsd, shade)
            for n_part, part in enumerate(parts):  # not ``k``: that is the grouping kernel
                box = scale_box(*(boxes[n_part] if boxes else part.box), scale)
                size = self._size(part.mask, gsd, bound, verdict.shift, dt)
                if size == VEHICLE and moves_across(part.mask, verdict.shift, gsd):
                    self.stats["sideways"] += 1  # vehicles drive along their length
                    continue
                out.append(
                    Detection(
                        box,
                        verdict.score,
                        self.name,
                        "activity",
                        shift=shift,
                        shift_s=dt,
                        size_class=size,
                    )
                )
        return out

    def _group_kernel(self, gsd: float | None) -> int:
        """Side (odd, work px) of the closing that groups moving pixels into one object."""
        if gsd:
            return 2 * int(round(self.cfg.group_m / gsd / 2)) + 1
        return 2 * (self.cfg.group_px // 2) + 1

    def _abreast(self, parts: list[Part], shift, gsd: float, shade) -> list[Part]:
        """Vehicle-sized parts cut into the vehicles driving abreast in them (``abreast``)."""
        cfg = self.cfg
        return [
            side
            for part in parts
            for side in split_abreast(
                part,
                shift,
                gsd,
                abreast_m=cfg.abreast_m,
                shade=shade,
                min_width_m=cfg.vehicle_min_width_m,
                min_length_m=cfg.vehicle_min_length_m,
            )
        ]

    def _size(
        self,
        mask: np.ndarray,
        gsd: float | None,
        bound: float | None,
        shift: tuple[float, float],
        dt: float,
    ) -> str | None:
        """The mover's size class at the frame's sampling ``gsd``; without one, person-sized
        only when it is so even at ``bound`` (the sampling from ``unknown_height_bound_m``, the
        largest a thing can look), or moved by ``shift`` (work px) in ``dt`` s no faster than
        ``walker_max_mps`` even at that sampling (the fastest it can be: walking pace); else no
        class. A bound can say "small" or "slow", never "a vehicle"."""
        width, length = self.cfg.vehicle_min_width_m, self.cfg.vehicle_min_length_m
        if gsd:
            return size_class(mask, gsd, width, length)
        if not bound:
            return None
        if size_class(mask, bound, width, length) == PERSON:
            return PERSON
        fastest = float(np.hypot(*shift)) * bound / dt if dt > 0 else math.inf
        return PERSON if fastest <= self.cfg.walker_max_mps else None

    def _reference(self, t: float, now: float) -> _Past | None:
        """The latest remembered frame taken at or before ``t`` and within ``max_gap_s``."""
        best = None
        for past in self.history:
            if past.time <= t + 1e-6 and now - past.time <= self.cfg.max_gap_s + 1e-6:
                best = past
        return best

    def _remember(self, now: _Past) -> None:
        """Keep the judged frames of the last ``max_gap_s`` (bounded by ``max_rate_hz``)."""
        if self.history and now.time < self.history[-1].time:
            self.history.clear()  # time went backwards: a new clip
        self.history.append(now)
        while self.history and self.history[0].time < now.time - self.cfg.max_gap_s:
            self.history.popleft()

    def _homography(self, ref: _Past, now: _Past) -> np.ndarray | None:
        cfg = self.cfg
        reg = register(
            ref.feats,
            now.feats,
            estimator=cfg.estimator,
            reproj_px=cfg.ransac_px,
            min_inliers=cfg.min_matches,
            min_inlier_share=cfg.min_inlier_share,
        )
        return None if reg is None else reg.homography

    def _difference(self, ref: _Past, now: _Past, h: np.ndarray):
        """(change beyond the warped frame's local range, warped frame, valid mask, noise sigma)."""
        size = (now.grey.shape[1], now.grey.shape[0])
        warped = cv2.warpPerspective(ref.grey, h, size, flags=cv2.INTER_LINEAR)
        wvalid = cv2.warpPerspective(ref.valid, h, size, flags=cv2.INTER_NEAREST)
        valid = cv2.erode(cv2.bitwise_and(wvalid, now.valid), _K3, iterations=3)
        if cv2.countNonZero(valid) < 0.2 * valid.size:
            return None
        m_now, m_ref = cv2.mean(now.grey, valid)[0], cv2.mean(warped, valid)[0]
        if m_ref > 1.0:
            warped = warped * np.float32(m_now / m_ref)
        residual = (now.grey - warped)[::2, ::2][valid[::2, ::2] > 0]
        sigma = _MAD_TO_SIGMA * float(np.median(np.abs(residual - np.median(residual))))
        hi = cv2.dilate(warped, _K3)
        lo = cv2.erode(warped, _K3)
        diff = cv2.max(cv2.subtract(now.grey, hi), cv2.subtract(lo, now.grey))
        return diff, warped, valid, sigma


def _compact(w: int, h: int) -> bool:
    """A blob an object could make: lines under 3 px thick or over 8:1 are edges flickering
    under sub-pixel misregistration (aliasing), never a vehicle or a person."""
    return min(w, h) >= 3 and max(w, h) <= 8 * min(w, h)
