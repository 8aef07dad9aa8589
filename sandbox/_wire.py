"""Plain data between the judge and the candidate process: a tagged binary format.

Plain data is exactly None, bool, int, float, complex, str, bytes, list, tuple, dict, set and
frozenset, nested — the builtin types themselves, never a subclass. The encoder runs in both
processes; the decoder that counts is the judge's, and it treats its input as hostile: every
value is built from a one-byte tag by this code (so its type is exact by construction), sizes
are checked against what is left of the frame before anything is allocated, nesting is capped,
and nothing here can build code or an object of any other type (no marshal, no pickle).

    N T F            None, True, False
    i <8>            int that fits in 64 bits (signed, big-endian)
    I <4:n> <n>      any other int (two's complement, big-endian)
    f <8> / c <16>   float / complex (IEEE 754 doubles)
    s <4:n> <n>      str (UTF-8, lone surrogates kept)      b <4:n> <n>  bytes
    l t S Z <4:n>    list, tuple, set, frozenset of n items  d <4:n>  dict of n key, value pairs
    q <4:n> <8n>     list of n ints that each fit in 64 bits (the common big result, packed)

Frames on a stream socket: one kind byte, a 4-byte length, the payload (sandbox._stub and
sandbox._serve say which kinds go which way).
"""

from __future__ import annotations

import array
import select
import socket
import struct
import sys
import time
from types import FunctionType
from typing import Any

MAX_DEPTH = 100
MAX_FRAME = 32 * 2**20
_HEAD = struct.Struct(">cI")
_Q, _D, _DD, _N = struct.Struct(">q"), struct.Struct(">d"), struct.Struct(">dd"), struct.Struct(">I")
_CONTAINERS = {list: b"l", tuple: b"t", set: b"S", frozenset: b"Z"}
_SMALL = (-(2**63), 2**63 - 1)
_PLAIN = (bool, int, float, complex, str, bytes, list, tuple, dict, set, frozenset)
# Bound here: the encoder also runs in the candidate's process, after its code patched builtins.
_len, _type, _isinstance, _getattr, _next, _min, _max, _bytes, _set, _map = (
    len, type, isinstance, getattr, next, min, max, bytes, set, map)
_array, _LITTLE = array.array, sys.byteorder == "little"
_INT_ONLY = {int}  # a list whose items' types (a set built at C speed) are exactly this packs as "q"


class NotPlain(TypeError):
    """A value that is not plain data; `type_name` names the offending type."""

    def __init__(self, type_name: str, why: str = "") -> None:
        super().__init__(f"{type_name}{': ' + why if why else ''}")
        self.type_name, self.why = type_name, why


class WireError(ValueError):
    """Bytes that are not a well-formed frame or value (the judge refuses them)."""


class CallTimeout(TimeoutError):
    """No frame arrived before the deadline."""


def _type_name(value: Any) -> str:
    t = _type(value)
    mod = _getattr(t, "__module__", "")
    name = _getattr(t, "__qualname__", "?")
    return name if mod in ("builtins", "", None) else f"{mod}.{name}"


def _why(value: Any) -> str:
    """Why a value is not plain: the forgeries (a plain type's subclass, an object with its own
    `__eq__`) are told apart from honest mistakes (a generator, a map object)."""
    plain = _next((p for p in _PLAIN if _isinstance(value, p)), None)
    if plain is not None:
        return f"a subclass of {plain.__name__}"
    if _isinstance(_getattr(_type(value), "__eq__", None), FunctionType):  # written in Python
        return "its type defines __eq__"
    return "not plain data"


def encode(value: Any) -> bytes:
    """The plain-data encoding of `value`; raises NotPlain naming the first non-plain type."""
    out = bytearray()
    _enc(value, out, 0)
    return _bytes(out)


