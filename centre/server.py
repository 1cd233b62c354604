"""``gridpatrol serve``: the command centre's web page, fed live over Server-Sent Events.

The browser talks only to this server: it never sees the broker or its credentials. The page is
one self-contained HTML document (no tiles, no CDN); a Content-Security-Policy with a per-response
nonce forbids it to load anything from anywhere else. On loopback no token is needed, but the
``Host`` header is checked so another web site cannot reach the server by DNS rebinding; on any
other address a token is required, given once as ``?token=`` and then kept in a same-site cookie.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import queue
import re
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from pydantic import ValidationError

from centre.errors import CentreError
from centre.live import Hub, LiveState
from centre.mapdata import district_json
from centre.messages import ALERT_ID_PATTERN, Ack
from centre.mqtt_feed import CentreFeed
from centre.page import content_security_policy, render_login, render_page
from centre.store import AlertStore
from mission.model import District
from telemetry.mqtt import MqttSettings

__all__ = ["CommandCentre", "check_bind"]

COOKIE = "gp_token"
KEEPALIVE_S = 15.0
_ALERT_PATH = re.compile(rf"^/api/alerts/({ALERT_ID_PATTERN[1:-1]})/(ack|crop\.jpg|frame\.jpg)$")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to expose alerts beyond this machine without a token."""
    if not _is_loopback(host) and not token:
        raise CentreError(
            f"serving on {host} exposes alerts and evidence to the network; add --token SECRET "
            "(the page asks for it), or leave --host at 127.0.0.1"
        )


class CommandCentre:
    """The web server, its MQTT feed and the live state between them; start() and stop()."""

    def __init__(
        self,
        district: District,
        broker: MqttSettings,
        store: AlertStore,
        *,
        client_id: str,
        host: str = "127.0.0.1",
        port: int = 8080,
        token: str | None = None,
        lang: str = "en",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        check_bind(host, token)
        self._clock = clock
        self.store = store
        self.hub = Hub()
        self.state = LiveState(store, self.hub)
        self.feed = CentreFeed(broker, client_id, self.state, vehicles=True)
        self.token = token
        self.lang = lang
        self.district = district_json(district)
        try:
            self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        except OSError as exc:
            raise CentreError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port"
            ) from None
        self._httpd.daemon_threads = True
        self.host = host
        self.port = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def allowed_hosts(self) -> set[str]:
        names = {"127.0.0.1", "localhost", "[::1]", self.host}
        return {f"{name}:{self.port}" for name in names} | {self.url.split("/")[2]}

    def start(self) -> None:
        try:
            self.feed.start()
        except CentreError:
            self._httpd.server_close()
            raise
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(5)
        self.hub.close()
        self._httpd.server_close()
        self.feed.stop()

    def acknowledge(self, alert_id: str, by: str) -> tuple[int, dict[str, Any]]:
        """Publish the ack, and mark it only once the broker has confirmed it."""
        stored = self.store.get(alert_id)
        if stored is None:
            return HTTPStatus.NOT_FOUND, {"error": f"no alert {alert_id}"}
        if stored.acked_by:
            return HTTPStatus.CONFLICT, {
                "error": "already acknowledged",
                "alert": self.state.alert(alert_id),
            }
        try:
            ack = Ack(id=alert_id, by=by.strip(), time=self._clock())
        except ValidationError:
            return HTTPStatus.BAD_REQUEST, {"error": "give a name of 1 to 80 characters"}
        try:
            self.feed.publish_ack(ack)
        except CentreError as exc:
            return HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(exc)}
        self.state.on_ack(ack)
        return HTTPStatus.OK, {"alert": self.state.alert(alert_id)}


def _handler_for(centre: CommandCentre) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        pass

    Handler.centre = centre
    return Handler


