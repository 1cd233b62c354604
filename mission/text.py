"""Text from outside made safe to print: what reaches an operator's terminal is only what was said.

Alert fields, drone names and status texts come from the network. A terminal obeys the escape
sequences in what it prints (clear the screen, retitle the window, rewrite earlier lines), so
every such string goes through ``printable`` before ``print``/``typer.echo``. It lives here, in the
lowest package, so every package that prints network text (``vehicle``, ``telemetry``,
``centre``) shares it.

Messages for the operator live here too, for the same reason: ``N_`` makes a ``Msg`` (English
text plus a gettext id and named values) that any package can raise or return, and the CLI
translates by id (``gridpatrol.i18n``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

__all__ = ["printable", "Msg", "N_", "render"]

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


class _Values(dict):
    """A message's values; a placeholder without one stays as written (``{team}`` in a page
    label that the page fills in itself)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Msg(str):
    """An operator message: its English text, plus the id and values that translate it.

    The string value is the English rendering, so ``str()``, comparison and concatenation keep
    working everywhere below the CLI. ``template`` is the gettext message id (English with named
    placeholders such as ``{area}`` or ``{limit_min:g}``): naming the values, not quoting the
    code, is what lets an id survive a refactor. ``values`` fill it; a value that is itself a
    ``Msg`` (or an error carrying one) is translated too when the CLI renders the message.
    """

    template: str
    values: dict[str, object]

    def __new__(cls, template: str, values: dict[str, object]) -> Msg:
        msg = super().__new__(cls, template.format_map(_Values(values)))
        msg.template = template
        msg.values = values
        return msg

    def __reduce__(self) -> tuple[object, ...]:
        return (Msg, (self.template, self.values))


def N_(template: str, /, **values: object) -> Msg:
    """The message ``template`` with ``values``; marks the template for ``pybabel extract``."""
    return Msg(template, values)


def render(message: object, gettext: Callable[[str], str]) -> str:
    """``message`` in the language of ``gettext``: its template looked up, its values filled.

    Values that are messages (or errors whose message is one) are rendered the same way; plain
    values (numbers, ids, names) are never translated. Anything that is not a message is shown
    as it is, so a library's own error text passes through untouched.
    """
    if isinstance(message, BaseException) and message.args:
        message = message.args[0]
    if not isinstance(message, Msg):
        return str(message)
    values = {
        k: render(v, gettext) if isinstance(v, Msg) or _carries_msg(v) else v
        for k, v in message.values.items()
    }
    return gettext(message.template).format_map(_Values(values))


def _carries_msg(value: object) -> bool:
    return isinstance(value, BaseException) and bool(value.args) and isinstance(value.args[0], Msg)
