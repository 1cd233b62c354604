"""A production mosquitto configuration with roles: TLS, one user per role and an ACL.

Each part of gridpatrol gets a user that may touch only its own topics, so a compromised vision
box cannot forge drone positions and a leaked bridge password cannot fake or acknowledge alerts.
The ACL is built from the topic constants the code itself publishes and subscribes to (one topic
map), never retyped. Passwords are random, written to one file per user (0600) for
``--mqtt-password-file``, and hashed into the password file with ``mosquitto_passwd -U`` (the
plain text never appears in a command line) or, without it, in the same PBKDF2-SHA512 ``$7$``
format in Python.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from centre.messages import ACKS_TOPIC, ALERTS_TOPIC, VEHICLES_TOPIC
from telemetry.mqtt import TOPIC_ROOT, MqttError
from telemetry.topics import (
    CONFIRMS,
    PATROL_EVENTS,
    PATROL_TIMELINE,
    SORTIES,
    TASK_CHECK,
    TASK_STATES,
)

__all__ = ["ROLES", "Role", "BrokerFiles", "write_broker_config", "hash_password"]

BRIDGE_PRESENCE_TOPIC = f"{TOPIC_ROOT}/bridges/+/online"
"""The bridge's last-will topic (see ``telemetry.service``)."""
RUNNER_STATES = (SORTIES, TASK_STATES, PATROL_TIMELINE, PATROL_EVENTS)
"""What the patrol runner publishes and the command centre follows."""


@dataclass(frozen=True)
class Role:
    """One broker user: what it may publish (write), subscribe to (read), or both."""

    user: str
    command: str
    write: tuple[str, ...] = ()
    read: tuple[str, ...] = ()
    readwrite: tuple[str, ...] = ()


ROLES: tuple[Role, ...] = (
    Role("gp-bridge", "gridpatrol telemetry", write=(VEHICLES_TOPIC, BRIDGE_PRESENCE_TOPIC)),
    Role("gp-vision", "gridpatrol vision", write=(ALERTS_TOPIC,), read=(VEHICLES_TOPIC,)),
    Role(
        "gp-centre",
        "gridpatrol serve / alerts",
        write=(TASK_CHECK, CONFIRMS),
        read=(ALERTS_TOPIC, VEHICLES_TOPIC, *RUNNER_STATES),
        readwrite=(ACKS_TOPIC,),
    ),
    Role(
        "gp-runner",
        "gridpatrol patrol run",
        write=RUNNER_STATES,
        read=(TASK_CHECK, CONFIRMS, ALERTS_TOPIC, VEHICLES_TOPIC),
    ),
    Role("gp-ops", "gridpatrol watch", read=(f"{TOPIC_ROOT}/#",)),
)
"""Bridge publishes vehicles only; vision publishes cell alerts only (and reads poses); the centre
reads alerts, vehicles and the runner's states, and publishes acknowledgements, check requests and
launch confirmations: so only the centre's user can send a drone to check or confirm a launch.
The runner reads those requests, alerts (for their positions) and vehicles, and publishes sortie
and task states, the timeline and events; ops reads everything, writes nothing."""

PBKDF2_ITERATIONS = 101
"""What mosquitto_passwd 2.0 uses for ``$7$`` hashes, so both writers give the same format."""


