"""A chaos run: the real daemon works through HumanEval tasks on a scripted, slow LLM while
random actors, and the supervisor once, are killed -9; then the record must hold (issue 10).

    result = run_chaos(home, ChaosPlan(tasks=30, builders=2, kill_s=90, seed=1))
    result.mismatches     # every broken assertion, one line each: [] when the record held

Real processes throughout: `cogloop up --detach`, `import humaneval`, `report`, `doctor`,
`down`, the real sandbox; the model is tests/fakellm.py answering after 1-2.5 s (so kills land
mid-attempt), right on a seeded share of the problems. Used by tests/test_chaos.py (one run in
the suite) and bench/chaos.py (longer runs, several in a row). Run it in a pid namespace of its
own (tests/pidns.py; the test session is one): "no process left" is then every process that
was not there before the run.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import psutil
from ops import humaneval
from ops.client import Client
from ops.ground.errors import CogloopError
from store.invariants import describe, violations
from tests.conftest import cogloop_cmd
from tests.daemon_helpers import wait_for
from tests.fakellm import FakeLLM

TERMINAL = ("passed", "failed", "error", "cancelled")


@dataclass
class ChaosPlan:
    tasks: int = 30  # HumanEval problems imported (the trainer adds its own as it likes)
    builders: int = 2
    kill_s: float = 90.0  # how long the killing goes on
    kill_every: tuple[float, float] = (2.0, 5.0)  # seconds between kills, uniform
    llm_delay: tuple[float, float] = (1.0, 2.5)  # seconds the model takes per code answer
    right: float = 0.7  # share of the problems the model solves
    settle_s: float = 240.0  # after the killing, every imported task must be terminal within this
    seed: int = 1


@dataclass
class ChaosResult:
    kills: list[tuple[str, int]] = field(default_factory=list)  # (actor or "supervisor", pid)
    tasks: dict[str, int] = field(default_factory=dict)  # imported tasks by status
    passes: dict[str, int] = field(default_factory=dict)  # the three counts that must agree
    lost: int = 0  # attempts lost without a verdict (all tasks)
    mismatches: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        by = ", ".join(f"{n} {s}" for s, n in sorted(self.tasks.items()))
        sup = sum(1 for name, _ in self.kills if name == "supervisor")
        return (f"kills {len(self.kills)} (supervisor {sup}); imported tasks: {by}; passes {self.passes}; "
                f"lost attempts {self.lost}; mismatches {len(self.mismatches)}; {self.seconds:.0f} s")


def scripted_model(problems: dict[str, Any], plan: ChaosPlan, stop: threading.Event) -> Callable[[dict], str]:
    """Slow code answers (right for a seeded share of the imported problems), quick reflections."""
    chosen = list(problems.values())[: plan.tasks]
    right = set(random.Random(plan.seed).sample(range(len(chosen)), round(plan.right * len(chosen))))
    by_entry = {p["entry_point"]: (i, p) for i, p in enumerate(chosen)}
    delays = random.Random(plan.seed + 1)
    lock = threading.Lock()

    def answer(body: dict) -> str:
        text = "\n".join(str(m.get("content", "")) for m in body["messages"])
        if "Your solution:" in text:  # a reflection
            return '{"strengths": "short", "weaknesses": "untested edges", "lesson": "Test the edge cases."}'
        with lock:
            delay = delays.uniform(*plan.llm_delay)
        stop.wait(delay)
        named = re.findall(r"Write a function named `(\w+)`", text)
        found = by_entry.get(named[-1]) if named else None
        if found is None:  # a trainer task: wrong
            return "```python\ndef solve(*args):\n    return None\n```"
        i, p = found
        body_src = p["canonical_solution"] if i in right else "    return None\n"
        return f"```python\n{p['prompt']}{body_src}```"
    return answer


class Chaos:
    def __init__(self, home: Path, plan: ChaosPlan, log: Callable[[str], None]) -> None:
        self.home, self.plan, self.log = home, plan, log
        self.rng = random.Random(plan.seed + 2)
        self.result = ChaosResult()
        self.client = Client(home, timeout=2.0, retries=1)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("COGLOOP_")}

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(cogloop_cmd(*args, "--home", str(self.home)), capture_output=True, text=True,
                              env=self.env, timeout=timeout)

    def up(self, url: str) -> None:
        up = self.cli("up", "--detach", "--llm-url", url, "--builders", str(self.plan.builders))
        if up.returncode != 0:
            raise AssertionError(f"cogloop up failed: {up.stderr}{up.stdout}")

    def status(self) -> dict[str, Any] | None:
        try:
            return self.client.call("status")["status"]
        except CogloopError:
            return None

    def kill_supervisor(self, url: str) -> None:
        status = wait_for(self.status, timeout=30, what="the daemon's status")
        pid = status["pid"]
        os.kill(pid, signal.SIGKILL)
        self.result.kills.append(("supervisor", pid))
        self.log(f"killed the supervisor (pid {pid})")
        # its children follow it (PR_SET_PDEATHSIG); then the operator starts it again
        wait_for(lambda: not self._new_processes(), timeout=15, what="the daemon gone with its supervisor")
        self.up(url)

    def kill_one(self) -> None:
        status = self.status()
        running = [c for c in (status or {}).get("children", []) if c["state"] == "running" and c["pid"]]
        if not running:
            return
        child = self.rng.choice(running)
        try:
            os.kill(child["pid"], signal.SIGKILL)
        except ProcessLookupError:  # it had just died anyway: not our kill
            return
        self.result.kills.append((child["name"], child["pid"]))
        self.log(f"killed {child['name']} (pid {child['pid']})")

    def _new_processes(self) -> list[psutil.Process]:
        """The daemon's processes that were not there before the run: those started with this
        home (`--home HOME`: supervisor, actors, spares) and what runs under them. The pid
        namespace is the whole test session's, so other tests' processes (pytest-xdist workers
        run side by side) are in it too; the scripted model is a thread of ours."""
        new = {}
        for p in psutil.process_iter(["status", "cmdline", "ppid"]):
            if p.pid not in self.before and p.info["status"] != psutil.STATUS_ZOMBIE:
                new[p.pid] = p
        home = str(self.home)
        ours = {pid for pid, p in new.items() if home in (p.info["cmdline"] or [])}
        grew = True
        while grew:
            under = {pid for pid, p in new.items() if pid not in ours and p.info["ppid"] in ours}
            ours |= under
            grew = bool(under)
        return [new[pid] for pid in sorted(ours)]

    def run(self) -> ChaosResult:
        started = time.monotonic()
        self.before = set(psutil.pids())
        stop = threading.Event()
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "cogloop.toml").write_text("[daemon]\nrestart_intensity = 1000\n")  # kills are not a crash loop
        with FakeLLM(default=scripted_model(humaneval.load_problems(), self.plan, stop), model="chaos-coder") as llm:
            self.up(llm.url)
            try:
                imported = self.cli("import", "humaneval", "--limit", str(self.plan.tasks))
                if imported.returncode != 0:
                    raise AssertionError(f"import failed: {imported.stderr}")
                end = time.monotonic() + self.plan.kill_s
                supervisor_at = time.monotonic() + self.plan.kill_s * self.rng.uniform(0.4, 0.6)
                while time.monotonic() < end:
                    time.sleep(self.rng.uniform(*self.plan.kill_every))
                    if supervisor_at and time.monotonic() >= supervisor_at:
                        self.kill_supervisor(llm.url)
                        supervisor_at = 0.0
                    else:
                        self.kill_one()
                self.log("killing stopped; waiting for every imported task to end")
                settled = self._settle()
                self._collect(settled)
            finally:
                down = self.cli("down", timeout=180)
                stop.set()
                self.client.close()
        if down.returncode != 0:
            self.result.mismatches.append(f"down failed: {down.stderr.strip()}")
        left = self._new_processes()
        if left:
            self.result.mismatches.append(f"down left {len(left)} process(es): "
                                          + "; ".join(" ".join(p.info["cmdline"] or [])[:80] for p in left))
        self.result.seconds = time.monotonic() - started
        return self.result

    def _unrecorded(self, conn: sqlite3.Connection) -> list[tuple[str, int]]:
        events = [(k, a, json.loads(b)) for k, a, b in conn.execute("SELECT kind, actor, body FROM events")]
        return [(name, pid) for name, pid in self.result.kills if not _on_record(events, name, pid)]

    def _imported(self, conn: sqlite3.Connection) -> dict[str, int]:
        return dict(conn.execute("SELECT status, count(*) FROM tasks WHERE source = 'humaneval' GROUP BY status"))

    def _settle(self) -> bool:
        conn = sqlite3.connect((self.home / "history.db").absolute().as_uri() + "?mode=ro", uri=True)
        try:
            deadline = time.monotonic() + self.plan.settle_s
            while time.monotonic() < deadline:
                by = self._imported(conn)
                if sum(by.values()) >= self.plan.tasks and all(s in TERMINAL for s in by):
                    return True
                time.sleep(0.5)
            return False
        finally:
            conn.close()

    def _collect(self, settled: bool) -> None:
        """Every assertion of issue 10's chaos test; each failure is one line in `mismatches`."""
        r, bad = self.result, self.result.mismatches
        report = json.loads(self.cli("report", "--json").stdout)
        bench = json.loads(self.cli("report", "--benchmark", "humaneval", "--json").stdout)
        doctor = json.loads(self.cli("doctor", "--json", timeout=60).stdout)
        with sqlite3.connect((self.home / "history.db").absolute().as_uri() + "?mode=ro", uri=True) as conn:
            r.tasks = self._imported(conn)
            if not settled:
                bad.append(f"imported tasks not all terminal after {self.plan.settle_s:g} s: {r.tasks}")
            one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
            r.passes = {
                "report": bench["passed"],
                "tasks": one("SELECT count(*) FROM tasks WHERE source = 'humaneval' AND status = 'passed'"),
                "scores": one("SELECT count(DISTINCT s.task_id) FROM scores s JOIN tasks t ON t.id = s.task_id "
                              "WHERE t.source = 'humaneval' AND s.passed"),
            }
            if len(set(r.passes.values())) != 1:
                bad.append(f"HumanEval passes disagree: {r.passes}")
            everywhere = {"report": report["passed"], "tasks": one("SELECT count(*) FROM tasks WHERE status = 'passed'"),
                          "scored attempts": one("SELECT count(*) FROM scores WHERE passed")}
            if len(set(everywhere.values())) != 1:
                bad.append(f"passes over all sources disagree: {everywhere}")
            for name, ids in violations(conn).items():
                bad.append(f"{describe(name)}: {', '.join(ids)}")
            if one("PRAGMA integrity_check") != "ok":
                bad.append("integrity_check failed")
            r.lost = one("SELECT count(*) FROM attempts WHERE lost IS NOT NULL")
            # the last kill's event may still be on its way (a Memory killed last is restarting)
            try:
                wait_for(lambda: not self._unrecorded(conn), timeout=30, what="every kill on record")
            except AssertionError:
                bad.extend(f"the kill of {name} (pid {pid}) is not on record" for name, pid in self._unrecorded(conn))
        record = next((c for c in doctor["checks"] if c["name"] == "record"), None)
        if record is None or record["status"] != "ok":
            bad.append(f"doctor's record check: {record}")


def _on_record(events: list[tuple[str, str, dict]], name: str, pid: int) -> bool:
    """Whether the kill of `name` (pid) is an event: the child's crash (or its hang, when the
    supervisor was already ending it), or the supervisor's unclean exit."""
    kinds = ("supervisor.crash",) if name == "supervisor" else ("child.crash", "child.hung")
    return any(k in kinds and (a == name or name == "supervisor") and b.get("pid") == pid for k, a, b in events)


def run_chaos(home: Path, plan: ChaosPlan | None = None, log: Callable[[str], None] = lambda s: None) -> ChaosResult:
    """One chaos run on `home` (a fresh folder); the daemon is down when it returns."""
    return Chaos(home, plan or ChaosPlan(), log).run()
