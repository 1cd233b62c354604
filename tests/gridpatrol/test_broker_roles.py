# ruff: noqa: F811 - pytest fixtures imported from tests.secure_broker are parameters here
"""``gridpatrol broker config`` against a real mosquitto: each role only on its own topics."""

from __future__ import annotations

import pytest
from secure_broker import secure_broker  # noqa: F401 - a pytest fixture, used by name

from gridpatrol.broker_config import hash_password

VEHICLE = "gridpatrol/v1/vehicles/drone-1/position"
ALERT = "gridpatrol/v1/alerts/cells/7"
ACK = "gridpatrol/v1/alerts/acks/a1"


@pytest.fixture
def ops(secure_broker):
    """The read-everything user, watching what really gets through."""
    client = secure_broker.client("gp-ops")
    client.subscribe("gridpatrol/#")
    yield client
    client.close()


@pytest.mark.parametrize(
    ("user", "allowed", "denied"),
    [
        ("gp-bridge", VEHICLE, [ALERT, ACK]),
        ("gp-vision", ALERT, [VEHICLE, ACK]),
        ("gp-centre", ACK, [VEHICLE, ALERT]),
    ],
)
def test_each_role_publishes_only_its_own_topics(secure_broker, ops, user, allowed, denied):
    client = secure_broker.client(user)
    try:
        for topic in denied:
            client.publish(topic, b"forged")
        client.publish(allowed, b"genuine")
        got = ops.received()
    finally:
        client.close()
    assert got == [(allowed, b"genuine")]


def test_roles_cannot_subscribe_outside_their_topics(secure_broker):
    """mosquitto 2.0 grants the SUBACK and checks read access per message: nothing arrives."""
    bridge = secure_broker.client("gp-bridge")
    centre = secure_broker.client("gp-centre")
    vision = secure_broker.client("gp-vision")
    try:
        bridge.subscribe("gridpatrol/v1/alerts/cells/+")
        vision.subscribe("gridpatrol/v1/alerts/acks/+")
        centre.subscribe("gridpatrol/v1/alerts/cells/+")
        vision.publish(ALERT, b"alert")
        assert centre.received() == [(ALERT, b"alert")]
        assert bridge.received(0.5) == []
        centre.publish(ACK, b"ack")
        assert vision.received(0.5) == []
    finally:
        for c in (bridge, centre, vision):
            c.close()


def test_anonymous_and_wrong_password_are_refused(secure_broker, cli, tmp_path):
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not-the-password\n")
    result = cli(
        "alerts", "--mqtt", secure_broker.url("gp-centre"), "--mqtt-ca", secure_broker.ca,
        "--mqtt-password-file", wrong, "--db", tmp_path / "a.sqlite", "--wait", "1",
    )  # fmt: skip
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "not-the-password" not in result.err
    assert "not authori" in lines[0].lower()
    anonymous = cli(
        "alerts", "--mqtt", f"mqtts://127.0.0.1:{secure_broker.port}",
        "--mqtt-ca", secure_broker.ca, "--db", tmp_path / "b.sqlite", "--wait", "1",
    )  # fmt: skip
    assert anonymous.code == 2 and len(anonymous.err.strip().splitlines()) == 1


def test_config_refuses_to_overwrite_and_bad_port(secure_broker, cli):
    again = cli("broker", "config", "--out", secure_broker.out)
    assert again.code == 2 and "--force" in again.err
    bad = cli("broker", "config", "--out", secure_broker.out / "x", "--port", "99999")
    assert bad.code == 2 and "1 to 65535" in bad.err
    partial = cli("broker", "config", "--out", secure_broker.out / "y", "--cafile", "ca.crt")
    assert partial.code == 2 and "all three" in partial.err


def test_python_hash_matches_mosquitto_format():
    import base64
    import hashlib

    salt = b"0123456789ab"
    line = hash_password("secret", salt)
    _, seven, rounds, salt_b64, digest = line.split("$")
    assert (seven, rounds) == ("7", "101") and base64.b64decode(salt_b64) == salt
    expected = hashlib.pbkdf2_hmac("sha512", b"secret", salt, 101)
    assert base64.b64decode(digest) == expected
