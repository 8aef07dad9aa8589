"""Static checks of the container and service files (no Docker engine runs here).

The compose file is parsed as YAML and its keys checked; the entrypoint is syntax-checked and
run for real with a stand-in `cogloop` to show it execs (signals reach the daemon, its exit
status is the container's); every path and command the Dockerfile names exists in the project.
"""

from __future__ import annotations

import os
import shlex
import signal
import json
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import yaml

from ops.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "ops" / "Dockerfile"
ENTRYPOINT = ROOT / "ops" / "entrypoint.sh"
COMPOSE = ROOT / "docker-compose.yml"
UNIT = ROOT / "ops" / "cogloop.service"
SANDBOX_CAPS = {"SYS_ADMIN", "SYS_CHROOT", "SETUID", "SETGID", "CHOWN", "DAC_OVERRIDE"}


# --- Dockerfile -----------------------------------------------------------------------------

def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip("\\").strip() + " "
        if line.rstrip().endswith("\\"):
            continue
        word, _, rest = pending.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        pending = ""
    return out


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for ins, args in dockerfile_instructions():
        if ins == "FROM":
            result.append([])
        result[-1].append((ins, args))
    return result


@pytest.mark.unit
def test_dockerfile_base_image_and_stages():
    froms = [args for ins, args in dockerfile_instructions() if ins == "FROM"]
    assert froms and all(f.split()[0] == "python:3.11-slim" for f in froms)


@pytest.mark.unit
def test_dockerfile_copies_only_existing_project_paths():
    named = []
    for ins, args in dockerfile_instructions():
        if ins != "COPY":
            continue
        words = [w for w in shlex.split(args) if not w.startswith("--")]
        if "--from=" in args:
            continue  # copied from the build stage, not from the project
        named += words[:-1]
    assert "ops/entrypoint.sh" in named and "pyproject.toml" in named
    for path in named:
        assert (ROOT / path).exists(), f"Dockerfile copies {path}, which the project lacks"


@pytest.mark.unit
def test_dockerfile_installs_the_local_extra_that_pyproject_defines():
    text = DOCKERFILE.read_text()
    assert "'.[local]'" in text and "'cogloop[local]'" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "local" in project["optional-dependencies"]
    assert project["scripts"]["cogloop"] == "ops.cli:main"


@pytest.mark.unit
def test_dockerfile_runs_as_non_root_and_has_sandbox_user():
    final = stages()[-1]
    users = [args for ins, args in final if ins == "USER"]
    assert users and users[-1] not in ("root", "0")
    runs = " ".join(args for ins, args in final if ins == "RUN")
    assert "useradd --system --uid 10001" in runs
    # The home and the code belong to the daemon user.
    assert "chown -R cogloop:cogloop /home/cogloop" in runs
    assert "chown -R cogloop:cogloop /opt/cogloop" in runs
    env = " ".join(args for ins, args in final if ins == "ENV")
    assert "COGLOOP_HOME=/home/cogloop/.cogloop" in env
    volumes = [args for ins, args in final if ins == "VOLUME"]
    assert volumes and "/home/cogloop/.cogloop" in volumes[0]


@pytest.mark.unit
def test_dockerfile_commands_exist_in_the_cli():
    final = dict((ins, args) for ins, args in stages()[-1])
    health = final["HEALTHCHECK"]
    assert "CMD cogloop status" in health
    cli_commands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    named = {"status"}  # HEALTHCHECK
    named |= {"up"} if "cogloop up" in ENTRYPOINT.read_text() else set()
    assert named <= cli_commands, f"missing CLI commands: {named - cli_commands}"
    assert final["ENTRYPOINT"] == '["cogloop-entrypoint"]'
    copies = [args for ins, args in stages()[-1] if ins == "COPY"]
    assert any(a.endswith("ops/entrypoint.sh /usr/local/bin/cogloop-entrypoint") for a in copies)


# --- entrypoint.sh --------------------------------------------------------------------------

@pytest.mark.process
def test_entrypoint_syntax_and_mode():
    subprocess.run(["bash", "-n", str(ENTRYPOINT)], check=True)
    assert os.access(ENTRYPOINT, os.X_OK)


