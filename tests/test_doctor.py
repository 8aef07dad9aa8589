"""`cogloop doctor`: one line per check, a fix where one exists, exit 1 when one fails."""

from __future__ import annotations

import json
import sqlite3
import subprocess

import pytest

from ops import doctor
from ops.ground.config import load_config
from tests.conftest import cogloop_cmd
from tests.operatorhelp import ModelServer, fill, free_port, improving_runs


@pytest.fixture
def server():
    s = ModelServer(["coder-7b", "chat-3b"])
    yield s
    s.close()


def cfg(home, **env):
    return load_config(home, env={f"COGLOOP_LLM_{k.upper()}": v for k, v in env.items()})


@pytest.mark.unit
def test_llm_endpoint_ok_missing_model_and_down(home, server):
    [check] = doctor.check_llm(cfg(home, url=server.url))
    assert check.status == "ok" and "model coder-7b" in check.detail
    [check] = doctor.check_llm(cfg(home, url=server.url, model="chat-3b"))
    assert check.status == "ok" and "chat-3b" in check.detail
    [check] = doctor.check_llm(cfg(home, url=server.url, model="gpt-9"))
    assert check.status == "fail" and "does not list model 'gpt-9' (it lists coder-7b, chat-3b)" in check.detail
    assert check.fix == doctor.FIXES["model_not_found"]
    [check] = doctor.check_llm(cfg(home, url=f"http://127.0.0.1:{free_port()}/v1"), timeout_s=2)
    assert check.status == "fail" and "unreachable" in check.detail and "start the model server" in check.fix
    [check] = doctor.check_llm(cfg(home, url=server.url.replace("/v1", "/nope")))
    assert check.status == "fail" and "HTTP 404" in check.detail and "ending in /v1" in check.fix


@pytest.mark.unit
def test_llm_check_sends_the_key_and_reads_the_daemons_view(home):
    from tests.fakellm import FakeLLM

    with FakeLLM(api_key="sk-local") as fake:
        [check] = doctor.check_llm(cfg(home, url=fake.url))
        assert check.status == "fail" and "HTTP 401: Incorrect API key provided" in check.detail
        assert "llm.api_key" in check.fix
        [check] = doctor.check_llm(cfg(home, url=fake.url, api_key="sk-local"))
        assert check.status == "ok" and fake.requests[-1]["auth"] == "Bearer sk-local"
        eps = [{"url": fake.url, "model": "", "api_key": "sk-local"}]
        [check] = doctor.check_llm(cfg(home), endpoints=eps, seen={fake.url: "erroring: HTTP 500: oom"})
        assert check.status == "warn" and check.detail.endswith("but the daemon says: erroring: HTTP 500: oom")
        [check] = doctor.check_llm(cfg(home), endpoints=eps, seen={fake.url: "busy"})
        assert check.status == "ok" and check.detail.endswith("the daemon sees: busy")


@pytest.mark.unit
def test_embedded_model_missing_file(home):
    config = load_config(home, env={"COGLOOP_EMBEDDED_MODEL_PATH": str(home / "absent.gguf")})
    [check] = doctor.check_llm(config)
    assert check.status == "fail" and "absent.gguf" in check.detail


@pytest.mark.unit
@pytest.mark.parametrize("level, status, needle", [
    ({"network": True, "filesystem": True, "pid": True, "uid": True}, "ok", "full isolation"),
    ({"network": True, "filesystem": False, "pid": False, "uid": True}, "warn", "no filesystem, pid isolation"),
])
def test_sandbox_levels(level, status, needle):
    check = doctor.check_sandbox(lambda: level)
    assert check.status == status and needle in check.detail
    assert bool(check.fix) == (status == "warn")  # a degraded sandbox says how to fix it


@pytest.mark.unit
def test_sandbox_probe_that_crashes_fails():
    def boom():
        raise OSError("no /proc")
    check = doctor.check_sandbox(boom)
    assert check.status == "fail" and "no /proc" in check.detail


