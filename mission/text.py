"""Text from outside made safe to print: what reaches an operator's terminal is only what was said.

Alert fields, drone names and status texts come from the network. A terminal obeys the escape
sequences in what it prints (clear the screen, retitle the window, rewrite earlier lines), so
every such string goes through ``printable`` before ``print``/``typer.echo``. It lives here, in the
lowest package, so every package that prints network text (``vehicle``, ``telemetry``,
``centre``) shares it.
"""

from __future__ import annotations

import unicodedata

__all__ = ["printable"]

# Control (Cc), format (Cf: bidi overrides, zero-width), line and paragraph separators,
# unassigned and private-use code points: none of them belongs on an operator's screen raw.
_UNSAFE = {"Cc", "Cf", "Zl", "Zp", "Cn", "Co", "Cs"}


def printable(text: object, limit: int = 500) -> str:
    """``text`` with every unsafe character shown as ``\\xNN``/``\\uNNNN``, cut to ``limit`` chars.

    The escapes keep the text legible and the evidence of tampering visible; the cut keeps one
    hostile field from flooding the screen (the cut is marked with ``…``).
    """
    value = str(text)
    out = []
    for ch in value[:limit]:
        if unicodedata.category(ch) in _UNSAFE:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out) + ("…" if len(value) > limit else "")
