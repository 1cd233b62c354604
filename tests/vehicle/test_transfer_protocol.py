"""The mission protocol against a scripted vehicle speaking MAVLink 2 over loopback TCP."""

from __future__ import annotations

import pytest
from scripted_peer import HOME, Knobs, ScriptedVehicle

from mission.model import Fence, FenceCircle, FencePolygon, Mission, MissionItem, RallyPoint
from vehicle.commands import set_current
from vehicle.errors import TransferError
from vehicle.link import open_link
from vehicle.transfer import (
    MissionResultError,
    MissionType,
    TransferTimeout,
    VerifyError,
    clear,
    download_items,
    download_mission,
    manifest_sha256,
    result_name,
    upload,
    upload_verified,
    wire_items,
)

FAST = {"timeout_s": 0.15, "retries": 3}


def patrol(n: int = 8, alt: float = 40.0) -> Mission:
    lat0, lon0, _ = HOME
    items = [MissionItem(command=22, alt=20.0)]
    items += [
        MissionItem(command=16, lat=lat0 + 0.0003 * i, lon=lon0 + 0.0002 * (i % 3), alt=alt + i)
        for i in range(1, n - 1)
    ]
    items.append(MissionItem(command=20))
    fence = Fence(
        polygons=(
            FencePolygon(
                ((lat0 - 0.01, lon0 - 0.01), (lat0 + 0.01, lon0 - 0.01), (lat0, lon0 + 0.01)), True
            ),
            FencePolygon(
                (
                    (lat0 + 0.002, lon0),
                    (lat0 + 0.003, lon0),
                    (lat0 + 0.003, lon0 + 0.001),
                    (lat0 + 0.002, lon0 + 0.001),
                ),
                False,
            ),
        ),
        circles=(
            FenceCircle(lat0, lon0, 1500.0, True),
            FenceCircle(lat0 - 0.004, lon0, 80.0, False),
        ),
    )
    rally = (RallyPoint(lat0 + 0.001, lon0, 30.0), RallyPoint(lat0 - 0.001, lon0, 35.0))
    return Mission(items=tuple(items), fence=fence, rally=rally)


@pytest.fixture
def vehicle_link():
    """Start a scripted vehicle with the given knobs and open a real link to it."""
    opened = []

    def make(knobs: Knobs | None = None):
        peer = ScriptedVehicle(knobs).start()
        link = open_link(peer.url)
        opened.append((peer, link))
        return peer, link

    yield make
    for peer, link in opened:
        link.close()
        peer.stop()


def stored(peer: ScriptedVehicle, mission_type: MissionType) -> list[tuple]:
    return [(f["command"], f["x"], f["y"], round(f["z"], 2)) for f in peer.stores[mission_type]]


def sent(mission: Mission, mission_type: MissionType) -> list[tuple]:
    return [(w.command, w.x, w.y, round(w.z, 2)) for w in wire_items(mission, mission_type)]


@pytest.mark.parametrize("legacy", [True, False], ids=["MISSION_REQUEST", "MISSION_REQUEST_INT"])
def test_verified_upload_round_trips_mission_fence_and_rally(vehicle_link, legacy):
    peer, link = vehicle_link(Knobs(legacy_requests=legacy))
    mission = patrol()
    seen = []
    digest = upload_verified(link, mission, progress=lambda t, d, n: seen.append((t, d, n)), **FAST)
    assert digest == manifest_sha256(mission)
    for t in MissionType:
        assert (
            stored(peer, t)[int(t is MissionType.MISSION) :]
            == sent(mission, t)[int(t is MissionType.MISSION) :]
        )
    assert "MISSION_ITEM" not in peer.received  # never the deprecated float item
    assert seen[-1] == (MissionType.RALLY, 2, 2)
    back, back_digest = download_mission(link, **FAST)
    assert back_digest == digest
    assert back.items == tuple(
        MissionItem(**{**i.__dict__, "lat": w.lat, "lon": w.lon})
        for i, w in zip(mission.items, wire_items(mission, MissionType.MISSION)[1:], strict=True)
    )
    assert back.home.lat == pytest.approx(HOME[0]) and back.home.frame == 0
    assert [p.inclusion for p in back.fence.polygons] == [True, False]
    assert [len(p.vertices) for p in back.fence.polygons] == [3, 4]
    assert [(c.radius_m, c.inclusion) for c in back.fence.circles] == [(1500, True), (80, False)]
    assert [r.alt for r in back.rally] == [30.0, 35.0]


