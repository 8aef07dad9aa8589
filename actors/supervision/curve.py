"""CURVE keys for the optional tcp bus (remote builders).

The server key pair lives in HOME/keys (made on first use); a client is authorised by its
public key file in HOME/keys/authorized/. Without authorised keys a tcp bus is refused:
plain tcp would let anyone on the network speak as any actor.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator


ZAP_DOMAIN = "cogloop"


class CurveRefused(Exception):
    pass


def server_keys(keys_dir: Path) -> tuple[bytes, bytes]:
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    secret = keys_dir / "server.key_secret"
    if not secret.exists():
        zmq.auth.create_certificates(str(keys_dir), "server")
    public, secret_key = zmq.auth.load_certificate(str(secret))
    assert secret_key is not None
    return public, secret_key


def authorized_dir(keys_dir: Path) -> Path:
    return keys_dir / "authorized"


def issue_client_keys(keys_dir: Path, name: str, out_dir: Path) -> Path:
    """Make a client key pair in `out_dir` (with a copy of server.key), authorise it here."""
    server_keys(keys_dir)
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    zmq.auth.create_certificates(str(out_dir), "client")
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
                           "(make some with 'cogloop actor --issue-keys NAME DIR'); plain tcp is refused")
    public, secret = server_keys(keys_dir)
    auth = ThreadAuthenticator(zctx)
    auth.start()
    auth.configure_curve(domain=ZAP_DOMAIN, location=str(auth_dir))
    sock.curve_server = True
    sock.curve_publickey = public
    sock.curve_secretkey = secret
    sock.zap_domain = ZAP_DOMAIN.encode()
    sock.bind(endpoint)
    return auth
