"""A reload that names an unknown child kind is refused, with its reason, and changes nothing:
by SIGHUP (said in the log and the reload_failed event) and by the control op (a bad_request
reply). Before, the ValueError of the children's list escaped the reload and the SIGHUP one
ended the daemon."""

from __future__ import annotations

import pytest

from ops.client import RemoteFailure
from tests.daemon_helpers import Daemon, hangup, wait_for

pytestmark = pytest.mark.process


def test_a_reload_naming_an_unknown_kind_is_refused_and_changes_nothing(home):
    (home / "cogloop.toml").write_text('[daemon]\nchildren = "echo-1:echo"\n')
    d = Daemon(home, None).start()
    try:
        pid = d.child("echo-1")["pid"]
        hangup(d, '[daemon]\nchildren = "echo-1:echo,ghost:no-such-kind"\n')
        wait_for(lambda: "reload refused" in d.err.read_text(), what="the refusal in the log")
        assert "unknown kind 'no-such-kind'" in d.err.read_text()
        with pytest.raises(RemoteFailure) as err:
            d.client.call("reload")
        assert err.value.code == "bad_request" and "unknown kind 'no-such-kind'" in err.value.message
        assert d.proc.poll() is None
        assert [(c["name"], c["pid"], c["state"]) for c in d.children()] == [("echo-1", pid, "running")]
        assert d.forward("echo-1", "echo", {})["name"] == "echo-1"
    finally:
        d.stop()
