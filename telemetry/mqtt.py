"""Broker connection settings, and building a configured paho 2.x client from them.

The topic tree is ``telemetry.topics``; ``TOPIC_ROOT`` and ``vehicle_topic`` are re-exported here.
"""

from __future__ import annotations

import os
import socket
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field

from telemetry.errors import TelemetryError
from telemetry.topics import TOPIC_ROOT, vehicle_topic

__all__ = ["MqttSettings", "MqttError", "make_client", "TOPIC_ROOT", "vehicle_topic"]


class MqttError(TelemetryError):
    """The broker URL or TLS settings are unusable."""


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
    password: str | None = None
    client_id: str = Field(
        default_factory=lambda: f"gridpatrol-{socket.gethostname()}-{os.getpid()}"
    )
    keepalive: int = 30
    protocol: Literal["3.1.1", "5"] = "3.1.1"

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> MqttSettings:
        """Parse ``mqtt[s]://[user:pass@]host[:port]``; keyword overrides win over the URL."""
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise MqttError(
                f"bad MQTT URL {url!r}; use mqtt://host:1883 or mqtts://user:pass@host:8883"
            )
        try:
            port = parts.port
        except ValueError as exc:
            raise MqttError(f"bad port in MQTT URL {url!r}; use e.g. mqtt://host:1883") from exc
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
        client.username_pw_set(settings.username, settings.password)
    if settings.tls or settings.ca_file or settings.cert_file:
        for path in (settings.ca_file, settings.cert_file, settings.key_file):
            if path and not os.path.isfile(path):
                raise MqttError(
                    f"TLS file {path} does not exist; check --mqtt-ca/--mqtt-cert/--mqtt-key"
                )
        try:
            client.tls_set(
                ca_certs=settings.ca_file, certfile=settings.cert_file, keyfile=settings.key_file
            )
        except (OSError, ValueError) as exc:
            raise MqttError(f"cannot load TLS files: {exc}; check the certificate paths") from exc
    client.reconnect_delay_set(min_delay=0.2, max_delay=2)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    return client
