"""Builders on other machines, operable: keys issued while the daemon runs are taken without a
restart, secret keys are 0600, a refused actor says "not authorised" in one line, `cogloop
reload` re-reads the configuration; and `doctor` checks the endpoints of the running daemon
(the URL it was started with) or `--llm-url`. Each failed on the code before issue 14."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from actors.supervision.curve import issue_client_keys
from tests.conftest import cogloop_cmd
from tests.daemon_helpers import FAST, Daemon, wait_for
from tests.fakellm import FakeLLM, free_port


def cli(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COGLOOP_")}
    return subprocess.run(cogloop_cmd(*args, "--home", str(home)), capture_output=True, text=True, timeout=60,
                          env={**clean, **env})


def remote(endpoint: str, name: str, keys: Path, where: Path) -> subprocess.Popen:
    return subprocess.Popen(cogloop_cmd("actor", "echo", "--connect", endpoint, "--name", name, "--keys", str(keys),
                                        "--home", str(where)),
                            env=dict(os.environ, **FAST), stderr=subprocess.PIPE, text=True)


@pytest.mark.unit
def test_secret_keys_are_0600_in_0700_folders(tmp_path: Path) -> None:
    out = issue_client_keys(tmp_path / "keys", "builder-remote-1", tmp_path / "issued")
    for secret in (out / "client.key_secret", tmp_path / "keys" / "server.key_secret"):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert (tmp_path / "keys" / "authorized" / "builder-remote-1.key").is_file()


@pytest.mark.process
@pytest.mark.timeout(60)
def test_the_hint_for_a_tcp_bus_without_keys_is_a_command_that_works(home: Path, tmp_path: Path) -> None:
    import re

    import zmq

    from actors.supervision.curve import CurveRefused, secure_router

    endpoint = f"tcp://127.0.0.1:{free_port()}"
    zctx = zmq.Context()
    sock = zctx.socket(zmq.ROUTER)
    try:
        with pytest.raises(CurveRefused) as refused:
            secure_router(zctx, sock, home / "keys", endpoint)
        hint = re.search(r"'(cogloop actor [^']+)'", str(refused.value))
        assert hint, str(refused.value)
        args = hint.group(1).split()[1:]
        args = [{"DIR": str(tmp_path / "issued"), "NAME": "builder-remote-1"}.get(a, a) for a in args]
        done = cli(home, *args)  # the hint, as a user types it
        assert done.returncode == 0, done.stderr
        assert (home / "keys" / "authorized" / "builder-remote-1.key").is_file()
        secure_router(zctx, sock, home / "keys", endpoint).stop()  # and the tcp bus is taken now
    finally:
        sock.close(linger=0)
        zctx.term()


@pytest.mark.process
@pytest.mark.timeout(120)
def test_a_key_issued_while_the_daemon_runs_is_taken_and_a_refused_one_says_so(home: Path, tmp_path: Path) -> None:
    first = tmp_path / "first"
    assert cli(home, "actor", "--issue-keys", str(first), "--name", "builder-remote-1").returncode == 0
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    d = Daemon(home, "echo-1:echo", COGLOOP_DAEMON_TCP_BUS=endpoint).start()
    actors = []
    try:
        later = tmp_path / "later"
        issued = cli(home, "actor", "--issue-keys", str(later), "--name", "builder-remote-2")
        actors.append(remote(endpoint, "builder-remote-2", later, tmp_path / "elsewhere"))
        wait_for(lambda: any(c["name"] == "builder-remote-2" and c["state"] == "running" for c in d.children()),
                 timeout=20, what="the newly authorised actor in status, without a restart")
        assert issued.returncode == 0 and "a running daemon takes them at once" in issued.stdout
        # keys made for another daemon: refused, and the actor says so in one line
        stranger = issue_client_keys(tmp_path / "other-home-keys", "x", tmp_path / "stranger")
        (stranger / "server.key").write_bytes((first / "server.key").read_bytes())  # the right server, wrong client
        refused = remote(endpoint, "builder-remote-3", stranger, tmp_path / "elsewhere3")
        _, err = refused.communicate(timeout=30)
        assert refused.returncode == 2
        lines = [line for line in err.splitlines() if "not authorised" in line]
        assert len(lines) == 1 and f"the daemon at {endpoint} refused this actor's CURVE key" in lines[0]
        assert "Traceback" not in err and "bus gone" not in err
        assert "builder-remote-3" not in [c["name"] for c in d.children()]
        # removed from authorized/: the next one to connect with it is refused
        (home / "keys" / "authorized" / "builder-remote-1.key").unlink()
        assert cli(home, "reload").returncode == 0  # read now (else within half a second: no race under load)
        gone = remote(endpoint, "builder-remote-1", first, tmp_path / "elsewhere1")
        assert gone.wait(30) == 2
    finally:
        d.stop()
        for p in actors:
            p.kill()
            p.wait()


@pytest.mark.process
@pytest.mark.timeout(120)
def test_cogloop_reload_and_a_refused_reload(home: Path) -> None:
    conf = home / "cogloop.toml"
    conf.write_text('[daemon]\nchildren = "echo-1:echo"\n')
    d = Daemon(home, None).start()
    try:
        conf.write_text('[daemon]\nchildren = "echo-1:echo,echo-2:echo"\n')
        out = cli(home, "reload")
        assert out.returncode == 0 and out.stdout.strip() == "reloaded"
        wait_for(lambda: any(c["name"] == "echo-2" and c["state"] == "running" for c in d.children()),
                 what="echo-2 started by the reload")
        conf.write_text('[llm]\nurl = ["http://a:1/v1", "ftp://b/v1"]\n')
        out = cli(home, "reload")
        assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
        assert "reload refused" in out.stderr and "ftp://b/v1" in out.stderr
        assert [c["name"] for c in d.children()] == ["echo-1", "echo-2"]
    finally:
        d.stop()


@pytest.mark.process
@pytest.mark.timeout(120)
def test_doctor_checks_the_running_daemons_endpoint_or_llm_url(home: Path) -> None:
    with FakeLLM(model="coder-7b", api_key="sk-up") as fake:
        # started as `up --llm-url URL` with a key in its environment: doctor, run elsewhere, knows neither
        d = Daemon(home, "memory:memory", COGLOOP_LLM_URL=fake.url, COGLOOP_LLM_API_KEY="sk-up").start()
        try:
            out = cli(home, "doctor", "--json")
            checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
            assert checks["llm"]["status"] == "ok", checks["llm"]
            assert checks["llm"]["detail"].startswith(f"{fake.url} reachable; model coder-7b")
            dead = f"http://127.0.0.1:{free_port()}/v1"
            out = cli(home, "doctor", "--llm-url", dead)
            assert out.returncode == 1 and f"fail  llm       {dead} unreachable" in out.stdout
        finally:
            d.stop()
