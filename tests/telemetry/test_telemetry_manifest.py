"""Item 2 of issue 15: the manifest hash a subscriber sees is read back from the vehicle.

A scripted vehicle (real MAVLink 2 over loopback TCP) is given a mission by ``upload``'s engine,
the bridge runs against it into a real mosquitto, and a real subscriber checks that
``manifest_sha256`` on the vehicle's mission records is the hash ``upload`` printed, and that it
follows the vehicle when another ground station replaces the mission.
"""

from __future__ import annotations

import threading

from scripted_peer import ScriptedVehicle
from sitl_fixtures import patrol_sortie
from telemetry_support import Subscriber

from telemetry.service import BridgeOptions, run_bridge
from vehicle.commands import find_vehicle
from vehicle.link import open_link
from vehicle.transfer import manifest_sha256, upload_verified


def _manifests(sub: Subscriber) -> list[str | None]:
    return [r["manifest_sha256"] for r in sub.records("mission", "sys1")]


def test_subscriber_sees_the_hash_of_the_mission_the_vehicle_holds(
    mosquitto, tmp_path, example_district
):
    mission = patrol_sortie(example_district)
    with ScriptedVehicle() as vehicle:
        with open_link(vehicle.url) as link:
            digest = upload_verified(link, mission, target=find_vehicle(link, 5))
        assert digest == manifest_sha256(mission)
        sub = Subscriber(mosquitto.port)
        stop = threading.Event()
        opts = BridgeOptions(mavlink=[vehicle.url], mqtt=mosquitto.url, spool=tmp_path / "s.db")
        result: dict = {}
        bridge = threading.Thread(target=lambda: result.update(run_bridge(opts, stop)))
        bridge.start()
        try:
            assert sub.wait(lambda: digest in _manifests(sub), 15), _manifests(sub)
            # Another ground station replaces the mission (a shorter one): the hash follows.
            shorter = [*vehicle.stores[0][:3], vehicle.stores[0][-1]]
            vehicle.stores[0] = shorter
            assert sub.wait(lambda: _manifests(sub)[-1] not in (digest, None), 15), _manifests(sub)
        finally:
            stop.set()
            bridge.join(30)
            sub.close()
    assert _manifests(sub)[-1] != manifest_sha256(mission)
    assert result["manifest_reads"] >= 2 and result["manifest_read_failures"] == 0
    records = sub.records("mission", "sys1")
    assert all(r["seq"] == i for i, r in enumerate(records, start=1))  # nothing lost meanwhile


def test_a_replay_cannot_be_asked_so_the_manifest_stays_unknown(mosquitto, tmp_path):
    from conftest import FIXTURES

    sub = Subscriber(mosquitto.port)
    opts = BridgeOptions(mavlink=[str(FIXTURES / "copter-patrol-1x.tlog")], mqtt=mosquitto.url,
                         spool=tmp_path / "s.db", pace="fast")  # fmt: skip
    summary = run_bridge(opts, threading.Event())
    sub.wait(lambda: len(sub.records("mission", "sys1")) >= 5, 5)
    sub.close()
    assert summary["manifest_reads"] == 0
    assert sub.records("mission", "sys1") and set(_manifests(sub)) == {None}
