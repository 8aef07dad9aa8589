"""The efficiency race, in the judge: time the candidate's calls from outside its process.

The task's `call` statement (e.g. `candidate(*args)`) runs here, with `candidate` bound to a
timed stub, repeatedly until the calls have cost `min_time_s` (or `max_reps` repetitions).
Each call's *window* runs from sending the arguments to the candidate's "done"; inside it the
candidate decodes the arguments (marshal, C speed: every side pays the same) and calls the
function, keeping the result. Its cost is the larger of
  - the CPU time of the candidate's process tree (sandbox._probe: every thread and child), and
  - the wall time minus the time both processes waited for a CPU (so a call that sleeps, or
    waits on a helper, is charged for it, while other load on the machine is not).
The figure reported is max(first call, median call): memoising across repetitions gains
nothing. Work the candidate does between windows (a background thread, a signal handler, the
result's encoding) is CPU too: whatever exceeds an honest encoding of the first result (the
judge times its own) is added. The first repetition's results are fetched and, when the race
has a reference, compared with the reference's on the same input, run here (trusted code).
Peak memory is the candidate process's VmHWM above its resident size before it loaded.
"""

from __future__ import annotations

import builtins
import marshal
import statistics
import time
from typing import Any

from sandbox import _wire
from sandbox._guard import describe
from sandbox._probe import Probe
from sandbox._stub import CandidateFault, Link

link_pack = Link.pack
ENCODE_SLACK = 2.0  # an honest encoding costs the candidate at most this times the judge's own
OUTSIDE_ALLOWANCE_S = 0.005


class _Timed:
    """`candidate` during the race: each call is one measured window."""

    def __init__(self, link: Link, probe: Probe) -> None:
        self.link, self.probe = link, probe
        self.rep, self.cost, self.window_cpu, self.judge_cpu = 0, 0.0, 0.0, 0.0
        self.results: list[Any] = []
        self._packed: tuple[Any, bytes, Any] | None = None
        self.delays = probe.delay_s() is not None and probe.own_delay_s() is not None
        self.__name__ = "candidate"

    def _payload(self, args: tuple, kwargs: dict) -> bytes:
        """The packed arguments, checked and marshalled once while they are the same objects
        (only trusted code here could change them between repetitions, and it does not);
        b"" when the candidate process already holds them from the last timed call, which it
        then decodes afresh (sandbox._serve): the bytes cross the socket once per race."""
        key = (tuple(map(id, args)), tuple((k, id(v)) for k, v in kwargs.items()))
        if self._packed is not None and self._packed[0] == key:
            return b""
        self._packed = (key, link_pack(args, kwargs), (args, kwargs))  # keep them alive: ids stay theirs
        return self._packed[1]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        link, probe = self.link, self.probe
        payload = self._payload(args, kwargs)
        own0 = time.thread_time()
        c0, d0, j0 = probe.cpu_s(), probe.delay_s(), probe.own_delay_s()
        t0 = time.monotonic()
        deadline = link.send(b"T", payload)
        link.result(deadline, expect=b"D")
        t1 = time.monotonic()
        c1, d1, j1 = probe.cpu_s(), probe.delay_s(), probe.own_delay_s()
        cpu = c1 - c0
        cost = cpu
        if self.delays and None not in (d0, d1, j0, j1):
            cost = max(cpu, (t1 - t0) - (d1 - d0) - (j1 - j0))
        self.cost += cost
        self.window_cpu += cpu
        self.judge_cpu += time.thread_time() - own0  # this side of the call: sending, probing, waiting
        if self.rep == 0:
            link.send(b"F", b"")
            value = link.result(time.monotonic() + link.call_timeout)
            self.results.append(value)
            return value
        return None


