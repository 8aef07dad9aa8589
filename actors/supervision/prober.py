"""The prober: runs the endpoint table's jobs (a model listing, or an open breaker's one-token
trial chat; `endpoints.EndpointTable.jobs`) in a few threads, so neither `status` nor the main
loop ever waits on HTTP. The main loop hands jobs in and takes results out (`results`), and
applies them to the table itself: the table is only ever touched by the main loop.
"""

from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def run_job(job: dict[str, Any]) -> Any:
    """A Probe for a listing; None (it answered) or the error text for a trial chat."""
    from actors.llm import LLMError, Probe, probe_endpoint, trial_chat

    if job["job"] == "probe":
        try:
            return probe_endpoint(job["url"], job["api_key"], job["timeout_s"], job["wanted"], job["refused"])
        except Exception as exc:  # a bug, not the server: said in status rather than lost
            return Probe(f"down: prober: {type(exc).__name__}: {exc}", kind="bad_response")
    try:
        trial_chat(job["url"], job["api_key"], job["model"], job["timeout_s"], job.get("stream", False))
        return None
    except LLMError as exc:
        return str(exc)


class Prober:
    def __init__(self, workers: int = 8) -> None:  # at most one job per endpoint is out
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe")
        self._done: queue.SimpleQueue[tuple[dict[str, Any], Any]] = queue.SimpleQueue()

    def submit(self, job: dict[str, Any]) -> None:
        def finish(fut: Any) -> None:
            exc = fut.exception()  # a trial that raised other than LLMError: a failed trial
            self._done.put((job, fut.result() if exc is None else f"prober: {type(exc).__name__}: {exc}"))
        try:
            self._pool.submit(run_job, job).add_done_callback(finish)
        except RuntimeError:  # shut down: the daemon is stopping
            pass

    def results(self) -> list[tuple[dict[str, Any], Any]]:
        out = []
        while True:
            try:
                out.append(self._done.get_nowait())
            except queue.Empty:
                return out

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
