"""`GET /v1/models` for `status` (the supervisor's sampler) and the embedded server's readiness.

This is the one request outside the `openai` client (`_client.py`): plain urllib, no API key.
`ops/doctor.py` (`check_llm`) holds a second urllib copy. Both are meant to go through the
client (one HTTP path, the configured key); until then they are kept here and there only.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request


def probe_models(url: str, timeout: float = 2.0) -> tuple[str, list[str]]:
    """(state, models) from one `GET /v1/models`: ("ok", [ids]) or ("down: <reason>", [])."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/models", timeout=timeout) as resp:
            data = json.load(resp)
        models = [str(m.get("id", "")) for m in data.get("data", []) if isinstance(m, dict)]
        return ("ok", models) if models else ("down: no models listed", [])
    except urllib.error.HTTPError as exc:
        return f"down: HTTP {exc.code}", []
    except (OSError, ValueError, AttributeError) as exc:  # refused, timeout, not JSON, not a list
        return f"down: {getattr(exc, 'reason', None) or exc}", []


def probe(url: str, timeout: float = 2.0) -> tuple[str, str]:
    """(state, model) from one `GET /v1/models`: ("ok", "m") or ("down: <reason>", "")."""
    state, models = probe_models(url, timeout)
    return state, (models[0] if models else "")
