"""How the vision benchmarks print a figure: a label padded to one column, then its value."""

from __future__ import annotations

__all__ = ["_pct", "_say"]


def _say(what: str, value: str) -> None:
    print(f"{what:<58} {value}")


def _pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.1f} % ({a}/{b})" if b else "n/a (0/0)"
