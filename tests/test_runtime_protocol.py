"""The envelope codec and validation: every bad frame is a ProtocolError with a code, never
another exception."""

from __future__ import annotations

import random

import msgpack
import pytest

from actors import protocol as P

pytestmark = pytest.mark.unit


def test_round_trip_keeps_every_field():
    codec = P.Codec()
    env = P.envelope("ask", "builder-1", "memory", "task.lease", {"builder": "builder-1", "ttl_s": 60.0})
    assert codec.decode(codec.encode(env)) == env


def test_every_op_is_documented_with_known_types():
    for op in P.OPS.values():
        assert op.to and op.sender
        for kind in list(op.body.values()) + list(op.reply.values()):
            assert kind in ("str", "int", "float", "bool", "map", "list", "any"), (op.name, kind)


@pytest.mark.parametrize("frame,code", [
    (b"", P.BAD_REQUEST),
    (b"\xc1", P.BAD_REQUEST),
    (msgpack.packb([1, 2]), P.BAD_REQUEST),
    (msgpack.packb({1: 2}), P.BAD_REQUEST),  # strict_map_key
    (msgpack.packb({"v": 2}), P.BAD_REQUEST),
    (b"\x91" * 3000, P.BAD_REQUEST),  # deep nesting
    (msgpack.packb(dict(P.envelope("ask", "a", "b", "echo"), op="nope")), P.UNKNOWN_OP),
    (msgpack.packb(dict(P.envelope("ask", "a", "b", "echo.relay"), body={"to": 1, "count": 1})), P.BAD_REQUEST),
    (msgpack.packb(dict(P.envelope("ask", "a", "b", "echo"), kind="shout")), P.BAD_REQUEST),
    (msgpack.packb(dict(P.envelope("reply", "a", "b", "echo"))), P.BAD_REQUEST),  # no `re`
    (msgpack.packb(P.envelope("tell", "a", "b", "echo")) + b"\x00", P.BAD_REQUEST),
], ids=["empty", "not-msgpack", "a-list", "int-key", "wrong-version", "deep-nesting", "unknown-op", "bad-body",
        "bad-kind", "reply-without-re", "trailing-bytes"])  # fixed ids: the envelopes carry random message ids
def test_bad_frames_get_a_code(frame, code):
    with pytest.raises(P.ProtocolError) as info:
        P.Codec().decode(frame)
    assert info.value.code == code


def test_oversize_frame_refused_before_unpacking():
    codec = P.Codec(4096)
    big = msgpack.packb(P.envelope("ask", "a", "b", "echo", {"x": "y" * 5000}))
    with pytest.raises(P.ProtocolError, match="exceeds"):
        codec.decode(big)
    with pytest.raises(P.ProtocolError, match="exceeds"):
        codec.encode(P.envelope("ask", "a", "b", "echo", {"x": "y" * 5000}))


def test_bool_is_not_an_int_and_optional_fields_may_be_missing():
    assert P.validate_body("echo.relay", {"to": "x", "count": True}) is not None
    assert P.validate_body("echo.relay", {"to": "x", "count": 2}) is None
    assert P.validate_body("task.list", {}) is None
    assert P.validate_body("task.list", {"limit": "ten"}) is not None


def test_half_valid_ask_can_be_answered():
    env = dict(P.envelope("ask", "cli", "supervisor", "status"), op="bogus")
    with pytest.raises(P.ProtocolError) as info:
        P.Codec().decode(msgpack.packb(env))
    ask = P.ask_of(info.value)
    assert ask is not None
    err = P.error_to(ask, "supervisor", info.value.code, info.value.message)
    assert err["re"] == env["id"] and err["kind"] == "error" and err["body"]["code"] == P.UNKNOWN_OP


def test_random_bytes_only_ever_raise_protocol_errors():
    rng = random.Random(7)
    codec = P.Codec(8192)
    for _ in range(3000):
        frame = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
        try:
            codec.decode(frame)
        except P.ProtocolError:
            pass


def test_reply_frame_splices_a_pre_encoded_body_into_a_valid_reply():
    import msgpack

    codec = P.Codec()
    ask = P.envelope("ask", "cli", "supervisor", "status", {})
    body = {"status": {"pid": 7, "children": [{"name": "memory", "state": "running"}], "paused": False}}
    frame = P.reply_frame(ask, "supervisor", msgpack.packb(body, use_bin_type=True))
    env = codec.decode(frame)
    assert env["kind"] == "reply" and env["re"] == ask["id"] and env["to"] == "cli" and env["body"] == body
    plain = codec.decode(codec.encode(P.reply_to(ask, "supervisor", body)))
    assert set(env) == set(plain)
