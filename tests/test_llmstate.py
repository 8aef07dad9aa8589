"""The pure rule that turns the llm child's state and the last probe into status' `llm.state`."""

import pytest

from actors.supervision.llmstate import llm_state

pytestmark = pytest.mark.unit


def test_embedded_child_states_come_first() -> None:
    assert llm_state("http://x/v1", "starting", ("down: refused", [])) == "starting"
    assert llm_state("http://x/v1", "backoff", ("ok", ["m"])).startswith("down: the embedded model server exited")
    assert "restart limit" in llm_state("http://x/v1", "fatal", None)
    assert llm_state("http://x/v1", "running", ("ok", ["m"])) == "ok"
    assert llm_state("http://x/v1", "running", ("down: HTTP 503", [])) == "down: HTTP 503"


def test_external_endpoint_and_none() -> None:
    assert llm_state("", None, None, note="embedded model unavailable: no gguf") == \
        "down: embedded model unavailable: no gguf"
    assert llm_state("http://x/v1", None, None) == "waiting: not probed yet"
    assert llm_state("http://x/v1", None, ("ok", ["a", "b"]), model="b") == "ok"
    assert llm_state("http://x/v1", None, ("ok", ["a"]), model="b").startswith("waiting: the server does not list")


def test_a_timeout_soon_after_a_good_probe_is_a_busy_server_not_a_dead_one() -> None:
    from actors.supervision.llmstate import busy_tolerant

    assert busy_tolerant(("down: timed out", []), (100.0, ["m"]), now=110.0) == ("ok", ["m"])
    assert busy_tolerant(("down: timed out", []), (100.0, ["m"]), now=131.0) == ("down: timed out", [])
    assert busy_tolerant(("down: [Errno 111] Connection refused", []), (100.0, ["m"]), now=101.0)[0].startswith("down:")
    assert busy_tolerant(("down: timed out", []), None, now=1.0) == ("down: timed out", [])
