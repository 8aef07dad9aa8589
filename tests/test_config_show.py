"""`cogloop config`: TOML that `--config` reads back, the layer of every value, no secrets."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib

import pytest

from ops.ground.config import load_config
from tests.conftest import cogloop_cmd

SECRET = "sk-very-secret-123"


def run(home, *args, env=None):
    full = {"PATH": os.environ["PATH"], "PYTHONPATH": os.environ.get("PYTHONPATH", ""), **(env or {})}
    proc = subprocess.run(cogloop_cmd("config", "--home", str(home), *args), capture_output=True, text=True,
                          env=full)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("value", ["", 'a "quoted" \\ back\\slash', "tab\tnew\nline\r\x7f\x01", "ünïcödé ✓ 😀",
                                   True, False, 0, -7, 0.2, 120.0, 1e-05, 1e300])
@pytest.mark.unit
def test_every_value_is_toml_that_reads_back(value):
    from ops.ground.config_toml import toml_value

    assert tomllib.loads(f"k = {toml_value(value)}")["k"] == value


@pytest.mark.process
def test_output_round_trips_through_config(home, tmp_path):
    (home / "cogloop.toml").write_text('[sandbox]\ncpu_s = 2\n[daemon]\nwarm_spares = false\n'
                                       '[embedded]\ncommand = "llama-server -m \\"{model}\\" --port {port}"\n')
    env = {"COGLOOP_DAEMON_BUILDERS": "3", "COGLOOP_LLM_TEMPERATURE": "0.7"}
    text = run(home, "--model", "qwen", env=env)
    shown = tmp_path / "shown.toml"
    shown.write_text(text)
    again = run(home, "--config", str(shown))  # nothing from env or flags this time
    before = load_config(home, env=env, overrides={"llm.model": "qwen"}).to_dict()
    after = load_config(home, shown, env={}).to_dict()
    assert before == after  # (the secret is left out: both hold the default)
    assert tomllib.loads(again) == tomllib.loads(text)


@pytest.mark.process
def test_each_value_names_its_layer(home):
    (home / "cogloop.toml").write_text("[sandbox]\ncpu_s = 2\n")
    text = run(home, "--builders", "4", env={"COGLOOP_LLM_TEMPERATURE": "0.7", "OPENAI_BASE_URL": "http://h:1/v1"})
    lines = {line.split(" =")[0]: line for line in text.splitlines() if " = " in line and not line.startswith("#")}
    assert lines["cpu_s"].endswith("# file")
    assert lines["temperature"].endswith("# environment COGLOOP_LLM_TEMPERATURE")
    assert lines["url"].endswith("# environment OPENAI_BASE_URL")
    assert lines["builders"].endswith("# flag")
    assert lines["mem_mb"].endswith("# default")


@pytest.mark.process
@pytest.mark.parametrize("how", ["COGLOOP_LLM_API_KEY", "OPENAI_API_KEY", "file"])
def test_secrets_never_printed_nor_masked(home, how):
    env = {how: SECRET} if how != "file" else {}
    if how == "file":
        (home / "cogloop.toml").write_text(f'[llm]\napi_key = "{SECRET}"\n')
    text = run(home, env=env)
    data = json.loads(run(home, "--json", env=env))
    for out in (text, json.dumps(data)):
        assert SECRET not in out and "***" not in out
    assert "api_key" not in tomllib.loads(text)["llm"] and "api_key" not in data["config"]["llm"]
    note = next(line for line in text.splitlines() if line.startswith("# api_key"))
    assert "COGLOOP_LLM_API_KEY" in note and (how if how != "file" else "file") in note
    assert data["secrets"]["llm.api_key"]["variables"] == ["COGLOOP_LLM_API_KEY", "OPENAI_API_KEY"]


@pytest.mark.process
def test_json_has_values_and_origins(home):
    data = json.loads(run(home, "--json", env={"COGLOOP_DAEMON_BUILDERS": "5"}))
    assert data["config"]["daemon"]["builders"] == 5
    assert data["origins"]["daemon.builders"] == "environment COGLOOP_DAEMON_BUILDERS"
    assert data["origins"]["llm.url"] == "default" and "llm.api_key" not in data["origins"]


@pytest.mark.unit
def test_to_toml_covers_every_key(home):
    from ops.ground.config_toml import to_toml

    cfg = load_config(home, env={})
    parsed = tomllib.loads(to_toml(cfg))
    expected = cfg.to_dict()
    expected["llm"].pop("api_key")
    assert parsed == expected


@pytest.mark.unit
def test_endpoint_tables_read_back_without_their_keys(home):
    from ops.ground.config_toml import to_json, to_toml

    (home / "cogloop.toml").write_text('[llm]\nurl = ["http://a:1/v1", "http://b:2/v1"]\n[[llm.endpoints]]\n'
                                       f'url = "http://c:3/v1"\nmodel = "m"\napi_key = "{SECRET}"\nmax_concurrency = 2\n')
    cfg = load_config(home, env={})
    text = to_toml(cfg)
    assert SECRET not in text and SECRET not in str(to_json(cfg))
    parsed = tomllib.loads(text)["llm"]
    assert parsed["url"] == "http://a:1/v1,http://b:2/v1"
    assert parsed["endpoints"] == [{"url": "http://c:3/v1", "model": "m", "max_concurrency": 2}]