@pytest.fixture
def fake_cogloop(tmp_path):
    """A stand-in `cogloop` on PATH that records its pid and argv, exits 143 on SIGTERM."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "cogloop"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f'echo "$$ $*" > {tmp_path}/argv\n'
        'trap "exit 143" TERM\n'
        'if [[ "${FAKE_EXIT:-}" != "" ]]; then exit "$FAKE_EXIT"; fi\n'
        "while true; do sleep 0.05; done\n"
    )
    script.chmod(0o755)
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}", COGLOOP_HOME=str(tmp_path / "h"))
    return tmp_path, env


@pytest.mark.process
def test_entrypoint_propagates_exit_status(fake_cogloop):
    tmp, env = fake_cogloop
    proc = subprocess.run([str(ENTRYPOINT), "--builders", "2"], env=dict(env, FAKE_EXIT="7"))
    assert proc.returncode == 7
    pid, *argv = (tmp / "argv").read_text().split()
    assert argv == ["up", "--home", str(tmp / "h"), "--builders", "2"]
    assert (tmp / "h" / "run").stat().st_mode & 0o777 == 0o700


@pytest.mark.process
def test_entrypoint_execs_so_signals_reach_the_daemon(fake_cogloop):
    tmp, env = fake_cogloop
    proc = subprocess.Popen([str(ENTRYPOINT)], env=env)
    deadline = time.monotonic() + 10
    while not (tmp / "argv").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    pid = int((tmp / "argv").read_text().split()[0])
    assert pid == proc.pid  # exec: the daemon *is* the entrypoint's process, no shell between
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 143


@pytest.mark.process
def test_entrypoint_runs_other_commands_as_given(fake_cogloop):
    tmp, env = fake_cogloop
    proc = subprocess.run([str(ENTRYPOINT), "cogloop", "doctor"], env=dict(env, FAKE_EXIT="0"))
    assert proc.returncode == 0
    assert (tmp / "argv").read_text().split()[1:] == ["doctor"]


# --- docker-compose.yml ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE.read_text())


@pytest.mark.unit
def test_compose_daemon_service(compose):
    svc = compose["services"]["cogloop"]
    assert (ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]).exists()
    assert svc["init"] is True
    assert "host.docker.internal:host-gateway" in svc["extra_hosts"]
    assert "host.docker.internal" in svc["environment"]["COGLOOP_LLM_URL"]
    home = svc["environment"]["COGLOOP_HOME"]
    mounts = [v.split(":") for v in svc["volumes"]]
    assert [name for name, target in mounts if target == home] == ["cogloop-home"]
    assert "cogloop-home" in compose["volumes"]
    assert "profiles" not in svc  # the default service starts without a profile


@pytest.mark.unit
def test_compose_capabilities_are_the_documented_set(compose):
    for name, svc in compose["services"].items():
        assert svc["cap_drop"] == ["ALL"], name
        assert set(svc["cap_add"]) == SANDBOX_CAPS, name
        assert svc["user"] == "0:0", name  # the jail needs euid 0; the caps bound that root
        assert "apparmor=unconfined" in svc["security_opt"], name
        assert "no-new-privileges:true" in svc["security_opt"], name
    text = COMPOSE.read_text()
    assert "Degraded mode" in text and "cogloop doctor" in text
    for cap in SANDBOX_CAPS:
        assert f"#   {cap} " in text, f"{cap} granted without a reason in the comment"


PROBE = """
import json
from sandbox import isolation_level, run_tests
# The project's files (outside the interpreter's venv) must be invisible to the candidate.
code = ("def f(x):\\n    import os\\n    return (os.getuid(), os.path.exists(HOME))\\n")
report = run_tests(code, "assert candidate(1)[0] >= 200000\\nassert candidate(1)[1] is False\\n", entry_point="f")
print(json.dumps({"level": isolation_level(), "passed": report.all_passed, "status": report.run.status}))
"""


def sandbox_under_caps(caps: set[str]) -> dict:
    """Run the real sandbox in a process whose capability bounding set is exactly `caps`."""
    bounding = "-all" + "".join(f",+{c.lower()}" for c in sorted(caps))
    proc = subprocess.run(["setpriv", "--inh-caps=-all", "--ambient-caps=-all", f"--bounding-set={bounding}",
                           sys.executable, "-c", PROBE.replace("HOME", repr(str(ROOT / "README.md")))],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.process
def test_sandbox_is_fully_isolated_with_exactly_the_compose_caps():
    """The compose file's cap_add is sufficient (full isolation, a jailed run passes) and each
    capability in it is necessary (without it the jailed run fails). Needs root, like the
    container; a non-root user gets the documented degraded mode instead."""
    if os.geteuid() != 0:
        result = sandbox_under_caps(SANDBOX_CAPS)
        assert not any(result["level"].values())  # degraded, as docker-compose.yml documents
        return
    result = sandbox_under_caps(SANDBOX_CAPS)
    assert all(result["level"].values()) and result["passed"], result
    for cap in sorted(SANDBOX_CAPS):
        without = sandbox_under_caps(SANDBOX_CAPS - {cap})
        assert not without["passed"], f"{cap} is granted but the sandbox works without it"


@pytest.mark.unit
def test_compose_embedded_profile(compose):
    svc = compose["services"]["cogloop-embedded"]
    assert svc["profiles"] == ["embedded"]
    assert svc["environment"]["COGLOOP_LLM_URL"] == ""  # empty URL: the embedded model
    home = svc["environment"]["COGLOOP_HOME"]
    assert any(v.endswith(":" + home) for v in svc["volumes"])
    assert svc["volumes"] != compose["services"]["cogloop"]["volumes"]  # separate histories


# --- systemd unit ---------------------------------------------------------------------------

def unit_sections() -> dict[str, list[tuple[str, str]]]:
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = []
            continue
        key, sep, value = line.partition("=")
        assert sep and current, f"bad unit line: {line}"
        sections[current].append((key, value))
    return sections


@pytest.mark.unit
def test_systemd_unit_keys():
    sections = unit_sections()
    assert set(sections) == {"Unit", "Service", "Install"}
    service = dict(sections["Service"])
    assert service["Restart"] == "on-failure"
    assert service["Type"] == "simple"
    assert service["User"] not in ("root", "0")
    start = service["ExecStart"].split()
    assert start[0].endswith("/cogloop") and start[1] == "up" and "--detach" not in start
    assert service["ExecStop"].split()[1] == "down"
    assert service["ExecReload"].split()[1:2] == ["reload"]  # systemctl reload: new keys and config, no restart
    envs = [v for k, v in sections["Service"] if k == "Environment"]
    assert any(v.startswith("COGLOOP_HOME=") for v in envs)
    assert dict(sections["Install"])["WantedBy"] == "multi-user.target"
    assert "StartLimitBurst" in dict(sections["Unit"])  # [Unit] is where systemd reads it
    cli_commands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert {"up", "down", "reload"} <= cli_commands


@pytest.mark.unit
def test_package_data_ships_the_service_files():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    ops_dir = ROOT / "ops"
    for pattern in data["ops"]:
        assert list(ops_dir.glob(pattern)), f"package-data names {pattern}, nothing matches"
