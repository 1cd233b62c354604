"""A real mosquitto started from ``gridpatrol broker config``: private CA, TLS, users, ACL.

Imported by the tests of MQTT credentials and broker roles (``from secure_broker import
secure_broker``), so both exercise the configuration an operator would deploy.
"""

from __future__ import annotations

import os
import queue
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gridpatrol.broker import BrokerUnavailable, MosquittoBroker, free_port


@dataclass
class SecureBroker:
    port: int
    out: Path
    broker: MosquittoBroker

    @property
    def ca(self) -> str:
        return str(self.out / "ca.crt")

    def password_file(self, user: str) -> str:
        return str(self.out / "passwords" / f"{user}.txt")

    def url(self, user: str) -> str:
        return f"mqtts://{user}@127.0.0.1:{self.port}"

    def options(self, user: str) -> list[str]:
        """The shared CLI options that connect as ``user``."""
        return [
            "--mqtt",
            self.url(user),
            "--mqtt-ca",
            self.ca,
            "--mqtt-password-file",
            self.password_file(user),
        ]

    def client(self, user: str, protocol: str = "5") -> Client:
        from telemetry.mqtt import MqttSettings, read_password_file

        settings = MqttSettings.from_url(
            self.url(user),
            ca_file=self.ca,
            password=read_password_file(self.password_file(user)),
            protocol=protocol,
            client_id=f"test-{user}-{uuid.uuid4().hex[:6]}",
        )
        return Client(settings)


class Client:
    """A connected paho client that queues what it receives."""

    def __init__(self, settings: Any):
        from telemetry.mqtt import make_client

        self.messages: queue.Queue = queue.Queue()
        self.subacks: queue.Queue = queue.Queue()
        self.paho = make_client(settings)
        self.paho.on_message = lambda c, u, m: self.messages.put((m.topic, m.payload))
        self.paho.on_subscribe = lambda c, u, mid, codes, p: self.subacks.put(codes)
        self.paho.connect(settings.host, settings.port)
        self.paho.loop_start()

    def subscribe(self, topic: str) -> list[Any]:
        self.paho.subscribe(topic, qos=1)
        return self.subacks.get(timeout=5)

    def publish(self, topic: str, payload: bytes) -> Any:
        info = self.paho.publish(topic, payload, qos=1)
        info.wait_for_publish(5)
        return info

    def received(self, wait: float = 1.0) -> list[tuple[str, bytes]]:
        out = []
        try:
            while True:
                out.append(self.messages.get(timeout=wait))
                wait = 0.2
        except queue.Empty:
            return out

    def close(self) -> None:
        self.paho.disconnect()
        self.paho.loop_stop()


@pytest.fixture
def secure_broker(tmp_path, cli) -> SecureBroker:
    """``gridpatrol broker config`` in tmp_path, then mosquitto started with that config. The
    free port can be taken by another test before mosquitto binds it (the broker then says so):
    a fresh config on another port is tried, up to three times."""
    for attempt in range(3):
        port = free_port()
        out = tmp_path / f"broker-{attempt}"
        args = ["broker", "config", "--out", out, "--port", port, "--listen", "127.0.0.1"]
        args += ["--name", "127.0.0.1", "--name", "localhost"]
        if os.geteuid() == 0:
            args += ["--run-as", "root"]
        result = cli(*args)
        assert result.code == 0, result.err
        try:
            broker = MosquittoBroker(port=port, workdir=out, config=out / "mosquitto.conf").start()
            break
        except BrokerUnavailable as exc:
            if attempt == 2:
                pytest.fail(str(exc))
    yield SecureBroker(port, out, broker)
    broker.stop()
