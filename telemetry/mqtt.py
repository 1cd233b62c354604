"""Broker connection settings, and building a configured paho 2.x client from them.

The topic tree is ``telemetry.topics``; ``TOPIC_ROOT`` and ``vehicle_topic`` are re-exported here.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from mission.text import N_
from telemetry.errors import TelemetryError
from telemetry.topics import TOPIC_ROOT, vehicle_topic

__all__ = [
    "MqttSettings",
    "MqttError",
    "make_client",
    "Subscription",
    "subscriber",
    "redact",
    "PASSWORD_IN_URL_WARNING",
    "read_password_file",
    "TOPIC_ROOT",
    "vehicle_topic",
]


class MqttError(TelemetryError):
    """The broker URL or TLS settings are unusable."""


_URL_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:'\"]*):[^\s/'\"]*@")

PASSWORD_IN_URL_WARNING = N_(
    "warning: the MQTT password in the URL is visible to anyone who can list processes; "
    "use --mqtt-password-file FILE or the GRIDPATROL_MQTT_PASSWORD environment variable"
)


def redact(text: str) -> str:
    """``text`` with every ``scheme://user:password@`` written as ``scheme://user:***@``.

    The one place credentials are hidden: error lines, log lines and echoed URLs all pass here,
    so a password given in a URL never reaches a terminal, a log file or a screenshot.
    """
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group('head')}:***@", text)


def read_password_file(path: str) -> str:
    """The first line of ``path`` (a file, so the secret is not in argv where ``ps`` shows it)."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read(4097)
    except OSError as exc:
        raise MqttError(
            N_(
                "cannot read the MQTT password file {path}: {strerror}; check --mqtt-password-file",
                path=path,
                strerror=exc.strerror or exc,
            )
        ) from None
    except UnicodeDecodeError:
        raise MqttError(
            N_("MQTT password file {path} is not UTF-8 text; write the password as text", path=path)
        ) from None
    lines = text.splitlines()
    if len(text) > 4096 or not lines or not lines[0]:
        raise MqttError(
            N_(
                "MQTT password file {path} must hold the password on its first line (1-4096 bytes)",
                path=path,
            )
        )
    return lines[0]


class MqttSettings(BaseModel):
    """Where and how to reach the broker."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = 1883
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    username: str | None = None
    password: SecretStr | None = None
    client_id: str = Field(
        default_factory=lambda: f"gridpatrol-{socket.gethostname()}-{os.getpid()}"
    )
    keepalive: int = 30
    protocol: Literal["3.1.1", "5"] = "3.1.1"

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> MqttSettings:
        """Parse ``mqtt[s]://[user[:pass]@]host[:port]``; keyword overrides win over the URL.

        A password in the URL is accepted (see ``password_in_url``) but never echoed: every
        message here quotes the URL through ``redact``.
        """
        shown = redact(url)
        parts = urlsplit(url.strip())
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise MqttError(
                N_(
                    "bad MQTT URL {shown}; use mqtt://host:1883 or mqtts://user@host:8883",
                    shown=repr(shown),
                )
            )
        try:
            port = parts.port
        except ValueError:
            port = -1
        if port is not None and not 1 <= port <= 65535:
            raise MqttError(
                N_(
                    "bad port in MQTT URL {shown}: give 1 to 65535, e.g. mqtts://host:8883",
                    shown=repr(shown),
                )
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise MqttError(
                N_(
                    "bad MQTT URL {shown}: no path or query; use mqtt://host:1883",
                    shown=repr(shown),
                )
            )
        tls = parts.scheme == "mqtts"
        fields: dict[str, Any] = {
            "host": parts.hostname,
            "port": port or (8883 if tls else 1883),
            "tls": tls,
            "username": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
        }
        fields.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**fields)

    @classmethod
    def resolve(cls, value: str | MqttSettings, **overrides: Any) -> MqttSettings:
        """Settings from a URL or from settings already built; non-None overrides win."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        if isinstance(value, MqttSettings):
            return cls(**{**value.model_dump(), **changes}) if changes else value
        return cls.from_url(value, **changes)

    @staticmethod
    def password_in_url(url: str) -> bool:
        """Whether ``url`` carries a password (the CLI warns: ``ps`` shows argv)."""
        try:
            return bool(urlsplit(url.strip()).password)
        except ValueError:
            return False

    @property
    def url(self) -> str:
        """The URL without the password, for messages and logs."""
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


