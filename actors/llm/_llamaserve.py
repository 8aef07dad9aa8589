"""`python -m actors.llm._llamaserve ARGS`: llama.cpp's OpenAI server that stops when told to.

It takes the arguments of `python -m llama_cpp.server` and serves the same app. The difference
is the stop. There, SIGTERM makes uvicorn wait for every request in flight, and a completion
runs to its end in a worker thread that nothing interrupts (llama_cpp only checks for a
disconnected client between streamed chunks): 600 tokens of SmolLM2 on 2 cores took 13 s after
the signal, so the supervisor's grace ran out and `down` SIGKILLed the server every time.

Here the first SIGTERM or SIGINT closes the listening socket and idle keep-alive connections
(uvicorn), gives responses in flight STOP_GRACE_S to finish, then exits 0 with `os._exit`: the
generation thread cannot be joined, and its client is gone anyway (the supervisor stops the
builders before the model server). With nothing in flight it exits as soon as uvicorn is done.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from typing import Any

STOP_GRACE_S = 0.5  # for a response that is being written as the stop arrives


def _exit_after(seconds: float, why: str) -> None:
    time.sleep(seconds)
    print(f"cogloop: {why}; exiting", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(0)


def bounded_server(config: Any, grace_s: float = STOP_GRACE_S) -> Any:
    """A uvicorn.Server whose first stop signal also arms an exit `grace_s` later."""
    import uvicorn

    class Server(uvicorn.Server):
        armed = False

        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            if not self.armed:
                self.armed = True
                why = f"{signal.Signals(sig).name}: requests still running after {grace_s:g}s are dropped"
                threading.Thread(target=_exit_after, args=(grace_s, why), daemon=True).start()

    return Server(config)


def main(argv: list[str] | None = None) -> int:
    import uvicorn
    from llama_cpp.server.app import create_app
    from llama_cpp.server.cli import add_args_from_model, parse_model_from_args
    from llama_cpp.server.settings import ModelSettings, ServerSettings, Settings

    parser = argparse.ArgumentParser(prog="python -m actors.llm._llamaserve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_args_from_model(parser, Settings)
    args = parser.parse_args(argv)
    try:
        server_settings = parse_model_from_args(ServerSettings, args)
        model_settings = [parse_model_from_args(ModelSettings, args)]
    except Exception as exc:  # pydantic's validation error: one line, as llama_cpp.server does
        print(f"cogloop: bad model server arguments: {exc}", file=sys.stderr)
        return 2
    # Loading the model takes seconds; a stop signal meanwhile ends the process at once (default).
    app = create_app(server_settings=server_settings, model_settings=model_settings)
    server = bounded_server(uvicorn.Config(app, host=server_settings.host, port=server_settings.port,
                                           ssl_keyfile=server_settings.ssl_keyfile,
                                           ssl_certfile=server_settings.ssl_certfile))
    # Ours until uvicorn installs its own, and again after it restores them and re-raises what
    # it caught (which would otherwise end the process by SIGTERM, not by an exit status).
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, server.handle_exit)
    server.run()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # not a normal exit: that would join the thread of an abandoned completion


if __name__ == "__main__":
    sys.exit(main())
