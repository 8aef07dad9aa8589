"""ZAP's answer for a client key reads the authorised-keys folder at the handshake
(actors/supervision/curve.py KeyFolder): a key issued while the daemon runs is taken at once and
a removed one refused at once — with the folder read only by the half-second watch, a remote
builder started right after `--issue-keys` was refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import zmq.auth

from actors.supervision.curve import KeyFolder

pytestmark = pytest.mark.unit


def test_the_folder_is_read_at_the_handshake(tmp_path: Path) -> None:
    folder = tmp_path / "authorized"
    folder.mkdir()
    made = tmp_path / "made"
    made.mkdir()
    a_pub, _ = zmq.auth.create_certificates(str(made), "a")
    b_pub, _ = zmq.auth.create_certificates(str(made), "b")
    key = {name: zmq.auth.load_certificate(path)[0] for name, path in (("a", a_pub), ("b", b_pub))}
    zap = KeyFolder(folder)
    assert zap.callback("cogloop", key["a"]) is False  # an empty folder lets nobody in
    Path(a_pub).replace(folder / "a.key")
    assert zap.callback("cogloop", key["a"]) is True and zap.callback("cogloop", key["b"]) is False
    Path(b_pub).replace(folder / "b.key")
    assert zap.callback("cogloop", key["b"]) is True  # issued while running: taken at the next handshake
    (folder / "a.key").unlink()
    assert zap.callback("cogloop", key["a"]) is False  # removed: refused at the next handshake
    (folder / "b.key").write_text("not a certificate")
    assert zap.callback("cogloop", key["b"]) is False  # a broken file lets nobody in, and raises nothing
