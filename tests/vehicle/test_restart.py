"""Restarting the autopilot for a boot-time parameter, against the scripted vehicle's MAVLink."""

from __future__ import annotations

import pytest
from scripted_peer import Knobs, ScriptedVehicle

from vehicle.commands import find_vehicle
from vehicle.link import open_link
from vehicle.restart import BOOT_COUNTER, RestartError, restart


def test_restart_returns_once_the_boot_counter_has_risen():
    with ScriptedVehicle() as vehicle, open_link(vehicle.url) as link:
        count = restart(link, find_vehicle(link, 5), why="OA_TYPE", timeout_s=10)
    assert count == 2 and vehicle.knobs.params[BOOT_COUNTER][0] == 2
    assert vehicle.commands.count(246) == 1


def test_a_vehicle_that_never_boots_again_is_named_with_the_parameter_and_the_fix():
    """An acknowledged reboot is not a finished one: a vehicle whose boot counter never rises has
    not restarted, and the parameter that needed it is not in force."""
    with ScriptedVehicle(Knobs(comes_back=False)) as vehicle, open_link(vehicle.url) as link:
        with pytest.raises(RestartError) as err:
            restart(link, find_vehicle(link, 5), why="OA_TYPE", timeout_s=1.5)
    text = str(err.value)
    assert "OA_TYPE" in text and "upload again" in text and "\n" not in text