def make_client(settings: MqttSettings, *, client_id: str | None = None, clean: bool = True) -> Any:
    """A paho client with credentials, TLS and protocol set; not yet connected."""
    import paho.mqtt.client as mqtt

    v5 = settings.protocol == "5"
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id or settings.client_id,
        protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
        clean_session=None if v5 else clean,
    )
    if settings.username:
        secret = settings.password.get_secret_value() if settings.password else None
        client.username_pw_set(settings.username, secret)
    if settings.tls or settings.ca_file or settings.cert_file:
        for path in (settings.ca_file, settings.cert_file, settings.key_file):
            if path and not os.path.isfile(path):
                raise MqttError(
                    N_(
                        "TLS file {path} does not exist; check --mqtt-ca/--mqtt-cert/--mqtt-key",
                        path=path,
                    )
                )
        try:
            client.tls_set(
                ca_certs=settings.ca_file, certfile=settings.cert_file, keyfile=settings.key_file
            )
        except (OSError, ValueError) as exc:
            raise MqttError(
                N_("cannot load TLS files: {exc}; check --mqtt-ca/--mqtt-cert/--mqtt-key", exc=exc)
            ) from None
    client.reconnect_delay_set(min_delay=0.2, max_delay=2)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    return client


class Subscription:
    """A client's subscriptions and the broker's answers: ``connack`` says whether it accepted
    the connection, ``wait`` whether it granted every topic.

    A client that says "listening" before the broker has its subscription loses what is
    published meanwhile (a test saw an alert published right after "listening" never shown).
    A client with nothing else to do on connect takes ``on_connect`` and ``on_subscribe`` as its
    callbacks; one that does more calls ``send`` from its own ``on_connect``. All of them run in
    paho's network thread, ``send`` before its SUBACK."""

    def __init__(self, topics: list[tuple[str, int]]) -> None:
        self.topics = topics
        self._answered = threading.Event()
        self._answer: Any = None
        self._done = threading.Event()
        self._mid: int | None = None
        self.problem: str | None = None

    def on_connect(
        self, client: Any, _userdata: Any, _flags: Any, reason_code: Any, _props: Any
    ) -> None:
        """paho's ``on_connect``: subscribe once accepted; the first answer is kept."""
        if self._answer is None:
            self._answer = reason_code
        if not reason_code.is_failure:
            self.send(client)
        self._answered.set()

    def connack(self, timeout_s: float) -> Any:
        """The broker's answer to the connection (a reason code), or None if none came in time."""
        return self._answer if self._answered.wait(max(0.0, timeout_s)) else None

    def send(self, client: Any) -> None:
        import paho.mqtt.client as mqtt

        rc, mid = client.subscribe(self.topics)
        if rc != mqtt.MQTT_ERR_SUCCESS:
            self.problem = mqtt.error_string(rc)
            self._done.set()
        else:
            self._mid = mid

    def on_subscribe(
        self, _client: Any, _userdata: Any, mid: int, reason_codes: list[Any], _props: Any
    ) -> None:
        """paho's ``on_subscribe``: the SUBACK of the last ``send``."""
        if mid != self._mid:
            return
        refused = [str(rc) for rc in reason_codes if getattr(rc, "is_failure", False)]
        self.problem = refused[0] if refused else None
        self._done.set()

    def wait(self, timeout_s: float) -> str | None:
        """None once every topic was granted; else what went wrong (or that no SUBACK came)."""
        if not self._done.wait(max(0.0, timeout_s)):
            return N_("no SUBACK within {timeout_s:g} s", timeout_s=timeout_s)
        return self.problem


def subscriber(
    settings: MqttSettings,
    client_id: str,
    topics: list[tuple[str, int]],
    on_message: Callable[[str, bytes], None],
) -> tuple[Any, Subscription]:
    """A paho client (not yet connected) that subscribes to ``topics`` once the broker accepts
    it and hands each message's topic and payload to ``on_message``; its ``Subscription`` says
    when the broker answered the connection and granted the topics."""
    subscription = Subscription(topics)
    client = make_client(settings, client_id=client_id)
    client.on_connect = subscription.on_connect
    client.on_subscribe = subscription.on_subscribe
    client.on_message = lambda _c, _u, msg: on_message(msg.topic, msg.payload)
    return client, subscription
