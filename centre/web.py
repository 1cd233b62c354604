"""The command centre's HTTP routes on aiohttp: page, login, event stream, state, evidence, ack,
and the patrol runner's two controls: a check over an alert or a point, and a launch's go.

Order of checks on every request: the ``Host`` header (DNS rebinding), then authentication, then
the route. Nothing long-lived (the event stream) starts before authentication. The browser gets
only text (the page builds every element with ``textContent``) under a Content-Security-Policy
with a per-response nonce; the acknowledgement, the check request and the launch confirmation
need a JSON body, which another site cannot send without a CORS preflight that is never granted,
and the session cookie is ``SameSite=Strict``.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import web

from centre.access import token_matches
from centre.live import strict_json
from centre.messages import ALERT_ID_PATTERN
from centre.page import content_security_policy, render_login, render_page
from telemetry.patrol_records import ID_PATTERN

if TYPE_CHECKING:
    from centre.server import CommandCentre

__all__ = ["build_app", "COOKIE"]

COOKIE = "gp_session"
KEEPALIVE_S = 15.0
WRITE_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 10.0
MAX_BODY = 16 * 1024
_ALERT_PATH = rf"/api/alerts/{{alert_id:{ALERT_ID_PATTERN[1:-1]}}}"
_SORTIE_PATH = rf"/api/sorties/{{sortie:{ID_PATTERN[1:-1]}}}"
_CENTRE = web.AppKey("centre", object)
_NONCE = web.ResponseKey("nonce", str)


def _centre(request: web.Request) -> CommandCentre:
    return request.app[_CENTRE]  # type: ignore[return-value]


def build_app(centre: CommandCentre) -> web.Application:
    """The aiohttp application; ``centre`` holds the store, live state, feed and sessions."""
    app = web.Application(middlewares=[_guarded, _headers, _gate], client_max_size=MAX_BODY)
    app[_CENTRE] = centre
    app.router.add_get("/", _page)
    app.router.add_post("/login", _login)
    app.router.add_get("/events", _events)
    app.router.add_get("/api/state", _state)
    app.router.add_get(_ALERT_PATH + "/{kind:crop|frame}.jpg", _evidence)
    app.router.add_post(_ALERT_PATH + "/ack", _ack)
    app.router.add_post(_ALERT_PATH + "/check", _check_alert)
    app.router.add_post("/api/tasks/check", _check_point)
    app.router.add_post(_SORTIE_PATH + "/confirm", _confirm)
    return app


def _json(status: int, body: Any) -> web.Response:
    return web.Response(status=status, text=strict_json(body), content_type="application/json")


@web.middleware
async def _guarded(request: web.Request, handler: Any) -> web.StreamResponse:
    """Tell the connection guard a request is in progress, so it is not cut as idle."""
    guard = _centre(request).guard
    guard.request_started(request.transport)
    try:
        return await handler(request)
    finally:
        guard.request_ended(request.transport)


@web.middleware
async def _headers(request: web.Request, handler: Any) -> web.StreamResponse:
    response = await handler(request)
    if not response.prepared:
        nonce = response.get(_NONCE, "")
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        csp = content_security_policy(nonce)
        response.headers["Content-Security-Policy"] = f"{csp}; frame-ancestors 'none'"
    return response


@web.middleware
async def _gate(request: web.Request, handler: Any) -> web.StreamResponse:
    """Host first, then authentication (login excepted); only then the route."""
    centre = _centre(request)
    if not centre.token and request.headers.get("Host") not in centre.allowed_hosts():
        # With a token, a rebinding attacker still lacks it; without one, only our own names.
        return _json(421, {"error": "unknown host"})
    if request.path == "/login" or _authorised(request):
        return await handler(request)
    if request.path == "/" and request.method == "GET":
        return _login_page(request, wrong=False, status=401)
    return _json(401, {"error": "log in first: open the page and give the access token"})


def _authorised(request: web.Request) -> bool:
    centre = _centre(request)
    if not centre.token:
        return True
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return token_matches(auth[7:], centre.token)
    return centre.sessions.valid(request.cookies.get(COOKIE))


def _lang(request: web.Request) -> str:
    lang = request.query.get("lang", _centre(request).lang)
    return lang if re.fullmatch(r"[A-Za-z-]{2,10}", lang) else _centre(request).lang


def _html(html: str, nonce: str, status: int = 200) -> web.Response:
    response = web.Response(status=status, text=html, content_type="text/html", charset="utf-8")
    response[_NONCE] = nonce
    return response


def _login_page(request: web.Request, *, wrong: bool, status: int, lang: str = "") -> web.Response:
    nonce = secrets.token_urlsafe(16)
    html = render_login(lang=lang or _lang(request), nonce=nonce, wrong=wrong)
    return _html(html, nonce, status)


async def _page(request: web.Request) -> web.Response:
    centre = _centre(request)
    nonce = secrets.token_urlsafe(16)
    boot = {"mode": "live", "lang": _lang(request), "district": centre.district}
    return _html(render_page(boot, nonce=nonce), nonce)


async def _login(request: web.Request) -> web.Response:
    """POST /login with the token as a form field; a fresh session cookie on success."""
    centre = _centre(request)
    if not centre.token:
        return web.Response(status=303, headers={"Location": "/"})
    origin = request.headers.get("Origin")
    if origin not in (None, "null") and origin.split("://", 1)[-1] != request.headers.get("Host"):
        return _json(403, {"error": "log in from the command centre's own page"})
    if request.content_type != "application/x-www-form-urlencoded":
        return _json(415, {"error": "send the login form"})
    try:
        form = await asyncio.wait_for(request.post(), BODY_TIMEOUT_S)
    except (TimeoutError, ValueError, web.HTTPException):
        return _json(400, {"error": "send the login form"})
    lang = str(form.get("lang", ""))
    lang = lang if re.fullmatch(r"[A-Za-z-]{2,10}", lang) else centre.lang
    if not token_matches(str(form.get("token", "")), centre.token):
        return _login_page(request, wrong=True, status=401, lang=lang)
    where = "/" + (f"?lang={lang}" if lang != centre.lang else "")
    response = web.Response(status=303, headers={"Location": where})
    response.set_cookie(
        COOKIE,
        centre.sessions.create(),
        path="/",
        httponly=True,
        samesite="Strict",
        secure=centre.secure_cookie,
        max_age=int(centre.sessions.lifetime_s),
    )
    return response


async def _state(request: web.Request) -> web.Response:
    snapshot = await asyncio.get_running_loop().run_in_executor(
        None, _centre(request).state.snapshot
    )
    return _json(200, snapshot)


async def _evidence(request: web.Request) -> web.Response:
    centre = _centre(request)
    alert_id, kind = request.match_info["alert_id"], request.match_info["kind"]
    data = await asyncio.get_running_loop().run_in_executor(
        None, centre.store.evidence_jpeg, alert_id, kind
    )
    if data is None:
        return _json(404, {"error": "not found"})
    return web.Response(body=data, content_type="image/jpeg")


async def _body(request: web.Request, usage: str) -> dict[str, Any] | web.Response:
    """The request's JSON object, or the error response to send instead."""
    if request.content_type != "application/json":
        return _json(415, {"error": "send JSON"})
    try:
        body = await asyncio.wait_for(request.json(), BODY_TIMEOUT_S)
    except (TimeoutError, ValueError, web.HTTPException):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("by", ""), str):
        return _json(400, {"error": f"send {usage}"})
    return body


