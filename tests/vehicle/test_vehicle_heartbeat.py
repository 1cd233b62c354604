"""One rule for "is this a vehicle?", one for asking for telemetry, one signing clock (issue 12)."""

from __future__ import annotations

import pytest
from pymavlink.dialects.v20 import ardupilotmega as apm

from vehicle.heartbeat import is_ground_station, is_vehicle
from vehicle.intervals import MAV_CMD_SET_MESSAGE_INTERVAL, encode, interval_requests
from vehicle.signing import signing_timestamp


def heartbeat(mav_type: int, autopilot: int):
    """A HEARTBEAT as it comes off the wire: encoded to bytes by one MAVLink, parsed by another."""
    sender = apm.MAVLink(None, srcSystem=3, srcComponent=1)
    wire = sender.heartbeat_encode(mav_type, autopilot, 0, 0, 4).pack(sender)
    (msg,) = apm.MAVLink(None).parse_buffer(wire)
    return msg


@pytest.mark.parametrize(
    "mav_type, autopilot, vehicle, gcs",
    [
        (apm.MAV_TYPE_QUADROTOR, apm.MAV_AUTOPILOT_ARDUPILOTMEGA, True, False),
        (apm.MAV_TYPE_FIXED_WING, apm.MAV_AUTOPILOT_PX4, True, False),
        (apm.MAV_TYPE_GCS, apm.MAV_AUTOPILOT_INVALID, False, True),
        (apm.MAV_TYPE_GCS, apm.MAV_AUTOPILOT_ARDUPILOTMEGA, False, True),  # a GCS that says APM
        (apm.MAV_TYPE_GIMBAL, apm.MAV_AUTOPILOT_ARDUPILOTMEGA, False, False),
        (apm.MAV_TYPE_ONBOARD_CONTROLLER, apm.MAV_AUTOPILOT_GENERIC, False, False),
        (apm.MAV_TYPE_ADSB, apm.MAV_AUTOPILOT_GENERIC, False, False),
        (apm.MAV_TYPE_QUADROTOR, apm.MAV_AUTOPILOT_INVALID, False, False),
    ],
)
def test_heartbeat_classification(mav_type, autopilot, vehicle, gcs):
    msg = heartbeat(mav_type, autopilot)
    assert is_vehicle(msg) is vehicle
    assert is_ground_station(msg) is gcs


def test_only_heartbeats_are_classified():
    mav = apm.MAVLink(None, srcSystem=1, srcComponent=1)
    (msg,) = apm.MAVLink(None).parse_buffer(mav.system_time_encode(0, 0).pack(mav))
    assert not is_vehicle(msg) and not is_ground_station(msg)


def test_interval_requests_skip_unknown_names_and_stop_on_zero():
    reqs = interval_requests({"GLOBAL_POSITION_INT": 5.0, "NO_SUCH_MSG": 1.0, "ATTITUDE": 0.0})
    assert [(r.msg_id, r.interval_us) for r in reqs] == [(33, 200_000.0), (30, -1)]
    mav = apm.MAVLink(None, srcSystem=255, srcComponent=190)
    (cmd,) = apm.MAVLink(None).parse_buffer(encode(mav, 1, 1, reqs[0]).pack(mav))
    assert cmd.command == MAV_CMD_SET_MESSAGE_INTERVAL
    assert (cmd.param1, cmd.param2, cmd.target_system) == (33, 200_000.0, 1)


def test_signing_time_counts_10_us_since_2015():
    assert signing_timestamp(1420070400.0) == 0
    assert signing_timestamp(1420070401.5) == 150_000
