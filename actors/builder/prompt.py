"""Prompt building: chat messages for a first try and for a repair round, within a token budget.

The system message is the same for every task, so a server with a prompt cache (llama.cpp,
LM Studio, vLLM) reuses its prefix across calls; everything task-specific comes after it.
Tokens are estimated as characters / 4 (`estimate_tokens`): close enough for English and
code with BPE tokenizers, and it needs no tokenizer. When the estimate exceeds the budget,
the similar example goes first, then lessons from the least useful up, then the middle of
error output; the task itself is never trimmed (a task that alone exceeds the budget is sent
whole and `over_budget` says so). A server that still refuses a prompt as beyond its context
gets it once more through `fit_context`, smaller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD = 4  # role markers and separators per message, in tokens

SYSTEM_PROMPT = (
    "You are an expert Python programmer solving programming tasks.\n"
    "Rules:\n"
    "- Answer with exactly one ```python code block that contains the complete solution: "
    "imports, helper functions and the requested function with the exact name and signature.\n"
    "- Use only the Python standard library. Do not read input, print, or run examples.\n"
    "- No explanations outside the code block."
)


def estimate_tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


def messages_tokens(messages: Sequence[Mapping[str, str]]) -> int:
    return sum(estimate_tokens(m["content"]) + MESSAGE_OVERHEAD for m in messages)


@dataclass
class Prompt:
    messages: list[dict[str, str]]
    lesson_ids: list[Any] = field(default_factory=list)  # the lessons that made it in
    example_task: str | None = None  # the archived task whose solution is shown
    tokens: int = 0  # estimated
    trimmed: list[str] = field(default_factory=list)  # what had to go, for the record
    over_budget: bool = False

    def text(self) -> str:
        """The prompt as one string, for the attempt record."""
        return "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in self.messages)


def _constraints(task: Mapping[str, Any]) -> str:
    c = task.get("constraints") or {}
    parts = []
    if c.get("time_limit_s"):
        parts.append(f"run within {c['time_limit_s']} s")
    if c.get("memory_mb"):
        parts.append(f"use at most {c['memory_mb']} MB of memory")
    if c.get("forbidden_imports"):
        parts.append("do not import " + ", ".join(map(str, c["forbidden_imports"])))
    return "; ".join(parts)


def task_section(task: Mapping[str, Any]) -> str:
    """The part that is never trimmed: the task, its entry point, constraints, visible tests."""
    out = [f"Task: {task.get('title') or task.get('id', '')}".rstrip(), "", str(task["prompt"]).rstrip(), "",
           f"Write a function named `{task['entry_point']}`."]
    cons = _constraints(task)
    if cons:
        out.append(f"Constraints: {cons}.")
    if str(task.get("visible_tests") or "").strip():
        out += ["", "It must pass these tests (`candidate` is your function):", "```python",
                str(task["visible_tests"]).strip(), "```"]
    return "\n".join(out)


def _lessons_section(lessons: Sequence[Mapping[str, Any]]) -> str:
    return "Lessons from earlier attempts at this kind of task:\n" + "\n".join(f"- {l['text']}" for l in lessons)


def _example_section(example: Mapping[str, Any]) -> str:
    """The solved example with its task's text beside its code, so the analogy is visible."""
    said = "\n".join(x for x in (str(example.get("title") or "").strip(), str(example.get("prompt") or "").strip()) if x)
    task = f"Its task:\n{said}\n\nIts solution:\n" if said else ""
    return ("A solved example of a similar task, for reference:\n" + task + "```python\n"
            + str(example["code"]).strip() + "\n```")


def _assemble(task_text: str, lessons: Sequence[Mapping[str, Any]], example: Mapping[str, Any] | None) -> list[dict[str, str]]:
    parts = []
    if lessons:
        parts.append(_lessons_section(lessons))
    if example:
        parts.append(_example_section(example))
    parts.append(task_text)
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]


def build_prompt(task: Mapping[str, Any], lessons: Sequence[Mapping[str, Any]] = (),
                 example: Mapping[str, Any] | None = None, *, budget: int = 3000) -> Prompt:
    """The first-try prompt. `lessons` are store rows ({"id", "text", ...}) best first;
    `example` is an archived solution ({"task_id", "code", ...}) or None."""
    lessons = [l for l in lessons if str(l.get("text") or "").strip()]
    task_text = task_section(task)
    trimmed: list[str] = []
    if example and not str(example.get("code") or "").strip():
        example = None
    while True:
        messages = _assemble(task_text, lessons, example)
        tokens = messages_tokens(messages)
        if tokens <= budget:
            break
        if example:
            example = None
            trimmed.append("example")
        elif lessons:
            trimmed.append(f"lesson {lessons[-1].get('id')}")
            lessons = lessons[:-1]
        else:
            break
    return Prompt(messages, [l.get("id") for l in lessons], example.get("task_id") if example else None,
                  tokens, trimmed, tokens > budget)


def clip_middle(text: str, max_chars: int) -> str:
    """Keep the head and the tail (where tracebacks say what went wrong), cut the middle."""
    if len(text) <= max_chars:
        return text
    if max_chars < 40:
        return text[-max(0, max_chars):]
    head = max_chars // 3
    tail = max_chars - head - 30
    return f"{text[:head]}\n... [{len(text) - head - tail} chars cut] ...\n{text[-tail:]}"


def repair_prompt(first: Prompt, answer: str, feedback: str, *, budget: int = 3000) -> Prompt:
    """A repair round (Reflexion-style): the first prompt, the failed answer, and what went wrong.

    Only the latest failure is kept, so rounds do not grow the prompt; the failing output is
    clipped to what is left of the budget (at least a few lines of it always go through).
    """
    ask = ("Your solution failed. Here is what went wrong:\n```\n{out}\n```\n"
           "Think about the cause, then answer with the complete corrected solution in one ```python block.")
    base = first.messages + [{"role": "assistant", "content": answer}]
    room = budget - messages_tokens(base + [{"role": "user", "content": ask.format(out="")}])
    out = clip_middle(feedback.strip(), max(400, room * CHARS_PER_TOKEN))
    messages = base + [{"role": "user", "content": ask.format(out=out)}]
    tokens = messages_tokens(messages)
    trimmed = list(first.trimmed) + (["error output"] if len(out) < len(feedback.strip()) else [])
    return Prompt(messages, first.lesson_ids, first.example_task, tokens, trimmed, tokens > budget)


def fit_context(messages: list[dict[str, str]], task_text: str, max_tokens: int,
                limit: int | None) -> tuple[list[dict[str, str]], int]:
    """Messages a server refused as beyond its context, made smaller for one more try: lessons
    and the example go (the task itself stays), every other message but the system one is
    clipped to half (head and tail kept), and `max_tokens` shrinks to what the context has left
    (`limit`, when the server named it; else to half). Returns (messages, max_tokens)."""
    out = []
    for m in messages:
        content = m["content"]
        if m["role"] == "user" and content.endswith(task_text):
            content = task_text
        elif m["role"] != "system":
            content = clip_middle(content, max(400, len(content) // 2))
        out.append({**m, "content": content})
    if limit:
        room = limit - messages_tokens(out) - 2 * MESSAGE_OVERHEAD
        return out, max(64, min(max_tokens, room))
    return out, max(64, max_tokens // 2)
