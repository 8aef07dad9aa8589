"""Configuration precedence and bad-config errors (ops/ground/config.py)."""

from __future__ import annotations

import subprocess

import pytest

from ops.ground.config import load_config
from ops.ground.errors import ConfigError
from tests.conftest import cogloop_cmd


def write(home, text):
    (home / "cogloop.toml").write_text(text)


@pytest.mark.unit
def test_defaults_without_file(home):
    cfg = load_config(home, env={})
    assert cfg.llm.url == "" and cfg.uses_embedded_model
    assert cfg.daemon.builders == 1
    assert cfg.source == "defaults"


@pytest.mark.unit
def test_file_then_env_then_flags(home):
    write(home, '[daemon]\nbuilders = 2\n[llm]\ntemperature = 0.5\nmodel = "from-file"\n')
    cfg = load_config(home, env={})
    assert (cfg.daemon.builders, cfg.llm.temperature, cfg.llm.model) == (2, 0.5, "from-file")
    cfg = load_config(home, env={"COGLOOP_DAEMON_BUILDERS": "3", "COGLOOP_LLM_MODEL": "from-env"})
    assert (cfg.daemon.builders, cfg.llm.model, cfg.llm.temperature) == (3, "from-env", 0.5)
    cfg = load_config(home, env={"COGLOOP_DAEMON_BUILDERS": "3"},
                      overrides={"daemon.builders": 4, "llm.model": None})
    assert cfg.daemon.builders == 4 and cfg.llm.model == "from-file"


@pytest.mark.unit
def test_llm_url_precedence(home):
    write(home, '[llm]\nurl = "http://file:1/v1"\n')
    assert load_config(home, env={}).llm.url == "http://file:1/v1"
    env = {"OPENAI_BASE_URL": "http://openai:2/v1"}
    assert load_config(home, env=env).llm.url == "http://openai:2/v1"
    env["COGLOOP_LLM_URL"] = "http://cogloop:3/v1"
    assert load_config(home, env=env).llm.url == "http://cogloop:3/v1"
    cfg = load_config(home, env=env, overrides={"llm.url": "http://flag:4/v1"})
    assert cfg.llm.url == "http://flag:4/v1" and not cfg.uses_embedded_model


@pytest.mark.unit
def test_api_key_precedence(home):
    assert load_config(home, env={"OPENAI_API_KEY": "sk-a"}).llm.api_key == "sk-a"
    env = {"OPENAI_API_KEY": "sk-a", "COGLOOP_LLM_API_KEY": "sk-b"}
    assert load_config(home, env=env).llm.api_key == "sk-b"


@pytest.mark.unit
def test_explicit_config_file(tmp_path, home):
    other = tmp_path / "other.toml"
    other.write_text("[sandbox]\ncpu_s = 2\n")
    cfg = load_config(home, other, env={})
    assert cfg.sandbox.cpu_s == 2.0 and cfg.source == str(other)


@pytest.mark.unit
@pytest.mark.parametrize("text, needle", [
    ('[llm]\ntemperature = "hot"\n', "llm.temperature: expected float"),
    ("[llm]\ncolour = 1\n", "llm.colour: unknown key"),
    ("[nope]\nx = 1\n", "unknown section [nope]"),
    ("[llm\n", "not valid TOML"),
    ("llm = 3\n", "expected a [llm] table"),
    ("[daemon]\nbuilders = true\n", "daemon.builders: expected int"),
    ("[daemon]\nbuilders = -1\n", "daemon.builders: expected 0 to 64"),
    ('[llm]\nurl = "localhost:1234"\n', "llm.url: expected an http(s) URL"),
    ("[trainer]\ntarget_low = 0.9\ntarget_high = 0.5\n", "target_low/target_high"),
])
def test_bad_file_names_file_and_key(home, text, needle):
    write(home, text)
    with pytest.raises(ConfigError) as err:
        load_config(home, env={})
    assert needle in str(err.value)
    assert str(home / "cogloop.toml") in str(err.value)


@pytest.mark.unit
def test_bad_env_names_variable(home):
    with pytest.raises(ConfigError, match="COGLOOP_SANDBOX_MEM_MB: sandbox.mem_mb: expected int"):
        load_config(home, env={"COGLOOP_SANDBOX_MEM_MB": "lots"})


@pytest.mark.unit
def test_missing_explicit_file(tmp_path, home):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(home, tmp_path / "absent.toml", env={})


@pytest.mark.process
def test_cli_bad_config_exit_2_one_line(home):
    write(home, '[llm]\ntemperature = "hot"\n')
    proc = subprocess.run(cogloop_cmd("config", "--home", str(home)), capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cogloop.toml" in lines[0] and "llm.temperature" in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.process
def test_cli_config_json_home_env(home, monkeypatch):
    import json
    env = {"COGLOOP_HOME": str(home), "COGLOOP_DAEMON_BUILDERS": "5", "PATH": "/usr/bin:/bin",
           "PYTHONPATH": __import__("os").environ["PYTHONPATH"]}
    proc = subprocess.run(cogloop_cmd("config", "--json"), capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["home"] == str(home) and data["config"]["daemon"]["builders"] == 5


@pytest.mark.process
def test_cli_usage_error_and_version():
    proc = subprocess.run(cogloop_cmd("no-such-command"), capture_output=True, text=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    proc = subprocess.run(cogloop_cmd("--version"), capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("cogloop ")


@pytest.mark.unit
def test_common_options_before_or_after_subcommand():
    from ops.cli import build_parser
    parser = build_parser()
    before = parser.parse_args(["--home", "/X", "--json", "config"])
    assert before.home == "/X" and before.json is True
    after = parser.parse_args(["config", "--home", "/Y", "--json"])
    assert after.home == "/Y" and after.json is True
