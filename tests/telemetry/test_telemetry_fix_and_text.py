"""Issue 15 items 1 and 10: no position record without a GPS fix, ``cell`` null (never 0)
outside the district, and multi-part STATUSTEXT messages joined into one event."""

from __future__ import annotations

from conftest import EXAMPLE_DISTRICT
from telemetry_support import TLOG, Feed

from telemetry.normalise import NormaliseConfig, Normaliser
from telemetry.service import cell_tagger
from vehicle.link import open_link

NO_LIMIT = NormaliseConfig(rates_hz={})
LANZHOU = (360650000, 1037950000)  # inside the example district (lat, lon * 1e7)


def replay(normaliser: Normaliser) -> tuple[list, list]:
    """Every record of the real SITL flight, and the GPS_RAW_INT messages in it."""
    records, gps = [], []
    with open_link(str(TLOG), pace="fast") as link:
        while (msg := link.recv(1.0)) is not None:
            if msg.get_type() == "GPS_RAW_INT":
                gps.append(msg)
            records += normaliser.feed(msg, link=link.name)
        records += normaliser.finish(link.name)
    return records, gps


def test_the_real_flight_publishes_no_position_before_its_gps_fix_and_never_cell_0():
    records, gps = replay(Normaliser(NO_LIMIT, cell_of=cell_tagger(EXAMPLE_DISTRICT)))
    positions = [r for r in records if r.kind == "position"]
    first_fix = min(m._timestamp for m in gps if m.fix_type >= 2)
    assert len(positions) == 499  # of 530 GLOBAL_POSITION_INT: 30 at 0,0 and 1 before the fix
    assert all((p.lat, p.lon) != (0.0, 0.0) for p in positions)
    assert positions[0].wall_time >= first_fix
    assert all(p.cell != 0 for p in positions) and {5, 15} <= {p.cell for p in positions}
    # the gps records say why there was no position before the fix
    early = [r for r in records if r.kind == "gps" and r.wall_time < first_fix]
    assert early and all(r.fix in ("no_gps", "no_fix") for r in early)


def test_a_position_outside_every_cell_has_cell_null_and_leaves_the_cell():
    def cell_of(lon: float, lat: float) -> int:  # CellIndex's convention: 0 outside every cell
        return 7 if (round(lat * 1e7), round(lon * 1e7)) == LANZHOU else 0

    feed = Feed(Normaliser(NO_LIMIT, cell_of=cell_of))
    feed.heartbeat()
    feed("gps_raw_int", 0, 3, *LANZHOU, 1520000, 100, 100, 0, 0, 10)
    args = (1520000, 20000, 0, 0, 0, 0)
    (enter, here) = feed("global_position_int", 1, *LANZHOU, *args)
    (leave, there) = feed("global_position_int", 2, 370000000, 1040000000, *args)
    assert (enter.event, here.cell) == ("cell_enter", 7)
    assert (leave.event, leave.details, there.cell) == ("cell_leave", {"cell": 7}, None)


def test_a_lost_fix_stops_positions_until_it_is_back():
    feed = Feed(Normaliser(NO_LIMIT))
    feed.heartbeat()
    args = (1520000, 20000, 0, 0, 0, 0)
    assert feed("global_position_int", 1, 0, 0, *args) == []  # 0,0 is no position at all
    feed("gps_raw_int", 0, 3, *LANZHOU, 1520000, 100, 100, 0, 0, 10)
    assert [r.kind for r in feed("global_position_int", 2, *LANZHOU, *args)] == ["position"]
    (gps,) = feed("gps_raw_int", 0, 1, *LANZHOU, 1520000, 100, 100, 0, 0, 3, dt=1.5)
    assert gps.fix == "no_fix"
    assert feed("global_position_int", 3, *LANZHOU, *args) == []


def texts(records) -> list[tuple[str, dict]]:
    return [(r.text, r.details) for r in records if r.kind == "event" and r.event == "statustext"]


CHUNKS = [b"A" * 50, b"B" * 50, b"C" * 7]
WHOLE = "A" * 50 + "B" * 50 + "C" * 7


def test_statustext_chunks_are_joined_in_order_despite_repeats_and_reordering():
    feed = Feed(Normaliser(NO_LIMIT))
    feed.heartbeat()
    out = []
    for seq in (2, 0, 0, 1):  # reordered, with a repeated chunk
        out += feed("statustext", 4, CHUNKS[seq], 77, seq)
    assert texts(out) == [(WHOLE, {"chunks": 3})]
    assert feed.n.texts.duplicates == 1
    # a single-part text (id 0) is passed on as it is
    assert texts(feed("statustext", 6, b"Arming motors", 0, 0)) == [("Arming motors", {})]


def test_a_text_that_never_completes_is_let_out_after_the_timeout_and_says_what_is_missing():
    feed = Feed(Normaliser(NO_LIMIT))
    feed.heartbeat()
    assert feed("statustext", 2, CHUNKS[0], 9, 0) == []
    assert feed("statustext", 2, CHUNKS[2], 9, 2) == []  # chunk 1 is lost on the radio
    out = feed.heartbeat(dt=2.5)
    assert texts(out) == [
        ("A" * 50 + "[...]" + "C" * 7, {"chunks": 2, "incomplete": True, "missing_chunks": [1]})
    ]
    assert feed.n.texts.waiting == 0 and feed.n.texts.incomplete == 1


def test_chunks_are_bounded_and_a_replay_that_ends_flushes_what_waits():
    feed = Feed(Normaliser(NO_LIMIT))
    feed.heartbeat()
    out = []
    for seq in range(40):  # never a final (short) chunk: flushed at the chunk limit
        out += feed("statustext", 4, b"x" * 50, 5, seq, dt=0.01)
    (first,) = texts(out)
    assert first[1]["chunks"] == 32 and first[1]["incomplete"] is True
    assert feed.n.texts.waiting == 1  # chunks 32..39 wait for the rest
    (rest,) = texts(feed.n.finish("l"))
    assert rest[1]["incomplete"] is True and rest[0].endswith("[...]")
    assert feed.n.texts.waiting == 0