async def _answer(call: Any, *args: Any) -> web.Response:
    """Run a blocking action (it waits for the broker) off the loop and send its answer."""
    status, answer = await asyncio.get_running_loop().run_in_executor(None, call, *args)
    return _json(status, answer)


async def _ack(request: web.Request) -> web.Response:
    body = await _body(request, '{"by": NAME}')
    if isinstance(body, web.Response):
        return body
    alert_id = request.match_info["alert_id"]
    return await _answer(_centre(request).acknowledge, alert_id, body.get("by", ""))


async def _check_alert(request: web.Request) -> web.Response:
    body = await _body(request, '{"by": NAME}')
    if isinstance(body, web.Response):
        return body
    alert_id = request.match_info["alert_id"]
    return await _answer(_centre(request).patrol.check_alert, alert_id, body.get("by", ""))


async def _check_point(request: web.Request) -> web.Response:
    body = await _body(request, '{"lat": DEGREES, "lon": DEGREES, "by": NAME}')
    if isinstance(body, web.Response):
        return body
    patrol = _centre(request).patrol
    return await _answer(patrol.check_point, body.get("lat"), body.get("lon"), body.get("by", ""))


async def _confirm(request: web.Request) -> web.Response:
    body = await _body(request, '{"by": NAME}')
    if isinstance(body, web.Response):
        return body
    sortie = request.match_info["sortie"]
    return await _answer(_centre(request).patrol.confirm, sortie, body.get("by", ""))


async def _events(request: web.Request) -> web.StreamResponse:
    """One SSE stream: a snapshot first (after subscribing, so nothing falls in between)."""
    centre = _centre(request)
    events = centre.hub.subscribe()
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8"})
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    try:
        await response.prepare(request)
        snapshot = await asyncio.get_running_loop().run_in_executor(None, centre.state.snapshot)
        await _send(response, f"retry: 1000\nevent: snapshot\ndata: {strict_json(snapshot)}\n\n")
        while True:
            try:
                item = await asyncio.wait_for(events.get(), KEEPALIVE_S)
            except TimeoutError:
                await _send(response, ": keepalive\n\n")
                continue
            if item is None:
                break
            await _send(response, f"event: {item[0]}\ndata: {item[1]}\n\n")
    except (ConnectionError, TimeoutError):
        pass  # the page went away or stalled: its browser reconnects and gets a fresh snapshot
    finally:
        centre.hub.unsubscribe(events)
    return response


async def _send(response: web.StreamResponse, text: str) -> None:
    """Write with a deadline: a client that stops reading must not hold its stream forever."""
    await asyncio.wait_for(response.write(text.encode()), WRITE_TIMEOUT_S)
