"""The builder's cycle over the bus, without the bus: lease -> prompt -> attempt -> record +
score -> reflect.

`ask(to, op, body, timeout) -> dict` is injected (the actor passes `Bus.ask`, and `Bus.send_ask`
as `send_ask`, so independent asks travel together: lessons with the example, the attempt
record with the score request — Memory round trips off every task's path, in the same order on
the wire), as are the LLM client and the sandbox's
`run_tests`, so the whole cycle is tested against a scripted LLM
server and an in-memory Memory without processes.

Endpoint errors are not attempts: only what the model answered is recorded and scored. Before
each lease the builder asks whether a request may go out (`LLMClient.ready`: free while calls
succeed), so an endpoint that is down, refuses the key or lacks the model holds no task. An
endpoint error during an attempt, before the model answered, gives the task back with the
error as the reason (lost work: `store.max_lost` ends a task that keeps meeting them as `error`,
never in a loop), and the builder backs off: the breaker's wait, else 2, 4, 8 ... seconds up to
`llm.breaker_reset_s` while errors follow each other. A prompt beyond the model's context is
sent once more, smaller (`prompt.fit_context`).

`stopping` (the actor's stop flag) is checked between steps, and LLM calls are made
abandonable (actors/builder/abandon.py): a stop mid-attempt releases the lease (the attempt
is not counted) and returns within a fraction of a second even while the model hangs. The
verdict is the record: once the Scorer has Memory record the score, the attempt and its task
are complete (there is no `task.complete` to send, nothing to lose if this process dies next),
and a stop skips only the reflection call. An attempt that fails for any other reason is given
back with that reason (`task.release` with `reason`: lost work, counted toward `store.max_lost`
and recorded as an `attempt.error` event).
The first lease of a process asks Memory to reclaim leases still held under its name (a
previous incarnation killed mid-attempt) instead of leaving them to their TTL.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from actors.builder.abandon import Stopping, abandonable, check
from actors.builder.loop import AttemptOutcome, RunTests
from actors.builder.pipeline import recall, solve
from actors.builder.prompt import fit_context, task_section
from actors.builder.search import Bandit, Choice, name_of
from actors.builder.strategy import Strategy
from actors.builder.reflect import make_reflection, reflection_messages
from actors.llm import LLMClient, LLMError, LLMUnavailable
from ops.ground.config import Config

log = logging.getLogger("cogloop.builder")

Ask = Callable[..., dict]
SendAsk = Callable[..., Callable[[], dict]]  # send now, wait for the reply later (Bus.send_ask)
IDLE_POLL_S = 1.0  # no task queued: look again in a second
ERROR_BACKOFF_S = 2.0


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _summary(outcome: AttemptOutcome, score: Mapping[str, Any] | None) -> str:
    """The result as the model is told it when reflecting."""
    vis = f"visible tests {outcome.visible_passed}/{outcome.visible_total}"
    if score is None:
        return f"{vis}; not scored"
    hidden = "passed" if score.get("passed") else "failed"
    parts = [vis, f"hidden tests {hidden}", f"total score {float(score.get('total') or 0):.2f}"]
    if outcome.error:
        parts.append("errors: " + outcome.error[:600])
    return "; ".join(parts)


class BuilderWorker:
    def __init__(self, name: str, cfg: Config, ask: Ask, llm: LLMClient, run_tests: RunTests,
                 *, clock: Callable[[], float] = time.monotonic,
                 on_state: Callable[[dict], None] | None = None,
                 stopping: threading.Event | None = None, send_ask: SendAsk | None = None) -> None:
        self.name, self.cfg, self.ask, self.llm, self.run_tests = name, cfg, ask, llm, run_tests
        self.strategy = Strategy.from_config(cfg.builder)  # memory and search switches
        # builder.search auto: the search per task from the record (actors/builder/search.py)
        self.bandit = Bandit(self.strategy, self._search_stats, cost_weight=cfg.builder.search_cost,
                             clock=clock) if cfg.builder.search == "auto" else None
        self.send_ask: SendAsk = send_ask or self._ask_now
        self.stopping = stopping
        self._chat = abandonable(llm.chat, stopping)
        self._ready = abandonable(llm.ready, stopping)
        self._reclaim = True  # the first lease of this process reclaims stale leases of its name
        self.clock = clock
        self.on_state = on_state or (lambda s: None)
        self.wait_until = 0.0
        self.current: str | None = None  # task id being attempted
        self.done = 0
        self.passed = 0
        self.released = 0
        self.endpoint_errors = 0  # tasks given back on an endpoint error
        self._errors_in_a_row = 0
        self._last_state = ""

    def _ask_now(self, *args: Any, **kw: Any) -> Callable[[], dict]:
        """send_ask without a bus that can: the ask happens now, the reply is handed over later."""
        reply = self.ask(*args, **kw)
        return lambda: reply

    # --- status ------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        return {"builder": self.name, "llm": {"url": self.llm.url, "model": self.llm.model,
                                               "state": self.llm.state()},
                "task": self.current, "attempts": self.done, "passed": self.passed,
                "released": self.released, "endpoint_errors": self.endpoint_errors,
                "llm_stats": vars(self.llm.stats).copy()}

    def _note_state(self) -> None:
        state = self.llm.state()
        if state != self._last_state:
            self._last_state = state
            self.on_state(self.status())

    # --- the cycle ---------------------------------------------------------------------
    def step(self) -> float:
        """One task, start to finish. Returns the delay before the next step."""
        now = self.clock()
        if self.stopping is not None and self.stopping.is_set():
            return IDLE_POLL_S
        if now < self.wait_until:
            return self.wait_until - now
        try:
            self._ready()  # waits here, not holding a lease
        except Stopping:
            return IDLE_POLL_S
        except LLMError as exc:
            return self._wait(exc)
        finally:
            self._note_state()
        body: dict[str, Any] = {"builder": self.name, "ttl_s": self.cfg.builder.lease_ttl_s}
        if self._reclaim:
            body["reclaim"] = True
        lease = self.ask("memory", "task.lease", body).get("lease")
        self._reclaim = False
        if not lease:
            return IDLE_POLL_S
        try:
            return self._attempt(lease)
        except Stopping:
            log.info("stopping: giving task %s back", lease.get("task", {}).get("id"))
            self._release(lease)
            return IDLE_POLL_S
        except LLMError as exc:
            # The model said nothing: no attempt. Sent and failed: the task's lost work; never
            # sent (the breaker or the supervisor said wait): nothing lost.
            self._release(lease, f"endpoint error ({exc.kind}): {exc}" if exc.sent else "")
            self.endpoint_errors += exc.sent
            return self._wait(exc)
        except Exception as exc:
            log.exception("attempt at %s failed; giving the task back", lease.get("task", {}).get("id"))
            self._release(lease, f"{self.name}: {type(exc).__name__}: {exc}")
            return ERROR_BACKOFF_S
        finally:
            self.current = None
            self._note_state()

    def _wait(self, exc: LLMError) -> float:
        """Back off after an endpoint error: the wait it names (the breaker's, the server's
        Retry-After), else 2, 4, 8 ... s while errors follow each other, up to llm.breaker_reset_s."""
        self._errors_in_a_row += 1
        cap = max(ERROR_BACKOFF_S, self.cfg.llm.breaker_reset_s)
        if isinstance(exc, LLMUnavailable):
            delay = max(0.2, exc.retry_in)
        else:
            delay = min(cap, ERROR_BACKOFF_S * 2 ** (self._errors_in_a_row - 1))
        if exc.retry_after:
            delay = max(delay, min(cap, exc.retry_after))
        self.wait_until = self.clock() + delay
        log.warning("LLM endpoint: %s; waiting %.1fs", exc, delay)
        return delay

    def _release(self, lease: Mapping[str, Any], reason: str = "") -> None:
        """Give the task back; with a `reason`, as lost work (a no-op once a verdict is recorded)."""
        body = {"lease_id": lease["lease_id"], **({"reason": reason[:1000]} if reason else {})}
        try:
            ok = self.ask("memory", "task.release", body).get("ok")
            self.released += 1
            log.info("lease %s released%s", lease["lease_id"], "" if ok else " (already ended: nothing to give back)")
        except Exception:  # the lease expires on its own; Memory puts the task back then
            log.exception("could not release lease %s", lease.get("lease_id"))

    def _attempt(self, lease: Mapping[str, Any]) -> float:
        task = lease["task"]
        self.current = task["id"]
        started = utcnow()
        strategy, choice = self._search(task, lease)
        held: list[int] = []  # the trial lessons the random share kept out of this prompt
        lessons, example = recall(task, strategy, lessons=lambda skill, limit: self._lessons_ask(
            task["id"], skill, limit, held), similar=self._similar_ask)
        check(self.stopping)
        chat = self._renewing(lease)
        prompt, outcome = solve(task, strategy, llm=chat, run_tests=self.run_tests, lessons=lessons,
                                example=example, budget=self.cfg.builder.prompt_token_budget, clock=self.clock)
        self._errors_in_a_row = 0  # the model answered
        attempt_id = lease.get("attempt_id") or uuid.uuid4().hex
        reused = outcome.adapted  # no search ran, no lesson was shown, the model wrote nothing
        if reused:
            held, choice = [], Choice("adapt", "", "an archived solution, adapted")
        settings = dict(outcome.settings, lesson_ids=outcome.lesson_ids, lessons_held=held,
                        example_task=prompt.example_task, prompt_tokens_est=prompt.tokens, trimmed=prompt.trimmed,
                        **choice.to_dict())
        attempt = {"id": attempt_id, "task_id": task["id"], "builder": self.name, "lease_id": lease["lease_id"],
                   "attempt_no": lease.get("attempt_no", 1), "prompt": outcome.prompt, "response": outcome.response,
                   "code": outcome.code, "llm_settings": settings, "status": outcome.status, "error": outcome.error,
                   "visible_passed": outcome.visible_passed, "visible_total": outcome.visible_total,
                   "repair_rounds": outcome.repair_rounds, "tokens_in": outcome.tokens_in,
                   "tokens_out": outcome.tokens_out, "llm_latency_s": round(outcome.llm_latency_s, 4),
                   "started_at": started, "finished_at": utcnow()}
        check(self.stopping)  # not scored yet: the attempt is given back, not recorded
        # Memory stores the attempt while the Scorer grades it; the Scorer's score.record (with
        # this lease id and the code) is the verdict that completes the task in Memory.
        recorded = self.send_ask("memory", "attempt.record", {"attempt": attempt})
        verdict = self.ask("scorer", "score.request", {"attempt_id": attempt_id, "task_id": task["id"],
                                                        "code": outcome.code, "builder": self.name,
                                                        "lease_id": lease["lease_id"]},
                           timeout=max(60.0, 4 * self.cfg.sandbox.wall_s))
        score = verdict.get("score") or {}
        if not verdict.get("recorded", True):
            log.info("verdict on %s not recorded: the task is already %s", task["id"], verdict.get("task_status"))
        recorded()
        passed = bool(score.get("passed")) and bool(verdict.get("recorded", True))
        if self.bandit is not None and verdict.get("recorded", True) and not reused:
            self.bandit.learn(task, choice.search, passed, outcome.tokens_in + outcome.tokens_out,
                              outcome.settings.get("model"))
        stopped = self.stopping is not None and self.stopping.is_set()  # a stop skips only the reflection
        if self.cfg.builder.reflect and not stopped and not reused:  # the model wrote none of an adapted answer
            self._reflect(chat, task, outcome, score, attempt_id, passed)()
        self.done += 1
        self.passed += passed
        return 0.0

    def _search(self, task: Mapping[str, Any], lease: Mapping[str, Any]) -> tuple[Strategy, Choice]:
        """The strategy for this attempt: the configured one (search fixed), else the bandit's
        choice (seeded by the task and attempt number, so a retry may choose anew)."""
        if self.bandit is None:
            return self.strategy, Choice(name_of(self.strategy, self.strategy), "", "fixed")
        return self.bandit.choose(task, f"{task['id']}:{lease.get('attempt_no', 1)}")

    def _search_stats(self, model: str | None) -> list | None:
        """Memory's search.stats, or None when the ask failed: the bandit keeps its last
        statistics (or runs the configured search), and the task goes on rather than back."""
        body = {"model": model} if model else {}
        try:
            return self.ask("memory", "search.stats", body).get("stats") or []
        except Stopping:
            raise
        except Exception as exc:
            log.warning("search.stats failed (%s): the last statistics stand, else the configured search", exc)
            return None

    def _lessons_ask(self, task_id: str, skill: str, limit: int, held: list[int]) -> Callable[[], list]:
        """lesson.top sent now, its lessons read later (it travels with archive.similar); the ids
        of the trial lessons held back go into `held`, for the attempt's record (store/lessons.py)."""
        later = self.send_ask("memory", "lesson.top", {"skill": skill, "limit": limit, "task_id": str(task_id),
                                                       "share": float(self.cfg.builder.lesson_share)})

        def wait() -> list:
            reply = later()
            held.extend(i for i in reply.get("held") or [] if isinstance(i, int))
            return reply.get("lessons") or []
        return wait

    def _similar_ask(self, skill: str, difficulty: int, task_id: str, text: Mapping[str, str]) -> dict | None:
        return self.ask("memory", "archive.similar", {"skill": skill, "difficulty": difficulty,
                                                      "exclude_task": task_id, **text}).get("example")

    def _renewing(self, lease: Mapping[str, Any]) -> Callable[..., Any]:
        """llm.chat that first renews the lease when a third of its TTL has passed, so a slow
        model does not lose the task to the expiry sweep mid-attempt; a prompt the server finds
        beyond its context is sent once more, smaller."""
        ttl = self.cfg.builder.lease_ttl_s
        last = [self.clock()]
        task_text = task_section(lease["task"])

        def call(messages: list[dict[str, str]], **kw: Any) -> Any:
            if self.clock() - last[0] > ttl / 3:
                self.ask("memory", "task.renew", {"lease_id": lease["lease_id"], "ttl_s": ttl})
                last[0] = self.clock()
            try:
                return self._chat(messages, **kw)
            except LLMError as exc:
                if exc.kind != "context_length":
                    raise
                smaller, max_tokens = fit_context(messages, task_text, kw.get("max_tokens") or self.cfg.llm.max_tokens,
                                                  exc.limit)
                log.info("beyond the model's context (%s): once more with a smaller prompt, max_tokens %d",
                         exc, max_tokens)
                result = self._chat(smaller, **{**kw, "max_tokens": max_tokens})
                result.settings["context_trimmed"] = True
                return result
        return call

    def _reflect(self, chat: Callable[..., Any], task: Mapping[str, Any], outcome: AttemptOutcome,
                 score: Mapping[str, Any], attempt_id: str, passed: bool) -> Callable[[], dict]:
        """Ask the model for a reflection and send it to Memory; returns the wait for its reply."""
        # visible tests passed but the scorer's did not: the lesson is about unseen edge cases
        category = "passed" if passed else ("wrong_hidden" if outcome.status == "passed" else outcome.category)
        answer = None
        if outcome.code:
            try:
                answer = chat(reflection_messages(task, outcome.code, _summary(outcome, score)),
                                       max_tokens=200).text
            except (LLMError, Stopping) as exc:  # best effort; the rule-based lesson stands in
                log.info("reflection call failed: %s", exc)
        r = make_reflection(answer, category)
        return self.send_ask("memory", "reflection.record", {"reflection": {
            "id": uuid.uuid4().hex, "attempt_id": attempt_id, "task_id": task["id"],
            "skill": str(task.get("skill") or ""), "passed": passed, "strengths": r.strengths,
            "weaknesses": r.weaknesses, "lesson": r.lesson,
            "details": {"source": r.source, "category": r.category, "builder": self.name,
                        "lesson_ids": outcome.lesson_ids, "raw": r.raw[:2000]}},
            "lesson_ids": [i for i in outcome.lesson_ids if isinstance(i, int)]})
