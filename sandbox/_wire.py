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

Frames on a stream socket: one kind byte, a 4-byte length, the payload (sandbox._stub and
sandbox._serve say which kinds go which way).
"""

from __future__ import annotations

import select
import socket
import struct
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
_len, _type, _isinstance, _getattr, _next = len, type, isinstance, getattr, next


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
    return bytes(out)


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
        else:
            out += _CONTAINERS[t] + _N.pack(_len(v))
            for item in v:
                _enc(item, out, depth + 1)
    else:
        raise NotPlain(_type_name(v), _why(v))
    if _len(out) > MAX_FRAME:
        raise NotPlain(t.__name__, f"larger than {MAX_FRAME} bytes")


def check_plain(value: Any) -> None:
    """Raise NotPlain unless `value` is plain data (used on the judge's side for arguments)."""
    _check(value, 0)


def _check(v: Any, depth: int) -> None:
    t = type(v)
    if v is None or t in (bool, int, float, complex, str, bytes):
        return
    if t in _CONTAINERS or t is dict:
        if depth >= MAX_DEPTH:
            raise NotPlain(t.__name__, f"nested deeper than {MAX_DEPTH} levels")
        for item in (v if t is not dict else (x for kv in v.items() for x in kv)):
            _check(item, depth + 1)
        return
    raise NotPlain(_type_name(v), "not plain data")


class _Reader:
    """The judge's decoder: one pass over hostile bytes, every size checked before use."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.data):
            raise WireError("truncated value")
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def count(self, least: int) -> int:
        (n,) = _N.unpack(self.take(4))
        if n * least > len(self.data) - self.pos:  # each item needs at least `least` bytes
            raise WireError("a length larger than the frame")
        return n

    def value(self, depth: int) -> Any:
        tag = self.take(1)
        if tag == b"N":
            return None
        if tag in (b"T", b"F"):
            return tag == b"T"
        if tag == b"i":
            return _Q.unpack(self.take(8))[0]
        if tag == b"I":
            return int.from_bytes(self.take(self.count(1)), "big", signed=True)
        if tag == b"f":
            return _D.unpack(self.take(8))[0]
        if tag == b"c":
            return complex(*_DD.unpack(self.take(16)))
        if tag == b"s":
            try:
                return self.take(self.count(1)).decode("utf-8", "surrogatepass")
            except UnicodeDecodeError:
                raise WireError("a str that is not UTF-8") from None
        if tag == b"b":
            return bytes(self.take(self.count(1)))
        if tag not in (b"l", b"t", b"S", b"Z", b"d"):
            raise WireError(f"unknown tag {tag!r}")
        if depth >= MAX_DEPTH:
            raise WireError(f"nested deeper than {MAX_DEPTH} levels")
        if tag == b"d":
            n = self.count(2)
            out: dict[Any, Any] = {}
            for _ in range(n):
                key = self.value(depth + 1)
                out[self._hashable(key)] = self.value(depth + 1)
            return out
        items = [self.value(depth + 1) for _ in range(self.count(1))]
        if tag == b"l":
            return items
        if tag == b"t":
            return tuple(items)
        for item in items:
            self._hashable(item)
        return set(items) if tag == b"S" else frozenset(items)

    @staticmethod
    def _hashable(value: Any) -> Any:
        try:
            hash(value)
        except TypeError:
            raise WireError(f"an unhashable {type(value).__name__} as a dict key or set item") from None
        return value


def decode(data: bytes) -> Any:
    """The value in `data` (exactly one, nothing after it); raises WireError."""
    reader = _Reader(bytes(data))
    value = reader.value(0)
    if reader.pos != len(reader.data):
        raise WireError("bytes after the value")
    return value


def send_frame(sock: socket.socket, kind: bytes, payload: bytes = b"") -> None:
    sock.sendall(_HEAD.pack(kind, len(payload)) + payload)


def recv_frame(sock: socket.socket, deadline: float | None = None, max_bytes: int = MAX_FRAME) -> tuple[bytes, bytes]:
    """(kind, payload) of the next frame. Raises CallTimeout past `deadline` (time.monotonic),
    EOFError when the peer closed, WireError for a frame over `max_bytes`."""
    kind, size = _HEAD.unpack(_recv_exact(sock, _HEAD.size, deadline))
    if size > max_bytes:
        raise WireError(f"a frame of {size} bytes (the cap is {max_bytes})")
    return kind, _recv_exact(sock, size, deadline)


def _recv_exact(sock: socket.socket, n: int, deadline: float | None) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([sock], [], [], left)[0]:
                raise CallTimeout("no reply before the deadline")
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise EOFError("the peer closed the connection")
        buf += chunk
    return bytes(buf)
