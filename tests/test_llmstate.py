"""The pure rule that turns the llm child's state and the last probe into status' `llm.state`."""

from actors.supervision.llmstate import llm_state


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