def _expected(ns: dict[str, Any], req: dict[str, Any], call: Any) -> list[Any]:
    """The reference's results for the race's call statement, computed here (trusted code)."""
    ref_ns: dict[str, Any] = {"__name__": "__reference__", "__builtins__": builtins}
    exec(compile(req["context"] or "", "<context>", "exec"), ref_ns)
    exec(compile(req["reference"], "<reference>", "exec"), ref_ns)
    reference = ref_ns[req["entry_point"]]
    results: list[Any] = []

    def recorded(*args: Any, **kwargs: Any) -> Any:
        a, k = marshal.loads(Link.pack(args, kwargs))  # the same fresh copy the candidate gets
        results.append(reference(*a, **k))
        return results[-1]

    exec(call, {**ns, "candidate": recorded, req["entry_point"]: recorded})
    return results


def race(link: Link, ns: dict[str, Any], req: dict[str, Any], *, tree: bool) -> dict[str, Any]:
    """Run the race; {"ok", "time_s", "first_s", "median_s", "reps", "timed_s", "judge_s",
    "peak_bytes", "outside_s", "matches", "clock", "error"}."""
    return race_results(link, ns, req, tree=tree)[0]


def race_results(link: Link, ns: dict[str, Any], req: dict[str, Any], *, tree: bool,
                 expected: list[Any] | None = None) -> tuple[dict[str, Any], list[Any]]:
    """The race, and the first repetition's results. With req["reference"], they must equal
    `expected` (a suite's reference race gives them) or else the reference's, run here."""
    call = compile(req.get("call") or "candidate(*args)", "<race call>", "exec")
    if req.get("reference") and expected is None:
        try:
            expected = _expected(ns, req, call)
        except BaseException as exc:  # noqa: BLE001 - the task's fault
            return {"ok": False, "error": f"the reference failed on the race input: {describe(exc)}"}, []
    elif not req.get("reference"):
        expected = None
    try:
        error = link.ready()
    except CandidateFault as exc:
        error = str(exc)
    if error:
        return {"ok": False, "error": error}, []
    probe = Probe(link.pid, tree=tree)
    try:
        return _loop(link, probe, ns, req, call, expected)
    finally:
        probe.close()


def _loop(link: Link, probe: Probe, ns: dict[str, Any], req: dict[str, Any], call: Any,
          expected: list[Any] | None) -> tuple[dict[str, Any], list[Any]]:
    """The repetitions, timed (race_results without its preparation)."""
    timed = _Timed(link, probe)
    race_ns = {**ns, "candidate": timed, req["entry_point"]: timed}
    costs: list[float] = []
    min_time_s, max_reps = float(req.get("min_time_s", 0.2)), int(req.get("max_reps", 50))
    span0 = probe.cpu_s()
    try:
        for rep in range(max_reps):
            timed.rep, timed.cost = rep, 0.0
            exec(call, race_ns)
            costs.append(timed.cost)
            if rep == 0 and expected is not None and timed.results != expected:
                return {"ok": False, "matches": False, "reps": 1,
                        "error": "its result on the race input differs from the reference's"}, []
            if sum(costs) >= min_time_s:
                break
    except BaseException as exc:  # noqa: BLE001 - the candidate's failure on the race input
        return {"ok": False, "error": link.fault or describe(exc), "reps": len(costs)}, []
    span = probe.cpu_s() - span0
    matches = None if expected is None else True
    outside = max(0.0, span - timed.window_cpu - OUTSIDE_ALLOWANCE_S)
    if outside > 0:  # more than the allowance alone: forgive what an honest encoding costs
        start = time.thread_time()
        try:
            _wire.encode(timed.results)
        except _wire.NotPlain:
            pass
        outside = max(0.0, outside - ENCODE_SLACK * (time.thread_time() - start))
    first, median = costs[0], statistics.median(costs)
    return {"ok": True, "time_s": max(first, median) + outside, "first_s": first,
            "median_s": median, "reps": len(costs), "timed_s": round(timed.window_cpu, 6), "judge_s": round(timed.judge_cpu, 6),
            "outside_s": round(outside, 6), "peak_bytes": max(0, probe.peak_rss() - link.preload_rss),
            "matches": matches, "clock": "cpu+blocked" if timed.delays else "cpu", "error": ""}, timed.results
