"""How long `cogloop down` takes while the embedded model is answering, and how its server ends.

    python bench/shutdown.py [--rounds 3]

Each round starts the daemon on the embedded model (SmolLM2 via llama.cpp, one builder) on a
fresh home, waits until the model server is computing a completion for the builder (its CPU
time grows), then times `cogloop down` and reads the llm child's exit status from the
supervisor's log. Two launchers, alternating in the same run:

- baseline: `python -m llama_cpp.server` (set through embedded.command), what cogloop ran
  before: SIGTERM waits for the running completion, then SIGKILL when the grace runs out;
- cogloop:  `python -m actors.llm._llamaserve`, the default now: exits 0 within 0.5 s.

Prints per round and the medians, with the ratio baseline / cogloop.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "{python} -m llama_cpp.server --model {model} --host 127.0.0.1 --port {port} --n_ctx 8192"


def cogloop(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ops.cli", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)


def llm_pid(home: Path, env: dict[str, str]) -> int | None:
    import json
    out = cogloop("status", "--home", str(home), "--json", env=env)
    if out.returncode != 0:
        return None
    child = next((c for c in json.loads(out.stdout)["children"] if c["name"] == "llm"), None)
    return child["pid"] if child and child["state"] == "running" else None


def one_round(command: str) -> tuple[float, str]:
    with tempfile.TemporaryDirectory(prefix="cogloop-shutdown-") as tmp:
        home = Path(tmp)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COGLOOP_EMBEDDED_COMMAND": command}
        up = cogloop("up", "--detach", "--home", str(home), env=env)
        assert up.returncode == 0, up.stderr
        deadline = time.monotonic() + 180
        pid = None
        while pid is None and time.monotonic() < deadline:
            pid = llm_pid(home, env)
            time.sleep(0.2)
        assert pid, "the llm child never ran"
        proc = psutil.Process(pid)
        base = sum(proc.cpu_times()[:2])
        while sum(proc.cpu_times()[:2]) - base < 1.0 and time.monotonic() < deadline:
            time.sleep(0.1)  # the builder's first completion is being computed
        t0 = time.monotonic()
        down = cogloop("down", "--home", str(home), env=env)
        took = time.monotonic() - t0
        assert down.returncode == 0, down.stderr
        log = (home / "logs" / "supervisor.log").read_text()
        rc = re.findall(r"'name': 'llm', 'state': 'stopped'.*'returncode': (-?\d+)", log)
        return took, ",".join(rc) or "?"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    results: dict[str, list[tuple[float, str]]] = {"baseline": [], "cogloop": []}
    for n in range(args.rounds):
        for name, command in (("baseline", BASELINE), ("cogloop", "")):
            took, rc = one_round(command)
            results[name].append((took, rc))
            print(f"round {n + 1} {name:8s}: down took {took:5.2f} s, llm exit status {rc}", flush=True)
    medians = {name: statistics.median(t for t, _ in rows) for name, rows in results.items()}
    for name, rows in results.items():
        print(f"{name:8s}: median down {medians[name]:.2f} s; llm exit statuses {[rc for _, rc in rows]}")
    print(f"ratio baseline / cogloop: {medians['baseline'] / medians['cogloop']:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
