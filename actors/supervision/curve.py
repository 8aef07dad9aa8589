"""CURVE keys for the optional tcp bus (remote builders).

The server key pair lives in HOME/keys (made on first use); a client is authorised by its
public key file in HOME/keys/authorized/. Without authorised keys a tcp bus is refused:
plain tcp would let anyone on the network speak as any actor. Secret key files are 0600 in
0700 folders. A running daemon reads the authorised keys again when that folder changes
(`KeyWatch`) and on `cogloop reload`: a key issued meanwhile works at once, a removed one is
refused from the next handshake on.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator


ZAP_DOMAIN = "cogloop"


class CurveRefused(Exception):
    pass


ISSUE_HINT = "cogloop actor --issue-keys DIR --name NAME"


def _certificates(folder: Path, name: str) -> None:
    """A key pair NAME.key / NAME.key_secret in `folder` (0700), the secret one 0600."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    old = os.umask(0o077)
    try:
        zmq.auth.create_certificates(str(folder), name)
    finally:
        os.umask(old)
    os.chmod(folder / f"{name}.key_secret", 0o600)


def server_keys(keys_dir: Path) -> tuple[bytes, bytes]:
    secret = keys_dir / "server.key_secret"
    if not secret.exists():
        _certificates(keys_dir, "server")
    public, secret_key = zmq.auth.load_certificate(str(secret))
    assert secret_key is not None
    return public, secret_key


def authorized_dir(keys_dir: Path) -> Path:
    return keys_dir / "authorized"


def issue_client_keys(keys_dir: Path, name: str, out_dir: Path) -> Path:
    """Make a client key pair in `out_dir` (with a copy of server.key), authorise it here."""
    server_keys(keys_dir)
    _certificates(out_dir, "client")
    auth = authorized_dir(keys_dir)
    auth.mkdir(mode=0o700, exist_ok=True)
    shutil.copy(out_dir / "client.key", auth / f"{name}.key")
    shutil.copy(keys_dir / "server.key", out_dir / "server.key")
    return out_dir


def secure_router(zctx: zmq.Context, sock: zmq.Socket, keys_dir: Path, endpoint: str) -> ThreadAuthenticator:
    """Bind `endpoint` on `sock` as a CURVE server; only authorised client keys get in.

    Options are copied per bind in libzmq, so the ipc endpoint bound before stays plain.
    """
    if not endpoint.startswith("tcp://"):
        raise CurveRefused(f"daemon.tcp_bus: expected a tcp:// endpoint, got {endpoint!r}")
    auth_dir = authorized_dir(keys_dir)
    if not auth_dir.is_dir() or not any(auth_dir.glob("*.key")):
        raise CurveRefused(f"daemon.tcp_bus needs CURVE keys: no authorised client keys in {auth_dir} "
                           f"(make some with '{ISSUE_HINT}'); plain tcp is refused")
    public, secret = server_keys(keys_dir)
    auth = ThreadAuthenticator(zctx)
    auth.start()
    auth.configure_curve_callback(domain=ZAP_DOMAIN, credentials_provider=KeyFolder(auth_dir))
    sock.curve_server = True
    sock.curve_publickey = public
    sock.curve_secretkey = secret
    sock.zap_domain = ZAP_DOMAIN.encode()
    sock.bind(endpoint)
    return auth


def reload_keys(auth: ThreadAuthenticator, keys_dir: Path) -> int:
    """Read the authorised keys again (ZAP answers from the new set at the next handshake);
    how many there are now."""
    auth.configure_curve_callback(domain=ZAP_DOMAIN, credentials_provider=KeyFolder(authorized_dir(keys_dir)))
    return len(list(authorized_dir(keys_dir).glob("*.key")))


def _signature(folder: Path) -> tuple:
    """The authorised keys' names and mtimes: what says the folder changed."""
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.key")))


class KeyFolder:
    """ZAP's answer for a client key: is it in the authorised-keys folder *now*? The folder is
    read again whenever its names or mtimes changed, at the handshake itself, so a key issued
    while the daemon runs is taken by the next handshake and a removed one refused by it (the
    half-second KeyWatch alone left a window in which a new actor was refused)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seen: tuple = ()
        self.keys: set[bytes] = set()

    def callback(self, domain: str, key: bytes) -> bool:
        try:
            now = _signature(self.folder)
            if now != self.seen:
                self.keys = set(zmq.auth.load_certificates(str(self.folder)))
                self.seen = now
        except (OSError, ValueError):
            self.keys, self.seen = set(), ()
        return key in self.keys


class KeyWatch:
    """Has the authorised-keys folder changed since the last look? (its names and mtimes)"""

    def __init__(self, keys_dir: Path) -> None:
        self.folder = authorized_dir(keys_dir)
        self.seen = self._look()

    def _look(self) -> tuple:
        try:
            return _signature(self.folder)
        except OSError:
            return ()

    def changed(self) -> bool:
        now = self._look()
        changed, self.seen = now != self.seen, now
        return changed
