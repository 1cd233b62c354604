"""The command-centre page as one self-contained HTML document: the same file serves live and report.

``index.html`` is a template; the CSS, the label dictionary, the patrol panel and the app are
inlined into it, and
the data it starts from (``boot``) is embedded as JSON. The live server adds a CSP nonce; the
static report needs no server at all. Every visible word comes from ``labels.js``.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files
from typing import Any

__all__ = ["render_page", "render_login", "content_security_policy"]

_SLOT = re.compile(r"\{\{(\w+)\}\}")


def content_security_policy(nonce: str) -> str:
    """Scripts only with this response's nonce; images, styles and requests only from here."""
    script = f"'nonce-{nonce}'" if nonce else "'none'"
    return (
        f"default-src 'none'; script-src {script}; style-src 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'"
    )


@cache
def _asset(name: str) -> str:
    return files(__package__).joinpath(name).read_text(encoding="utf-8")


def _json_for_script(data: Any) -> str:
    """JSON that cannot end its <script> element early, whatever strings the alerts carry."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _fill(template: str, slots: dict[str, str]) -> str:
    return _SLOT.sub(lambda m: slots[m.group(1)], template)


def _lang_attr(lang: str) -> str:
    return lang if re.fullmatch(r"[A-Za-z-]{2,10}", lang) else "en"


def render_page(boot: dict[str, Any], *, nonce: str) -> str:
    """``boot``: ``mode`` ("live" or "report"), ``lang``, ``district`` and, in a report, ``snapshot``."""
    return _fill(
        _asset("index.html"),
        {
            "LANG": _lang_attr(boot.get("lang", "en")),
            "NONCE": nonce,
            "CSP": content_security_policy(nonce),
            "STYLE": _asset("style.css"),
            "BOOT": _json_for_script(boot),
            "LABELS": _asset("labels.js"),
            "PATROL": _asset("patrol.js"),
            "APP": _asset("app.js"),
        },
    )


def render_login(*, lang: str, nonce: str, wrong: bool) -> str:
    return _fill(
        _asset("login.html"),
        {
            "LANG": _lang_attr(lang),
            "NONCE": nonce,
            "CSP": content_security_policy(nonce),
            "STYLE": _asset("style.css"),
            "BOOT": _json_for_script({"lang": lang, "wrong": wrong}),
            "LABELS": _asset("labels.js"),
        },
    )