@pytest.mark.parametrize(
    "knobs",
    [
        Knobs(drop_requests={0, 3, 7}),
        Knobs(duplicate_requests={1, 4, 7}),
        Knobs(reorder=True, seed=3),
        Knobs(reorder=True, drop_requests={2}, duplicate_requests={5}, seed=11),
    ],
    ids=["dropped", "duplicated", "out-of-order", "all-three"],
)
def test_upload_survives_lost_repeated_and_reordered_requests(vehicle_link, knobs):
    peer, link = vehicle_link(knobs)
    mission = patrol(n=10)
    progress = []
    upload(link, mission, progress=lambda d, n: progress.append(d), **FAST)
    assert stored(peer, MissionType.MISSION)[1:] == sent(mission, MissionType.MISSION)[1:]
    assert progress == list(range(1, 12))  # home + 10 items


REFUSALS = [r for r in range(1, 16) if r not in (4, 13)]


@pytest.mark.parametrize("result", REFUSALS, ids=[result_name(r) for r in REFUSALS])
def test_nack_is_reported_by_name_with_its_item(vehicle_link, result):
    peer, link = vehicle_link(Knobs(nack=(3, result)))
    with pytest.raises(MissionResultError) as err:
        upload(link, patrol(), **FAST)
    assert err.value.result == result_name(result)
    assert f"{result_name(result)} at item 3 (NAV_WAYPOINT)" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("result", [1, 5, 14, 15], ids=lambda r: result_name(r))
def test_nack_of_the_count_names_mission_count(vehicle_link, result):
    peer, link = vehicle_link(Knobs(nack=(-1, result)))
    with pytest.raises(MissionResultError, match=f"{result_name(result)} at MISSION_COUNT"):
        upload(link, patrol(), mission_type=MissionType.FENCE, **FAST)
    assert "MISSION_ITEM_INT" not in peer.received


def test_invalid_sequence_nack_then_silence_names_it(vehicle_link):
    peer, link = vehicle_link(Knobs(nack=(2, 13)))
    with pytest.raises(TransferError, match="MAV_MISSION_INVALID_SEQUENCE at item 2"):
        upload(link, patrol(), **FAST)


def test_no_space_names_the_limit_the_vehicle_states_and_keeps_its_mission(vehicle_link):
    peer, link = vehicle_link(Knobs(slots={0: 12, 1: 100, 2: 20}))
    small = patrol(n=6)
    upload(link, small, **FAST)
    with pytest.raises(MissionResultError, match="MAV_MISSION_NO_SPACE at MISSION_COUNT") as err:
        upload(link, patrol(n=20), **FAST)
    assert "at most 12 mission items" in str(err.value)
    assert stored(peer, MissionType.MISSION)[1:] == sent(small, MissionType.MISSION)[1:]


def test_no_space_without_a_stated_limit_is_retried_then_refused(vehicle_link):
    peer, link = vehicle_link(Knobs(slots={0: 5, 1: 100, 2: 20}, announce_limit=False))
    with pytest.raises(MissionResultError, match="NO_SPACE"):
        upload(link, patrol(n=8), **FAST)
    assert peer.received.count("MISSION_COUNT") == FAST["retries"] + 1


def test_no_space_just_after_boot_is_waited_out(vehicle_link):
    peer, link = vehicle_link(Knobs(boot_no_space=2, announce_limit=False))
    upload(link, patrol(), **FAST)
    assert len(peer.stores[MissionType.MISSION]) == 9


