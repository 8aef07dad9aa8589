"""Forged efficiency: candidates that try to look faster (or lighter) than they are in the race
against the reference. The race reads a candidate's CPU time and peak memory from outside its
process, so none of them beats the honest fast candidate (the verdict tricks: test_forgery.py).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from sandbox import Limits, Pool, race
from tests.sandboxhelp import dedented as _c

pytestmark = pytest.mark.process

SETUP = "args = (list(range(300_000)),)"
FAST = "def total(xs):\n    return sum(xs)\n"
SLOW = "def total(xs):\n    t = 0\n    for _ in range(20):\n        t = 0\n        for x in xs:\n            t += x\n    return t\n"
TIMERS = _c("""
    import time, tracemalloc
    for name in ("perf_counter", "process_time", "monotonic", "time", "thread_time"):
        setattr(time, name, lambda: 0.0)
    for name in ("perf_counter_ns", "process_time_ns", "monotonic_ns", "time_ns", "thread_time_ns"):
        setattr(time, name, lambda: 0)
    tracemalloc.get_traced_memory = lambda: (0, 0)
    _cg_clock = time.perf_counter  # the old timing harness's own clock and tracer, in this namespace
    _cg_tm = tracemalloc
""")
EFFICIENCY_TRICKS = {
    "timers_rebound_while_slow": TIMERS + SLOW,
    "timers_rebound_while_sleeping": TIMERS + "def total(xs):\n    time.sleep(0.15)\n    return sum(xs)\n",
    "memoised_across_repetitions": _c("""
        _seen = {}
        def total(xs):
            key = (len(xs), xs[0] if xs else None, xs[-1] if xs else None)
            if key not in _seen:
                t = 0
                for _ in range(20):
                    t = 0
                    for x in xs:
                        t += x
                _seen[key] = t
            return _seen[key]
    """),
    "work_handed_to_a_child_process": _c("""
        import os
        def total(xs):
            r, w = os.pipe()
            if os.fork() == 0:
                t = 0
                for _ in range(20):
                    t = 0
                    for x in xs:
                        t += x
                os.write(w, str(t).encode())
                os._exit(0)
            os.close(w)
            out = os.read(r, 64)
            os.wait()
            return int(out)
    """),
    "work_done_in_a_thread": _c("""
        import threading
        def total(xs):
            box = []
            def work():
                t = 0
                for _ in range(20):
                    t = 0
                    for x in xs:
                        t += x
                box.append(t)
            th = threading.Thread(target=work)
            th.start()
            th.join()
            return box[0]
    """),
    "fast_wrong_answer_on_the_race_input": "def total(xs):\n    return 0 if len(xs) > 1000 else sum(xs)\n",
    "memory_hidden_from_tracemalloc": TIMERS + _c("""
        def total(xs):
            tracemalloc.stop()
            ballast = [x * 2 for x in xs] * 8  # some 20 MB the old harness's tracer never saw
            return sum(xs) + len(ballast) * 0
    """),
}


@pytest.fixture(scope="module")
def races() -> dict:
    pool = Pool(size=2)
    jobs = {"fast": FAST, "slow": SLOW, **EFFICIENCY_TRICKS}
    try:
        with ThreadPoolExecutor(2) as ex:
            futures = {name: ex.submit(race, code, entry_point="total", setup=SETUP, reference=FAST,
                                       limits=Limits(cpu_s=10, wall_s=30), server=pool)
                       for name, code in jobs.items()}
            yield {name: f.result() for name, f in futures.items()}
    finally:
        pool.close()


def test_honest_race_orders_slow_after_fast(races: dict) -> None:
    fast, slow = races["fast"], races["slow"]
    assert fast.ok and slow.ok and fast.matches is True, (fast, slow)
    assert slow.time_s > 5 * fast.time_s, (fast.time_s, slow.time_s)


@pytest.mark.parametrize("name", sorted(EFFICIENCY_TRICKS))
def test_efficiency_trick_does_not_beat_the_honest_fast_candidate(races: dict, name: str) -> None:
    r, fast = races[name], races["fast"]
    if name == "fast_wrong_answer_on_the_race_input":
        assert not r.ok and r.matches is False and "differs from the reference" in r.error
        return
    assert r.ok, (name, r.error)
    if name == "memory_hidden_from_tracemalloc":
        assert r.peak_bytes > fast.peak_bytes + 10 * 2**20, (r.peak_bytes, fast.peak_bytes)  # read from outside
        return
    assert r.time_s > 3 * fast.time_s, (name, r.time_s, fast.time_s)  # measured from outside


def test_race_ranks_slow_after_fast_while_the_cpus_are_contended() -> None:
    """Issue 17 builds on this: CPU time, not wall time, so busy neighbours do not reorder."""
    import subprocess
    import sys

    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(3)]
    pool = Pool(size=4)
    try:
        with ThreadPoolExecutor(4) as ex:
            jobs = [ex.submit(race, code, entry_point="total", setup=SETUP, limits=Limits(cpu_s=10, wall_s=60),
                              server=pool) for code in (FAST, SLOW, FAST, SLOW)]
            fast1, slow1, fast2, slow2 = (j.result() for j in jobs)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
        pool.close()
    assert all(r.ok for r in (fast1, slow1, fast2, slow2))
    assert min(slow1.time_s, slow2.time_s) > 5 * max(fast1.time_s, fast2.time_s), (fast1, slow1, fast2, slow2)
