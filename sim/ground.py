"""A procedural ground texture for the district: roads, rooftops, courtyards, trees and green plots.

The ground is cut into square blocks of ``block_m`` metres on the world grid. Each block is drawn
from its own seed (the texture seed and the block's grid index), so any window of the ground
renders the same way every time, whatever order it is asked in, and block edges always match.
Roads run along every block's south and west edges, giving the city a street grid.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import cv2
import numpy as np
from shapely.geometry import Polygon, box

__all__ = ["GroundTexture", "BlockKind", "Mosaic"]

ROAD_M = 7.0

_ROOF_COLOURS = [(158, 160, 155), (150, 112, 70), (72, 88, 128), (120, 125, 128), (185, 185, 180)]
_GRASS = (62, 128, 72)
_CROP = [(48, 118, 60), (40, 98, 52)]
_TREE = (32, 82, 38)
_PAVING = (168, 172, 178)
_SOIL = (84, 106, 124)
_ASPHALT = (70, 70, 72)


class BlockKind:
    ROOFS = "roofs"
    COURTYARD = "courtyard"
    GREEN = "green"
    PARK = "park"


@dataclass(frozen=True)
class Mosaic:
    """A rendered window of the ground: ``image`` with its top-left corner at world (x0, y1)."""

    image: np.ndarray
    x0: float
    y1: float
    m_per_px: float

    def tex_to_world(self) -> np.ndarray:
        s = self.m_per_px
        return np.array([[s, 0.0, self.x0], [0.0, -s, self.y1], [0.0, 0.0, 1.0]])


class GroundTexture:
    """Renders any window of the procedural ground at ``m_per_px``, caching recent blocks.

    ``paint`` optionally fills given world polygons with one flat colour, which tests use to
    recognise every pixel of a privacy zone in the output.
    """

    def __init__(
        self,
        seed: int,
        m_per_px: float = 0.15,
        block_m: float = 40.0,
        paint: tuple[tuple[Polygon, tuple[int, int, int]], ...] = (),
        cache_blocks: int = 256,
    ):
        self.seed = seed
        self.block_m = block_m
        self.px = max(8, int(round(block_m / m_per_px)))
        self.m_per_px = block_m / self.px
        self.paint = paint
        self._cache: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._cache_blocks = cache_blocks

    def kind(self, bx: int, by: int) -> str:
        r = self._rng(bx, by, 0).random()
        if r < 0.45:
            return BlockKind.ROOFS
        if r < 0.65:
            return BlockKind.COURTYARD
        if r < 0.85:
            return BlockKind.GREEN
        return BlockKind.PARK

    def block_index(self, x: float, y: float) -> tuple[int, int]:
        return int(math.floor(x / self.block_m)), int(math.floor(y / self.block_m))

    def plot_area(self, bx: int, by: int) -> Polygon:
        """The part of a block inside its roads (where plots, roofs and trees are)."""
        b = self.block_m
        return box(bx * b + ROAD_M, by * b + ROAD_M, (bx + 1) * b - 1.0, (by + 1) * b - 1.0)

    def render(self, x0: float, y0: float, x1: float, y1: float) -> Mosaic:
        bx0, by0 = self.block_index(x0, y0)
        bx1, by1 = self.block_index(x1, y1)
        p = self.px
        img = np.empty(((by1 - by0 + 1) * p, (bx1 - bx0 + 1) * p, 3), np.uint8)
        for by in range(by0, by1 + 1):
            row = (by1 - by) * p
            for bx in range(bx0, bx1 + 1):
                col = (bx - bx0) * p
                img[row : row + p, col : col + p] = self.block(bx, by)
        return Mosaic(img, bx0 * self.block_m, (by1 + 1) * self.block_m, self.m_per_px)

    def block(self, bx: int, by: int) -> np.ndarray:
        key = (bx, by)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        img = self._draw(bx, by)
        self._cache[key] = img
        if len(self._cache) > self._cache_blocks:
            self._cache.popitem(last=False)
        return img

    def _rng(self, bx: int, by: int, salt: int) -> np.random.Generator:
        return np.random.default_rng(
            [self.seed & 0xFFFFFFFF, bx & 0xFFFFFFFF, by & 0xFFFFFFFF, salt]
        )

    def _draw(self, bx: int, by: int) -> np.ndarray:
        p, s = self.px, self.m_per_px
        rng = self._rng(bx, by, 1)
        kind = self.kind(bx, by)
        img = np.empty((p, p, 3), np.uint8)
        img[:] = _PAVING if kind in (BlockKind.ROOFS, BlockKind.COURTYARD) else _SOIL

        def m(v: float) -> int:
            return int(round(v / s))

        lo, hi = m(ROAD_M), p - m(1.0)
        if kind == BlockKind.ROOFS:
            self._roofs(img, rng, lo, hi, m)
        elif kind == BlockKind.COURTYARD:
            for _ in range(int(rng.integers(2, 6))):
                self._tree(img, rng, lo, hi, m)
        elif kind == BlockKind.GREEN:
            img[p - hi : p - lo, lo:hi] = _GRASS
            step = max(2, m(rng.uniform(0.8, 1.6)))
            for i, x in enumerate(range(lo, hi, step)):
                cv2.line(img, (x, p - hi), (x, p - lo - 1), _CROP[i % 2], max(1, step // 2))
        else:
            img[p - hi : p - lo, lo:hi] = _GRASS
            for _ in range(int(rng.integers(6, 14))):
                self._tree(img, rng, lo, hi, m)
        self._roads(img, m)
        grain = rng.normal(0.0, 7.0, (p // 2 + 1, p // 2 + 1)).astype(np.float32)
        grain = cv2.resize(grain, (p, p), interpolation=cv2.INTER_LINEAR)[..., None]
        img = np.clip(img.astype(np.float32) + grain, 0, 255).astype(np.uint8)
        for poly, colour in self.paint:
            self._paint(img, bx, by, poly, colour)
        return img

    def _roofs(self, img, rng, lo, hi, m) -> None:
        p = img.shape[0]
        for _ in range(int(rng.integers(1, 4))):
            w, h = m(rng.uniform(8, 24)), m(rng.uniform(8, 20))
            x = int(rng.integers(lo, max(lo + 1, hi - w)))
            y = int(rng.integers(p - hi, max(p - hi + 1, p - lo - h)))
            colour = _ROOF_COLOURS[int(rng.integers(len(_ROOF_COLOURS)))]
            cv2.rectangle(img, (x, y), (x + w, y + h), colour, -1)
            dark = tuple(int(c * 0.7) for c in colour)
            cv2.rectangle(img, (x, y), (x + w, y + h), dark, max(1, m(0.4)))
            if w > h:
                cv2.line(img, (x, y + h // 2), (x + w, y + h // 2), dark, max(1, m(0.3)))
            else:
                cv2.line(img, (x + w // 2, y), (x + w // 2, y + h), dark, max(1, m(0.3)))

    def _tree(self, img, rng, lo, hi, m) -> None:
        p = img.shape[0]
        r = m(rng.uniform(1.5, 3.5))
        c = (
            int(rng.integers(lo + r, max(lo + r + 1, hi - r))),
            int(rng.integers(p - hi + r, max(p - hi + r + 1, p - lo - r))),
        )
        cv2.circle(img, (c[0] + r // 3, c[1] + r // 3), r, (40, 50, 45), -1)
        cv2.circle(img, c, r, _TREE, -1)
        cv2.circle(img, (c[0] - r // 3, c[1] - r // 3), max(1, r // 2), (45, 105, 52), -1)

    def _roads(self, img, m) -> None:
        p = img.shape[0]
        r = m(ROAD_M)
        img[p - r :, :] = _ASPHALT
        img[:, :r] = _ASPHALT
        half, dash = m(ROAD_M / 2), max(2, m(3.0))
        for k in range(0, p, 2 * dash):
            cv2.line(
                img,
                (k, p - half),
                (min(p - 1, k + dash), p - half),
                (205, 205, 205),
                max(1, m(0.2)),
            )
            cv2.line(img, (half, k), (half, min(p - 1, k + dash)), (205, 205, 205), max(1, m(0.2)))

    def _paint(self, img, bx, by, poly: Polygon, colour) -> None:
        b = self.block_m
        if not poly.intersects(box(bx * b, by * b, (bx + 1) * b, (by + 1) * b)):
            return
        p, s = self.px, self.m_per_px
        rings = [poly.exterior] if isinstance(poly, Polygon) else [g.exterior for g in poly.geoms]
        for ring in rings:
            xy = np.asarray(ring.coords)
            pts = np.column_stack([(xy[:, 0] - bx * b) / s, p - (xy[:, 1] - by * b) / s])
            cv2.fillPoly(img, [np.round(pts).astype(np.int32)], colour)
