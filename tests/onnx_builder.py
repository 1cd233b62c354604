"""Tiny ONNX files written by hand (protobuf by hand, no ``onnx`` package), for model tests.

The graph outputs a fixed tensor plus 0 x mean(input), so OpenCV runs a real ONNX file with a real
input and the test decides exactly what the "model" answers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["tiny_onnx"]


def _pb_varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _pb(field: int, value: int | bytes | str) -> bytes:
    """One protobuf field: varint for int, length-delimited for bytes/str."""
    if isinstance(value, int):
        return _pb_varint(field << 3) + _pb_varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _pb_varint(field << 3 | 2) + _pb_varint(len(data)) + data


def tiny_onnx(path, detections: np.ndarray, size: int) -> None:
    """An ONNX file whose output is ``detections`` (+ 0 x mean(input)), written without onnx."""

    def tensor(name: str, a: np.ndarray) -> bytes:
        dims = b"".join(_pb(1, d) for d in a.shape)
        return dims + _pb(2, 1) + _pb(8, name) + _pb(9, a.astype("<f4").tobytes())

    def value_info(name: str, dims) -> bytes:
        shape = b"".join(_pb(1, _pb(1, d)) for d in dims)
        return _pb(1, name) + _pb(2, _pb(1, _pb(1, 1) + _pb(2, shape)))

    def node(op: str, ins, outs, attrs: bytes = b"") -> bytes:
        return (
            b"".join(_pb(1, i) for i in ins)
            + b"".join(_pb(2, o) for o in outs)
            + _pb(4, op)
            + attrs
        )

    keepdims = _pb(5, _pb(1, "keepdims") + _pb(3, 0) + _pb(20, 2))
    graph = b"".join(
        _pb(1, n)
        for n in (
            node("ReduceMean", ["images"], ["m"], keepdims),
            node("Mul", ["m", "zero"], ["z"]),
            node("Add", ["det", "z"], ["out"]),
        )
    )
    graph += _pb(2, "g") + _pb(5, tensor("det", detections))
    graph += _pb(5, tensor("zero", np.zeros((), np.float32)))
    graph += _pb(11, value_info("images", [1, 3, size, size]))
    graph += _pb(12, value_info("out", list(detections.shape)))
    path.write_bytes(_pb(1, 7) + _pb(7, graph) + _pb(8, _pb(1, "") + _pb(2, 13)))