@dataclass(frozen=True)
class BrokerFiles:
    """What ``write_broker_config`` wrote, for the command's summary."""

    config: Path
    ca_file: Path
    password_files: dict[str, Path]
    hashed_by: str


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A mosquitto ``$7$`` (PBKDF2-HMAC-SHA512) password hash, as ``mosquitto_passwd`` writes."""
    salt = salt or secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, PBKDF2_ITERATIONS)
    b64 = base64.b64encode
    return f"$7${PBKDF2_ITERATIONS}${b64(salt).decode()}${b64(digest).decode()}"


def _private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def _run(args: list[str], what: str) -> None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MqttError(f"{what} failed: {exc}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise MqttError(f"{what} failed: {last}")


def _make_certificates(out: Path, names: list[str]) -> tuple[Path, Path, Path]:
    """A private CA and a server certificate for ``names`` (DNS names or IP addresses)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise MqttError(
            "openssl is not installed, so no certificates can be made; install it "
            "(apt-get install -y openssl) or give --cafile, --certfile and --keyfile"
        )
    ca, ca_key = out / "ca.crt", out / "ca.key"
    cert, key = out / "server.crt", out / "server.key"
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _run(
        [openssl, "req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(ca), "-days", "825"]
        + ["-subj", "/CN=gridpatrol broker CA"]
        + ["-addext", "basicConstraints=critical,CA:TRUE"]
        + ["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        "making the CA with openssl",
    )
    sans = []
    for name in names:
        try:
            ipaddress.ip_address(name)
            sans.append(f"IP:{name}")
        except ValueError:
            sans.append(f"DNS:{name}")
    ext = out / "server.ext"
    ext.write_text(
        f"subjectAltName={','.join(sans)}\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
    )
    csr = out / "server.csr"
    _run(
        [openssl, "req", *ec, "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={names[0]}"],
        "making the server key with openssl",
    )
    _run(
        [openssl, "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key)]
        + ["-CAcreateserial", "-out", str(cert), "-days", "825", "-extfile", str(ext)],
        "signing the server certificate with openssl",
    )
    for path in (ca_key, key):
        path.chmod(0o600)
    csr.unlink()
    ext.unlink()
    return ca, cert, key


def _hash_passwords(path: Path, passwords: dict[str, str]) -> str:
    """Write the mosquitto password file; returns which tool hashed it."""
    tool = shutil.which("mosquitto_passwd") or (
        "/usr/bin/mosquitto_passwd" if Path("/usr/bin/mosquitto_passwd").exists() else None
    )
    if tool:
        _private(path, "".join(f"{u}:{p}\n" for u, p in passwords.items()))
        _run([tool, "-U", str(path)], "hashing the password file with mosquitto_passwd")
        return "mosquitto_passwd"
    _private(path, "".join(f"{u}:{hash_password(p)}\n" for u, p in passwords.items()))
    return "PBKDF2-SHA512 ($7$)"


def _acl() -> str:
    lines = ["# gridpatrol broker roles; generated by `gridpatrol broker config`.", ""]
    for role in ROLES:
        lines.append(f"# {role.command}")
        lines.append(f"user {role.user}")
        for access, topics in (
            ("write", role.write),
            ("read", role.read),
            ("readwrite", role.readwrite),
        ):
            lines.extend(f"topic {access} {t}" for t in topics)
        lines.append("")
    return "\n".join(lines)


def default_names() -> list[str]:
    """Names the generated server certificate is valid for when none are given."""
    return ["localhost", "127.0.0.1", socket.gethostname()]


def write_broker_config(
    out: Path,
    *,
    port: int = 8883,
    listen: str = "0.0.0.0",
    names: list[str] | None = None,
    tls_files: tuple[Path, Path, Path] | None = None,
    force: bool = False,
    run_as: str | None = None,
) -> BrokerFiles:
    """Write ``mosquitto.conf``, ``passwd``, ``acl`` and per-user password files into ``out``.

    ``tls_files`` is (CA, certificate, key) of an existing PKI; without it a private CA and a
    server certificate for ``names`` are made. Existing files are kept unless ``force``.
    """
    if not 1 <= port <= 65535:
        raise MqttError(f"bad --port {port}: give 1 to 65535, e.g. 8883")
    config = out / "mosquitto.conf"
    if config.exists() and not force:
        raise MqttError(f"{config} exists; pass --force to replace it, or choose another --out")
    if tls_files:
        for path in tls_files:
            if not path.is_file():
                raise MqttError(
                    f"TLS file {path} does not exist; check --cafile/--certfile/--keyfile"
                )
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "passwords").mkdir(mode=0o700, exist_ok=True)
        (out / "data").mkdir(exist_ok=True)
    except OSError as exc:
        raise MqttError(
            f"cannot create {out}: {exc.strerror or exc}; choose another --out"
        ) from None
    ca, cert, key = tls_files or _make_certificates(out, names or default_names())
    passwords = {role.user: secrets.token_urlsafe(24) for role in ROLES}
    password_files = {}
    for user, password in passwords.items():
        password_files[user] = out / "passwords" / f"{user}.txt"
        _private(password_files[user], password + "\n")
    hashed_by = _hash_passwords(out / "passwd", passwords)
    (out / "acl").write_text(_acl())
    config.write_text(
        "\n".join(
            [
                "# gridpatrol broker; generated by `gridpatrol broker config`.",
                "per_listener_settings false",
                "allow_anonymous false",
                f"password_file {(out / 'passwd').resolve()}",
                f"acl_file {(out / 'acl').resolve()}",
                f"listener {port} {listen}",
                f"cafile {ca.resolve()}",
                f"certfile {cert.resolve()}",
                f"keyfile {key.resolve()}",
                "tls_version tlsv1.2",
                "persistence true",
                f"persistence_location {(out / 'data').resolve()}/",
                # The default per-client queue drops messages to a slow subscriber under load.
                "max_queued_messages 100000",
                "max_inflight_messages 0",
                *([f"user {run_as}"] if run_as else []),
                "",
            ]
        )
    )
    _hand_over(out, run_as or "mosquitto", generated_key=tls_files is None)
    return BrokerFiles(config, ca, password_files, hashed_by)


def _hand_over(out: Path, user: str, *, generated_key: bool) -> None:
    """mosquitto 2 reads the server key, password and ACL files after dropping to its own user: as
    root, give that user those and the persistence folder (CA key and role passwords stay ours).
    A key given with --keyfile is left alone: its owner decides who reads it."""
    if os.geteuid() != 0 or user == "root":
        return
    import pwd

    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return
    paths = [out / "passwd", out / "acl", out / "data"]
    for path in [*paths, *([out / "server.key"] if generated_key else [])]:
        os.chown(path, entry.pw_uid, entry.pw_gid)