def test_configured_item_limit_refuses_before_anything_is_sent(vehicle_link):
    peer, link = vehicle_link()
    with pytest.raises(TransferError, match="needs 12 items but the vehicle holds at most 10"):
        upload(link, patrol(n=11), item_limit=10, **FAST)
    assert "MISSION_COUNT" not in peer.received


@pytest.mark.parametrize("after", [0, 4], ids=["at-once", "mid-upload"])
def test_silent_vehicle_times_out_with_one_line(vehicle_link, after):
    peer, link = vehicle_link(Knobs(silent_after=after))
    with pytest.raises(TransferTimeout) as err:
        upload(link, patrol(), **FAST)
    text = str(err.value)
    assert ("never asked" in text) if after == 0 else ("stopped asking after item" in text)
    assert "3 retries of 0.15 s" in text


def test_silent_vehicle_during_download_times_out(vehicle_link):
    peer, link = vehicle_link(Knobs(silent_after=0))
    with pytest.raises(TransferTimeout, match="never answered the rally MISSION_REQUEST_LIST"):
        download_items(link, MissionType.RALLY, **FAST)


@pytest.mark.parametrize("window", [1, 6])
def test_download_survives_lost_and_repeated_items(vehicle_link, window):
    peer, link = vehicle_link(Knobs(drop_items={1, 4}, duplicate_items={2, 5}))
    mission = patrol(n=9)
    upload(link, mission, **FAST)
    items = download_items(link, item_timeout_s=0.1, window=window, **FAST)
    assert [(w.command, w.x, w.y, round(w.z, 2)) for w in items[1:]] == sent(
        mission, MissionType.MISSION
    )[1:]


def _shift(field: str, seq: int, by: float):
    def alter(mission_type: int, s: int, fields: dict) -> dict:
        if mission_type == 0 and s == seq:
            return dict(fields, **{field: fields[field] + by})
        return fields

    return alter


@pytest.mark.parametrize(
    "field,by,message",
    [
        ("z", 0.5, "mission item 2 (NAV_WAYPOINT): altitude sent 41.00 m, vehicle has 41.50 m"),
        ("x", 1, "mission item 2 (NAV_WAYPOINT): position sent"),
        ("param1", 2.0, "mission item 2 (NAV_WAYPOINT): param1 sent 0, vehicle has 2"),
        ("command", 1, "mission item 2 (NAV_WAYPOINT): command sent 16, vehicle has 17"),
    ],
)
def test_verify_refuses_a_vehicle_that_stores_something_else(vehicle_link, field, by, message):
    peer, link = vehicle_link(Knobs(alter=_shift(field, 2, by)))
    with pytest.raises(VerifyError) as err:
        upload_verified(link, patrol(), **FAST)
    assert message in str(err.value)
    assert "do not fly" in str(err.value)


def test_verify_accepts_altitude_within_a_centimetre(vehicle_link):
    peer, link = vehicle_link(Knobs(alter=_shift("z", 2, 0.004)))
    assert upload_verified(link, patrol(), **FAST) == manifest_sha256(patrol())


def test_clear_and_set_current(vehicle_link):
    peer, link = vehicle_link()
    mission = patrol()
    upload_verified(link, mission, **FAST)
    set_current(link, 3, timeout_s=0.3)
    assert peer.current_seq == 3
    clear(link, MissionType.FENCE, **FAST)
    assert peer.stores[MissionType.FENCE] == []
    assert len(peer.stores[MissionType.MISSION]) == 9


def test_signed_link_talks_and_unsigned_link_is_ignored(vehicle_link):
    key = bytes(range(32))
    peer, unsigned = vehicle_link(Knobs(signing_key=key))
    with pytest.raises(TransferTimeout):
        upload(unsigned, patrol(), **FAST)
    assert peer.stores[MissionType.MISSION] == []
    peer2 = ScriptedVehicle(Knobs(signing_key=key)).start()
    signed = open_link(peer2.url, signing_key=key)
    try:
        assert upload_verified(signed, patrol(), **FAST) == manifest_sha256(patrol())
    finally:
        signed.close()
        peer2.stop()