class _Handler(BaseHTTPRequestHandler):
    centre: CommandCentre
    server_version = "gridpatrol"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal belongs to the operator, not to access logs."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if not self._host_ok():
            return self._send_json(HTTPStatus.MISDIRECTED_REQUEST, {"error": "unknown host"})
        if url.path == "/" and self.centre.token and "token" in query:
            return self._login(query)
        if not self._authorised():
            return self._refuse(url.path, query)
        if url.path == "/":
            return self._page(query)
        if url.path == "/events":
            return self._events()
        if url.path == "/api/state":
            return self._send_json(HTTPStatus.OK, self.centre.state.snapshot())
        match = _ALERT_PATH.match(url.path)
        if match and match.group(2).endswith(".jpg"):
            data = self.centre.store.evidence_jpeg(match.group(1), match.group(2)[:-4])
            if data is not None:
                return self._send(HTTPStatus.OK, data, "image/jpeg")
        self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        if not self._host_ok():
            return self._send_json(HTTPStatus.MISDIRECTED_REQUEST, {"error": "unknown host"})
        if not self._authorised():
            return self._send_json(HTTPStatus.UNAUTHORIZED, {"error": "token required"})
        match = _ALERT_PATH.match(url.path)
        if not match or match.group(2) != "ack":
            return self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})
        # A JSON content type cannot be sent cross-site without a CORS preflight we never grant.
        if self.headers.get_content_type() != "application/json":
            return self._send_json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": "send JSON"})
        try:
            length = min(max(int(self.headers.get("Content-Length", "0")), 0), 4096)
            body = json.loads(self.rfile.read(length) or b"{}")
            by = str(body.get("by", ""))
        except (ValueError, AttributeError):
            return self._send_json(HTTPStatus.BAD_REQUEST, {"error": 'send {"by": NAME}'})
        status, answer = self.centre.acknowledge(match.group(1), by)
        self._send_json(status, answer)

    def _host_ok(self) -> bool:
        # With a token, a rebinding attacker still lacks it; without one, only our own names pass.
        return bool(self.centre.token) or self.headers.get("Host") in self.centre.allowed_hosts()

    def _presented_token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth[7:]
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        return cookie[COOKIE].value if COOKIE in cookie else None

    def _authorised(self) -> bool:
        expected = self.centre.token
        if not expected:
            return True
        given = self._presented_token()
        return given is not None and hmac.compare_digest(given.encode(), expected.encode())

    def _lang(self, query: dict[str, list[str]]) -> str:
        lang = query.get("lang", [self.centre.lang])[0]
        return lang if re.fullmatch(r"[A-Za-z-]{2,10}", lang) else self.centre.lang

    def _login(self, query: dict[str, list[str]]) -> None:
        given = query["token"][0]
        expected = self.centre.token or ""
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return self._refuse("/", query, wrong=True)
        keep = {k: v[0] for k, v in query.items() if k == "lang"}
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", "/" + (f"?{urlencode(keep)}" if keep else ""))
        cookie = SimpleCookie()
        cookie[COOKIE] = expected
        cookie[COOKIE].update({"path": "/", "httponly": True, "samesite": "Strict"})
        self.send_header("Set-Cookie", cookie[COOKIE].OutputString())
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _refuse(self, path: str, query: dict[str, list[str]], wrong: bool = False) -> None:
        if path == "/":
            nonce = secrets.token_urlsafe(16)
            html = render_login(lang=self._lang(query), nonce=nonce, wrong=wrong)
            return self._send(
                HTTPStatus.UNAUTHORIZED, html.encode(), "text/html; charset=utf-8", nonce=nonce
            )
        self._send_json(HTTPStatus.UNAUTHORIZED, {"error": "token required"})

    def _page(self, query: dict[str, list[str]]) -> None:
        nonce = secrets.token_urlsafe(16)
        boot = {"mode": "live", "lang": self._lang(query), "district": self.centre.district}
        html = render_page(boot, nonce=nonce)
        self._send(HTTPStatus.OK, html.encode(), "text/html; charset=utf-8", nonce=nonce)

    def _events(self) -> None:
        """One SSE stream: a snapshot first (after subscribing, so nothing falls in between)."""
        events = self.centre.hub.subscribe()
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            snapshot = json.dumps(self.centre.state.snapshot(), separators=(",", ":"))
            self._write_event("snapshot", snapshot, retry=True)
            while True:
                try:
                    item = events.get(timeout=KEEPALIVE_S)
                except queue.Empty:
                    self.wfile.write(b": keepalive\n\n")
                    self.wfile.flush()
                    continue
                if item is None:
                    return
                self._write_event(*item)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            return
        finally:
            self.centre.hub.unsubscribe(events)

    def _write_event(self, name: str, data: str, retry: bool = False) -> None:
        head = "retry: 1000\n" if retry else ""
        self.wfile.write(f"{head}event: {name}\ndata: {data}\n\n".encode())
        self.wfile.flush()

    def _send_json(self, status: int, body: Any) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(
        self,
        status: int,
        body: bytes,
        ctype: str,
        *,
        nonce: str | None = None,
        cache: str = "no-store",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        csp = content_security_policy(nonce or "")
        self.send_header("Content-Security-Policy", f"{csp}; frame-ancestors 'none'")
        self.end_headers()
        self.wfile.write(body)