@pytest.mark.unit
def test_database_ok_missing_and_corrupt(home):
    db = home / "history.db"
    assert doctor.check_database(db).status == "warn"
    fill(db, improving_runs("strings", 3))
    assert doctor.check_database(db).status == "ok"
    db.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4096)
    check = doctor.check_database(db)
    assert check.status == "fail" and "restore a backup" in check.fix


@pytest.mark.unit
def test_record_invariants_on_a_good_history_and_on_what_v3_left(home, tmp_path):
    db = home / "history.db"
    assert doctor.check_record(db).status == "ok"  # no history yet
    fill(db, improving_runs("strings", 3))
    check = doctor.check_record(db)
    assert check.status == "ok" and "invariants hold" in check.detail
    # what issue 10 found on v3: a passing attempt whose task is failed, and a second verdict on a
    # one-attempt task (written behind the store's back, as v3's bugs did)
    with sqlite3.connect(db) as conn:
        tid, aid = conn.execute("SELECT task_id, attempt_id FROM scores WHERE passed LIMIT 1").fetchone()
        conn.execute("UPDATE tasks SET status = 'failed' WHERE id = ?", [tid])
        conn.execute("INSERT INTO attempts (id, task_id, attempt_no, status) VALUES ('again', ?, 2, 'failed')", [tid])
        conn.execute("INSERT INTO scores (id, attempt_id, task_id, total, passed) VALUES ('s2', 'again', ?, 0, 0)", [tid])
    check = doctor.check_record(db)
    assert check.status == "fail"
    assert f"a passing attempt whose task is not passed: {tid}" in check.detail
    assert f"a task with more scored attempts than its maximum: {tid}" in check.detail
    assert "a task whose attempt count is not its number of scored attempts" in check.detail


@pytest.mark.unit
def test_disk(home, monkeypatch):
    assert doctor.check_disk(home / "not" / "yet").status in ("ok", "warn")
    monkeypatch.setattr(doctor.shutil, "disk_usage", lambda p: type("U", (), {"free": 50 << 20})())
    check = doctor.check_disk(home)
    assert check.status == "fail" and "only 50 MB free" in check.detail


@pytest.mark.process
def test_cli_doctor_json_and_lines(home, server):
    fill(home / "history.db", improving_runs("strings", 2))
    env_args = ["--home", str(home)]
    (home / "cogloop.toml").write_text(f'[llm]\nurl = "{server.url}"\n')
    proc = subprocess.run(cogloop_cmd("doctor", *env_args, "--json"), capture_output=True, text=True, timeout=60)
    out = json.loads(proc.stdout)
    checks = {c["name"]: c for c in out["checks"]}
    assert list(checks) == ["llm", "sandbox", "database", "record", "disk"]
    assert checks["llm"]["status"] == checks["database"]["status"] == checks["record"]["status"] == "ok"
    assert proc.returncode == (0 if out["ok"] else 1)
    assert out["ok"] == all(c["status"] != "fail" for c in checks.values())
    proc = subprocess.run(cogloop_cmd("doctor", *env_args), capture_output=True, text=True, timeout=60)
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 5 and lines[0].startswith("ok") and "llm" in lines[0]


@pytest.mark.process
def test_cli_doctor_fails_on_dead_endpoint(home):
    (home / "cogloop.toml").write_text(f'[llm]\nurl = "http://127.0.0.1:{free_port()}/v1"\n')
    proc = subprocess.run(cogloop_cmd("doctor", "--home", str(home)), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    llm = [line for line in proc.stdout.splitlines() if "llm" in line][0]
    assert llm.startswith("fail") and "-> start the model server" in llm


@pytest.mark.process
def test_cli_doctor_bad_config_exit_2(home):
    (home / "cogloop.toml").write_text('[llm]\nurl = "localhost:1234"\n')
    proc = subprocess.run(cogloop_cmd("doctor", "--home", str(home)), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "llm.url" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
