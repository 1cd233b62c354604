"""Joining multi-part STATUSTEXT messages (MAVLink 2 ``id`` and ``chunk_seq``) into one text.

An autopilot splits a text longer than 50 characters into chunks that share a non-zero ``id``,
numbered by ``chunk_seq`` from 0; the last chunk is the one shorter than 50 characters. Radio links
lose, repeat and reorder packets, so chunks are kept by number, repeats are ignored, and a text
that never completes is let out as incomplete (with its missing chunks named) after ``timeout_s``
on the message clock or once it holds ``max_chunks`` chunks: memory stays bounded and nothing a
vehicle said is silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["JoinedText", "TextJoiner", "CHUNK_CHARS"]

CHUNK_CHARS = 50


@dataclass(frozen=True)
class JoinedText:
    """A whole (or timed-out) text, with what is needed to say how it was assembled."""

    key: str
    severity: int
    text: str
    chunks: int
    missing: tuple[int, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.missing


@dataclass
class _Partial:
    severity: int
    started: float
    chunks: dict[int, str] = field(default_factory=dict)
    last: int | None = None


class TextJoiner:
    """Per (key, id) chunk buffers; ``key`` is the vehicle id."""

    def __init__(self, *, timeout_s: float = 2.0, max_chunks: int = 32):
        self.timeout_s = timeout_s
        self.max_chunks = max_chunks
        self.duplicates = 0
        self.incomplete = 0
        self._parts: dict[tuple[str, int], _Partial] = {}

    def add(
        self, key: str, severity: int, text: str, text_id: int, chunk_seq: int, ts: float
    ) -> list[JoinedText]:
        """The texts this chunk completes (none while chunks are still missing)."""
        if not text_id:
            return [JoinedText(key, severity, text, 1)]
        part = self._parts.setdefault((key, text_id), _Partial(severity, ts))
        if chunk_seq in part.chunks:
            self.duplicates += 1
            return []
        part.chunks[chunk_seq] = text
        part.severity = min(part.severity, severity)  # the most severe chunk decides
        if len(text) < CHUNK_CHARS:
            part.last = chunk_seq if part.last is None else min(part.last, chunk_seq)
        if part.last is not None and all(i in part.chunks for i in range(part.last + 1)):
            return [self._finish((key, text_id))]
        if len(part.chunks) >= self.max_chunks:
            return [self._finish((key, text_id))]
        return []

    def expire(self, now: float, key: str | None = None) -> list[JoinedText]:
        """Let out texts waiting longer than ``timeout_s`` (all of ``key``'s when ``now`` is inf)."""
        due = [
            k
            for k, p in self._parts.items()
            if (key is None or k[0] == key) and now - p.started >= self.timeout_s
        ]
        return [self._finish(k) for k in due]

    def _finish(self, k: tuple[str, int]) -> JoinedText:
        part = self._parts.pop(k)
        end = part.last if part.last is not None else max(part.chunks)
        missing = tuple(i for i in range(end + 1) if i not in part.chunks)
        pieces = [part.chunks.get(i, "[...]") for i in range(end + 1)]
        if part.last is None:
            pieces.append("[...]")  # the final chunk never came
            missing += (end + 1,)
        if missing:
            self.incomplete += 1
        return JoinedText(k[0], part.severity, "".join(pieces), len(part.chunks), missing)

    @property
    def waiting(self) -> int:
        return len(self._parts)
