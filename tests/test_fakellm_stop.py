"""The scripted model server stops like a real one: a connection kept alive from before `stop()`
gets no more answers. It used to (the handler threads of open keep-alive connections outlive
serve_forever), so the supervisor's probe, on its pooled connection, kept seeing a stopped
server as up — `test_status_says_llm_down_with_reason_then_ok_when_server_comes_up` waited for
"down again" in vain, now and then."""

from __future__ import annotations

import http.client

import pytest

from tests.fakellm import FakeLLM

pytestmark = pytest.mark.process


def test_a_kept_alive_connection_gets_no_answer_after_stop():
    fake = FakeLLM().start()
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    conn.request("GET", "/v1/models")
    first = conn.getresponse()
    assert first.status == 200 and first.read()
    fake.stop()
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        conn.request("GET", "/v1/models")
        conn.getresponse().read()
    conn.close()
