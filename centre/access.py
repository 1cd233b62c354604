"""Who may use the command centre: the access token, where it is read from, and login sessions.

The token is never on a command line (``ps`` shows it to every user of the machine) and never in
a URL (URLs end up in histories, logs and Referer headers): it is read from a file or from the
``GRIDPATROL_CENTRE_TOKEN`` environment variable, typed into the login form once and sent by POST.
The browser then holds a random session id, not the token: it expires on the server, it is
``HttpOnly`` and ``SameSite=Strict``, and ``Secure`` when the page is served beyond loopback.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from centre.errors import CentreError
from mission.text import N_

__all__ = ["TOKEN_ENV", "MIN_TOKEN_CHARS", "read_token", "Sessions", "token_matches"]

TOKEN_ENV = "GRIDPATROL_CENTRE_TOKEN"
MIN_TOKEN_CHARS = 16
MAX_TOKEN_BYTES = 1024


def _checked(token: str, where: str) -> str:
    token = token.strip()
    if len(token) < MIN_TOKEN_CHARS:
        raise CentreError(
            N_(
                "the access token in {where} has {n_token} characters; use at least "
                "{min_token_chars} (for example: python -c 'import secrets; "
                "print(secrets.token_urlsafe())')",
                where=where,
                n_token=len(token),
                min_token_chars=MIN_TOKEN_CHARS,
            )
        )
    if not token.isprintable():
        raise CentreError(
            N_(
                "the access token in {where} has control characters; write it on one line",
                where=where,
            )
        )
    return token


def read_token(token_file: Path | None, environ: dict[str, str] | None = None) -> str | None:
    """The token from ``token_file``, else from ``$GRIDPATROL_CENTRE_TOKEN``, else None."""
    env = os.environ if environ is None else environ
    if token_file is not None:
        try:
            with token_file.open("rb") as handle:
                raw = handle.read(MAX_TOKEN_BYTES + 1)
        except OSError as exc:
            raise CentreError(
                N_(
                    "cannot read the token file {token_file}: {strerror}; give a readable file "
                    "holding the token on one line",
                    token_file=token_file,
                    strerror=exc.strerror or exc,
                )
            ) from None
        if len(raw) > MAX_TOKEN_BYTES:
            raise CentreError(
                N_(
                    "the token file {token_file} is over {max_token_bytes} bytes; it should hold "
                    "only the token",
                    token_file=token_file,
                    max_token_bytes=MAX_TOKEN_BYTES,
                )
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CentreError(
                N_("the token file {token_file} is not UTF-8 text", token_file=token_file)
            ) from None
        return _checked(text, str(token_file))
    if env.get(TOKEN_ENV):
        return _checked(env[TOKEN_ENV], f"${TOKEN_ENV}")
    return None


def token_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison, so the answer's timing does not reveal the token."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class Sessions:
    """Random session ids with a server-side expiry; the oldest go first beyond ``limit``."""

    def __init__(
        self,
        lifetime_s: float = 12 * 3600,
        limit: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.lifetime_s = lifetime_s
        self._limit = limit
        self._clock = clock
        self._expiry: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def create(self) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._expiry[sid] = self._clock() + self.lifetime_s
            while len(self._expiry) > self._limit:
                self._expiry.popitem(last=False)
        return sid

    def valid(self, sid: str | None) -> bool:
        if not sid:
            return False
        with self._lock:
            expiry = self._expiry.get(sid)
            if expiry is None:
                return False
            if expiry <= self._clock():
                del self._expiry[sid]
                return False
            return True
