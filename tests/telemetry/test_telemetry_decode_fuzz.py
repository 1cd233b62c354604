"""hypothesis against the MAVLink decoder: arbitrary bytes in arbitrary chunks never raise, every
byte is accounted for, and valid frames with garbage or truncated frames between them all come out.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vehicle.decode import Decoder, new_mav


def _frames() -> list[bytes]:
    """Real encoded packets of several kinds and sizes, from two vehicles."""
    out = []
    for sysid in (1, 2):
        mav = new_mav(sysid, 1)
        msgs = [
            mav.heartbeat_encode(2, 3, 0x81, 4, 4),
            mav.global_position_int_encode(1000, 360650000, 1037950000, 1520000, 20000, 1, 2, 3, 0),
            mav.attitude_encode(1000, 0.1, -0.2, 3.0, 0.0, 0.0, 0.0),
            mav.statustext_encode(4, b"PreArm: GPS not healthy", 0, 0),
            mav.sys_status_encode(0, 0, 0, 500, 12000, -1, 80, 0, 0, 0, 0, 0, 0),
        ]
        for m in msgs:
            out.append(bytes(m.pack(mav)))
            mav.seq = (mav.seq + 1) % 256
    return out


FRAMES = _frames()
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def feed_all(data: bytes, cuts: list[int]) -> tuple[Decoder, list]:
    """Feed ``data`` split at ``cuts``, then flush as a stream that ended."""
    decoder = Decoder(new_mav())
    out, start = [], 0
    for cut in sorted(c % (len(data) + 1) for c in cuts) + [len(data)]:
        out += decoder.feed(data[start:cut])
        start = max(start, cut)
    out += decoder.feed(b"", final=True)
    return decoder, out


def assert_accounted(decoder: Decoder, out: list) -> None:
    s = decoder.stats
    delivered = sum(len(m.get_msgbuf()) for m in out)
    assert decoder.pending == 0
    assert s.messages == len(out)
    assert delivered + s.bad_bytes + s.unknown_bytes == s.bytes_in


@FUZZ
@given(st.binary(max_size=3000), st.lists(st.integers(0, 3000), max_size=8))
def test_arbitrary_bytes_never_raise_and_every_byte_is_counted(data, cuts):
    decoder, out = feed_all(data, cuts)
    assert_accounted(decoder, out)


@FUZZ
@given(
    st.lists(
        st.tuples(st.sampled_from(range(len(FRAMES))), st.binary(max_size=40), st.booleans()),
        min_size=1,
        max_size=25,
    ),
    st.lists(st.integers(0, 6000), max_size=8),
)
def test_valid_frames_survive_garbage_and_truncated_frames_between_them(parts, cuts):
    """Between frames: random garbage (magic bytes included) or a frame cut short. A cut frame's
    header claims bytes that belong to the next frame; the decoder must still deliver that one."""
    stream, expected = b"", []
    for index, garbage, truncate in parts:
        if truncate:
            victim = FRAMES[(index + 3) % len(FRAMES)]
            garbage += victim[: max(1, len(victim) // 2)]
        stream += garbage + FRAMES[index]
        expected.append(FRAMES[index])
    decoder, out = feed_all(stream, cuts)
    got = [bytes(m.get_msgbuf()) for m in out]
    # every valid frame comes out, in order; garbage may at most add a frame it happens to hold
    it = iter(got)
    assert all(any(g == want for g in it) for want in expected), "a valid frame was lost"
    assert_accounted(decoder, out)