def _enc(v: Any, out: bytearray, depth: int) -> None:
    t = _type(v)
    if v is None:
        out += b"N"
    elif t is bool:
        out += b"T" if v else b"F"
    elif t is int:
        if _SMALL[0] <= v <= _SMALL[1]:
            out += b"i" + _Q.pack(v)
        else:
            raw = v.to_bytes((v.bit_length() + 8) // 8, "big", signed=True)
            out += b"I" + _N.pack(_len(raw)) + raw
    elif t is float:
        out += b"f" + _D.pack(v)
    elif t is complex:
        out += b"c" + _DD.pack(v.real, v.imag)
    elif t is str:
        raw = v.encode("utf-8", "surrogatepass")
        out += b"s" + _N.pack(_len(raw)) + raw
    elif t is bytes:
        out += b"b" + _N.pack(_len(v)) + v
    elif t in _CONTAINERS or t is dict:
        if depth >= MAX_DEPTH:
            raise NotPlain(t.__name__, f"nested deeper than {MAX_DEPTH} levels")
        if t is dict:
            out += b"d" + _N.pack(_len(v))
            for key, item in v.items():
                _enc(key, out, depth + 1)
                _enc(item, out, depth + 1)
        elif t is list and v and _set(_map(_type, v)) == _INT_ONLY and _SMALL[0] <= _min(v) and _max(v) <= _SMALL[1]:
            out += b"q" + _N.pack(_len(v)) + _pack_ints(v)
        else:
            out += _CONTAINERS[t] + _N.pack(_len(v))
            for item in v:
                _enc(item, out, depth + 1)
    else:
        raise NotPlain(_type_name(v), _why(v))
    if _len(out) > MAX_FRAME:
        raise NotPlain(t.__name__, f"larger than {MAX_FRAME} bytes")


def _pack_ints(v: list[int]) -> bytes:
    packed = _array("q", v)
    if _LITTLE:
        packed.byteswap()
    return packed.tobytes()


def check_plain(value: Any) -> None:
    """Raise NotPlain unless `value` is plain data (used on the judge's side for arguments)."""
    _check(value, 0)


_SCALARS = frozenset({type(None), bool, int, float, complex, str, bytes})


def _check(v: Any, depth: int) -> None:
    t = type(v)
    if t in _SCALARS:
        return
    if t in _CONTAINERS or t is dict:
        if depth >= MAX_DEPTH:
            raise NotPlain(t.__name__, f"nested deeper than {MAX_DEPTH} levels")
        kinds = set(map(type, v)) | (set(map(type, v.values())) if t is dict else set())
        if kinds <= _SCALARS:
            return  # flat, like most big arguments: checked at C speed
        for item in (v if t is not dict else (x for kv in v.items() for x in kv)):
            if type(item) not in _SCALARS:
                _check(item, depth + 1)
        return
    raise NotPlain(_type_name(v), "not plain data")


_CONTAINER_TAGS = frozenset(b"ltSZd")


def decode(data: bytes) -> Any:
    """The value in `data` (exactly one, nothing after it); raises WireError.

    The judge's decoder for hostile bytes: each value is built here from its tag (so its
    type is exact), each length is checked against what is left before anything is
    allocated, nesting stops at MAX_DEPTH, and a dict key or set item must be hashable.
    """
    data = bytes(data)
    end = len(data)
    pos = 0
    unpack_q, unpack_d, unpack_dd, unpack_n = _Q.unpack_from, _D.unpack_from, _DD.unpack_from, _N.unpack_from

    def count(least: int) -> int:
        nonlocal pos
        if pos + 4 > end:
            raise WireError("truncated value")
        (n,) = unpack_n(data, pos)
        pos += 4
        if n * least > end - pos:  # each item needs at least `least` bytes
            raise WireError("a length larger than the frame")
        return n

    def value(depth: int) -> Any:
        nonlocal pos
        if pos >= end:
            raise WireError("truncated value")
        tag = data[pos]
        pos += 1
        if tag == 0x69:  # i
            if pos + 8 > end:
                raise WireError("truncated value")
            pos += 8
            return unpack_q(data, pos - 8)[0]
        if tag == 0x73 or tag == 0x62 or tag == 0x49:  # s b I
            n = count(1)
            raw = data[pos:pos + n]
            pos += n
            if tag == 0x62:
                return raw
            if tag == 0x49:
                return int.from_bytes(raw, "big", signed=True)
            try:
                return raw.decode("utf-8", "surrogatepass")
            except UnicodeDecodeError:
                raise WireError("a str that is not UTF-8") from None
        if tag == 0x4E:  # N
            return None
        if tag == 0x54 or tag == 0x46:  # T F
            return tag == 0x54
        if tag == 0x66:  # f
            if pos + 8 > end:
                raise WireError("truncated value")
            pos += 8
            return unpack_d(data, pos - 8)[0]
        if tag == 0x63:  # c
            if pos + 16 > end:
                raise WireError("truncated value")
            pos += 16
            return complex(*unpack_dd(data, pos - 16))
        if tag == 0x71:  # q
            n = count(8)
            ints = _array("q")
            ints.frombytes(data[pos:pos + 8 * n])
            pos += 8 * n
            if _LITTLE:
                ints.byteswap()
            return ints.tolist()
        if tag not in _CONTAINER_TAGS:
            raise WireError(f"unknown tag {bytes([tag])!r}")
        if depth >= MAX_DEPTH:
            raise WireError(f"nested deeper than {MAX_DEPTH} levels")
        if tag == 0x64:  # d
            out: dict[Any, Any] = {}
            for _ in range(count(2)):
                key = _hashable(value(depth + 1))
                out[key] = value(depth + 1)
            return out
        items = [value(depth + 1) for _ in range(count(1))]
        if tag == 0x6C:  # l
            return items
        if tag == 0x74:  # t
            return tuple(items)
        for item in items:
            _hashable(item)
        return set(items) if tag == 0x53 else frozenset(items)

    result = value(0)
    if pos != end:
        raise WireError("bytes after the value")
    return result


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        raise WireError(f"an unhashable {type(value).__name__} as a dict key or set item") from None
    return value


def send_frame(sock: socket.socket, kind: bytes, payload: bytes = b"") -> None:
    sock.sendall(_HEAD.pack(kind, _len(payload)) + payload)


class Frames:
    """Frames from a stream socket, read in as few recv calls as the data allows."""

    def __init__(self, sock: socket.socket, max_bytes: int = MAX_FRAME) -> None:
        self.sock, self.max_bytes, self.buf = sock, max_bytes, bytearray()

    def next(self, deadline: float | None = None) -> tuple[bytes, bytes]:
        """(kind, payload) of the next frame. Raises CallTimeout past `deadline`
        (time.monotonic), EOFError when the peer closed, WireError for an oversize frame."""
        self._fill(_HEAD.size, deadline)
        kind, size = _HEAD.unpack_from(self.buf)
        if size > self.max_bytes:
            raise WireError(f"a frame of {size} bytes (the cap is {self.max_bytes})")
        self._fill(_HEAD.size + size, deadline)
        payload = _bytes(self.buf[_HEAD.size:_HEAD.size + size])
        del self.buf[:_HEAD.size + size]
        return kind, payload

    def _fill(self, n: int, deadline: float | None) -> None:
        while _len(self.buf) < n:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                    raise CallTimeout("no reply before the deadline")
            chunk = self.sock.recv(_max(n - _len(self.buf), 1 << 16))
            if not chunk:
                raise EOFError("the peer closed the connection")
            self.buf += chunk


def recv_frame(sock: socket.socket, deadline: float | None = None, max_bytes: int = MAX_FRAME) -> tuple[bytes, bytes]:
    """One frame, unbuffered (a Frames reader is cheaper for a conversation)."""
    return Frames(sock, max_bytes).next(deadline)
