"""The configuration in force as text `--config` reads back: TOML, or a JSON-ready map.

Every value carries the layer that set it (default, file, environment NAME, flag). Secrets
(`SECRETS`) are never written, not even masked: a `***` fed back would become the key. Their
line is a comment naming the variables that set them instead. `[[llm.endpoints]]` come out as
one inline array of tables, each without its `api_key` (a secret too).
"""

from __future__ import annotations

import math
from typing import Any

from ops.ground.config import SECRETS, Config

# TOML basic strings: these must be escaped (the spec's control characters, quote, backslash).
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_value(value: Any) -> str:
    """One TOML value: bool, int, float or string (the types of the config dataclasses), or a
    list of them / of tables (`llm.endpoints`), inline."""
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)  # always has a '.' or an exponent, as TOML wants for a float
    if isinstance(value, str):
        out = []
        for ch in value:
            if ch in _ESCAPES:
                out.append(_ESCAPES[ch])
            elif ord(ch) < 0x20 or ord(ch) == 0x7F:
                out.append(f"\\u{ord(ch):04X}")
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'
    raise TypeError(f"no TOML form for {type(value).__name__}")


def secret_note(cfg: Config, dotted: str) -> str:
    """Where a secret comes from, without its value."""
    names = " or ".join(SECRETS[dotted])
    origin = cfg.origin(dotted)
    where = "not set" if origin == "default" else f"set by {origin}"
    return f"left out, a secret ({where}); set it with {names}"


def _without_keys(data: dict[str, Any]) -> dict[str, Any]:
    """The configuration with each endpoint's api_key left out."""
    data["llm"]["endpoints"] = [{k: v for k, v in e.items() if k != "api_key"} for e in data["llm"]["endpoints"]]
    return data


def to_toml(cfg: Config, header: list[str] | None = None) -> str:
    """The whole configuration as TOML, one `key = value  # layer` line per key."""
    lines = [f"# {line}" if line else "#" for line in header or []]
    for section, values in _without_keys(cfg.to_dict()).items():
        rows = [(f"{key} = {toml_value(value)}", cfg.origin(f"{section}.{key}"))
                if f"{section}.{key}" not in SECRETS else (f"# {key}: {secret_note(cfg, f'{section}.{key}')}", "")
                for key, value in values.items()]
        width = max(len(text) for text, note in rows if note)
        lines += ["", f"[{section}]"] + [f"{text.ljust(width)}  # {note}" if note else text for text, note in rows]
    return "\n".join(lines).lstrip("\n") + "\n"


def to_json(cfg: Config) -> dict[str, Any]:
    """{"config": values without secrets, "origins": {key: layer}, "secrets": {key: note}}."""
    values = _without_keys(cfg.to_dict())
    for dotted in SECRETS:
        section, _, key = dotted.partition(".")
        values[section].pop(key, None)
    origins = {f"{s}.{k}": cfg.origin(f"{s}.{k}") for s, keys in values.items() for k in keys}
    return {"config": values, "origins": origins,
            "secrets": {dotted: {"origin": cfg.origin(dotted), "variables": list(names)}
                        for dotted, names in SECRETS.items()}}
