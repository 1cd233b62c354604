"""Issue 14 row 6: the command-centre token never on a command line or in a URL; sessions.

The token is read from a file or ``GRIDPATROL_CENTRE_TOKEN``; login is a POST; the browser keeps
a random session id (HttpOnly, SameSite=Strict, Secure over TLS) that expires on the server.
"""

from __future__ import annotations

import socket
import subprocess

from centre_support import ROOT, TOKEN, http_get, post_form, serve_cli, stop_cli


def test_token_on_the_command_line_is_refused(mosquitto, tmp_path, cli):
    result = cli("serve", "--mqtt", mosquitto.url, "--district",
                 ROOT / "examples" / "xiyuan" / "district.geojson", "--token", TOKEN,
                 "--db", tmp_path / "a.sqlite")  # fmt: skip
    assert result.code == 2
    assert "--token-file" in result.err and "GRIDPATROL_CENTRE_TOKEN" in result.err
    assert len(result.err.strip().splitlines()) == 1 and TOKEN not in result.err


def test_token_file_must_hold_a_real_token(mosquitto, tmp_path, cli):
    short = tmp_path / "short"
    short.write_text("abc\n")
    district = ROOT / "examples" / "xiyuan" / "district.geojson"
    result = cli("serve", "--mqtt", mosquitto.url, "--district", district,
                 "--token-file", short, "--db", tmp_path / "a.sqlite")  # fmt: skip
    assert result.code == 2 and "at least 16" in result.err
    missing = cli("serve", "--mqtt", mosquitto.url, "--district", district,
                  "--token-file", tmp_path / "nope", "--db", tmp_path / "a.sqlite")  # fmt: skip
    assert missing.code == 2 and "cannot read the token file" in missing.err


def test_a_port_no_socket_has_is_one_line(mosquitto, tmp_path, cli):
    """bind() raised OverflowError with a traceback for --port 99999."""
    for port in ("99999", "-1"):
        result = cli("serve", "--mqtt", mosquitto.url, "--district",
                     ROOT / "examples" / "xiyuan" / "district.geojson", "--port", port,
                     "--db", tmp_path / "a.sqlite")  # fmt: skip
        assert result.code == 2 and f"--port {port} is not a TCP port" in result.err
        assert len(result.err.strip().splitlines()) == 1


def test_beyond_loopback_needs_tls(mosquitto, tmp_path, cli):
    token = tmp_path / "token"
    token.write_text(TOKEN)
    result = cli("serve", "--mqtt", mosquitto.url, "--district",
                 ROOT / "examples" / "xiyuan" / "district.geojson", "--host", "0.0.0.0",
                 "--token-file", token, "--db", tmp_path / "a.sqlite")  # fmt: skip
    assert result.code == 2 and "--tls-cert" in result.err


def test_login_is_a_post_and_the_cookie_is_a_session_not_the_token(mosquitto, tmp_path):
    """Row 6: ?token= no longer logs in; POST /login sets a random, HttpOnly, SameSite=Strict
    session cookie (Secure over TLS), which the server alone can expire."""
    proc, port = serve_cli(mosquitto, tmp_path, env={"GRIDPATROL_CENTRE_TOKEN": TOKEN})
    base = f"http://127.0.0.1:{port}/"
    try:
        assert http_get(f"{base}?token={TOKEN}")[0] == 401
        assert http_get(f"{base}api/state?token={TOKEN}")[0] == 401
        status, headers = post_form(base + "login", "token=wrong-but-long-enough-token")
        assert status == 401 and "Set-Cookie" not in headers
        cross = post_form(base + "login", f"token={TOKEN}", {"Origin": "http://evil.example"})
        assert cross[0] == 403
        status, headers = post_form(base + "login", f"token={TOKEN}")
        assert status == 303
        cookie = headers["Set-Cookie"]
        name, value = cookie.split(";")[0].split("=", 1)
        assert name == "gp_session" and TOKEN not in cookie and len(value) >= 40
        flags = cookie.lower()
        assert "httponly" in flags and "samesite=strict" in flags and "secure" not in flags
        assert http_get(base + "api/state", {"Cookie": f"gp_session={value}"})[0] == 200
        assert http_get(base + "api/state", {"Cookie": f"gp_session={TOKEN}"})[0] == 401
    finally:
        stop_cli(proc)


def test_sessions_expire_on_the_server():
    from centre.access import Sessions

    now = [0.0]
    sessions = Sessions(lifetime_s=60, limit=2, clock=lambda: now[0])
    first = sessions.create()
    assert sessions.valid(first) and not sessions.valid("guess") and not sessions.valid(None)
    now[0] = 61
    assert not sessions.valid(first)
    a, b, c = sessions.create(), sessions.create(), sessions.create()
    assert not sessions.valid(a) and sessions.valid(b) and sessions.valid(c)


def test_session_cookie_is_secure_over_tls(mosquitto, example_district, tmp_path):
    import ssl

    from centre.server import CommandCentre, tls_context
    from centre.store import AlertStore
    from telemetry.mqtt import MqttSettings

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    store = AlertStore(tmp_path / "a.sqlite")
    centre = CommandCentre(example_district, MqttSettings.from_url(mosquitto.url), store,
                           client_id="test-tls", port=0, token=TOKEN,
                           tls=tls_context(cert, key, "127.0.0.1"))  # fmt: skip
    centre.start()
    try:
        client = ssl.create_default_context(cafile=str(cert))
        client.check_hostname = False
        assert centre.url.startswith("https://")
        raw = socket.create_connection(("127.0.0.1", centre.port), timeout=5)
        tls = client.wrap_socket(raw, server_hostname="127.0.0.1")
        body = f"token={TOKEN}"
        tls.sendall(
            f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{centre.port}\r\nContent-Type: "
            f"application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n{body}".encode()
        )
        answer = b""
        while chunk := tls.recv(4096):
            answer += chunk
        tls.close()
        head = answer.split(b"\r\n\r\n")[0].decode().lower()
        assert head.startswith("http/1.1 303") and "; secure" in head and "httponly" in head
    finally:
        centre.stop()
        store.close()
