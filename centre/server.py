"""``gridpatrol serve``: the command centre's web page, fed live over Server-Sent Events.

The browser talks only to this server: it never sees the broker or its credentials. The server
is aiohttp on its own event loop in one background thread: an idle or slow connection costs a
socket, not a thread, and the ``ConnectionGuard`` caps the sockets and closes idle ones. On
loopback no token is needed, but the ``Host`` header is checked so another web site cannot reach
the server by DNS rebinding; on any other address a token is required (see ``centre.access``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from centre.access import Sessions
from centre.errors import CentreError
from centre.guard import ConnectionGuard
from centre.live import Hub, LiveState
from centre.mapdata import district_json
from centre.messages import Ack
from centre.mqtt_feed import CentreFeed
from centre.patrol_actions import PatrolActions
from centre.store import AlertStore
from centre.web import build_app
from mission.model import District
from mission.text import N_
from telemetry.mqtt import MqttSettings

__all__ = ["CommandCentre", "check_bind", "tls_context", "MAX_CONNECTIONS", "IDLE_TIMEOUT_S"]

MAX_CONNECTIONS = 1000
IDLE_TIMEOUT_S = 10.0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None, port: int = 0) -> None:
    """Refuse a port no socket has, and to expose alerts beyond this machine without a token."""
    if not 0 <= port <= 65535:  # bind() raised OverflowError with a traceback
        raise CentreError(N_("--port {port} is not a TCP port; give one in 0-65535", port=port))
    if not _is_loopback(host) and not token:
        raise CentreError(
            N_(
                "serving on {host} exposes alerts and evidence to the network; give an access "
                "token with --token-file FILE or $GRIDPATROL_CENTRE_TOKEN, or leave --host at "
                "127.0.0.1",
                host=host,
            )
        )


def tls_context(cert: Path | None, key: Path | None, host: str) -> ssl.SSLContext | None:
    """HTTPS from a PEM certificate and key; required beyond loopback, where the token and the
    session would otherwise cross the network in clear (and browsers keep a ``Secure`` session
    cookie only over HTTPS)."""
    if cert is None and key is None:
        if not _is_loopback(host):
            raise CentreError(
                N_(
                    "serving on {host} sends the token and the session over the network; give "
                    "--tls-cert CERT.pem --tls-key KEY.pem, or leave --host at 127.0.0.1 (behind a "
                    "TLS proxy on the same machine)",
                    host=host,
                )
            )
        return None
    if cert is None or key is None:
        raise CentreError(N_("HTTPS needs both --tls-cert and --tls-key"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise CentreError(
            N_(
                "cannot use {cert} and {key} for HTTPS: {problem}; give a PEM certificate and "
                "its private key",
                cert=cert,
                key=key,
                problem=getattr(exc, "strerror", None) or exc,
            )
        ) from None
    return context


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(512)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise CentreError(
            N_(
                "cannot listen on {host}:{port}: {strerror}; choose another --port",
                host=host,
                port=port,
                strerror=exc.strerror or exc,
            )
        ) from None
    return sock


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
        tls: ssl.SSLContext | None = None,
        lang: str = "en",
        max_connections: int = MAX_CONNECTIONS,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        check_bind(host, token)
        self._clock = clock
        self.store = store
        self.hub = Hub()
        self.state = LiveState(store, self.hub)
        self.state.board.load_requests(store.task_requests())
        cells = [c.id for c in district.cells]
        self.feed = CentreFeed(
            broker, client_id, self.state, vehicles=True, patrol=True, cells=cells
        )
        self.patrol = PatrolActions(self.feed, self.state, clock)
        self.token = token
        self.sessions = Sessions()
        self.secure_cookie = tls is not None or not _is_loopback(host)
        self.lang = lang
        self.district = district_json(district)
        self.host = host
        self._tls = tls
        self._sock = _listen(host, port)
        self.port = self._sock.getsockname()[1]
        self._max_connections = max_connections
        self._idle_timeout_s = idle_timeout_s
        self.guard: ConnectionGuard
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self._tls else 'http'}://{host}:{self.port}/"

    def allowed_hosts(self) -> set[str]:
        names = {"127.0.0.1", "localhost", "[::1]", self.host}
        return {f"{name}:{self.port}" for name in names} | {self.url.split("/")[2]}

    def start(self) -> None:
        """Connect to the broker, then serve from a background thread; raise if either fails."""
        try:
            self.feed.start()
        except CentreError:
            self._sock.close()
            raise
        ready = threading.Event()
        failure: list[BaseException] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._run, args=(ready, failure), name="centre-web", daemon=True
        )
        self._thread.start()
        ready.wait(10)
        if failure:
            self.feed.stop()
            raise CentreError(N_("the web server did not start: {failure}", failure=failure[0]))

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except (OSError, RuntimeError) as exc:
            failure.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(self._shutdown())
        loop.close()

    async def _serve(self) -> None:
        self._runner = web.AppRunner(
            build_app(self),
            access_log=None,
            keepalive_timeout=2 * self._idle_timeout_s,  # a backstop: the guard cuts first
            shutdown_timeout=1.0,
        )
        await self._runner.setup()
        server = self._runner.server
        assert server is not None
        self.guard = ConnectionGuard(server, cap=self._max_connections, idle_s=self._idle_timeout_s)
        self._server = await asyncio.get_running_loop().create_server(
            self.guard, sock=self._sock, ssl=self._tls
        )
        self.hub.attach(asyncio.get_running_loop())

    async def _shutdown(self) -> None:
        self._server.close()
        assert self._runner is not None
        await self._runner.cleanup()

    def stop(self) -> None:
        self.hub.close()
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        else:
            self._sock.close()
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
