"""Adapting a solved example to the task at hand: case-based reuse without the model. Pure.

Measured on the embedded model: shown an archived solution of the same kind of task, the model
copied it constant and all — `return d[key] if key in d else None` for a task that asks for 0
where the example asked for None, `a + b` where the task says `a * b`, `split(',')` where it
says `';'`. What differs between the two tasks is written in their texts, so it can be read
from them: the two descriptions are compared token by token (difflib), each short replaced
run (`None` → `0`, `+` → `*`, `','` → `';'`, `4` → `8`) is a substitution, and a substitution
is applied to the example's code where the code holds that very token (a literal of the same
value, the same operator or name; `tokenize`, so comments and other strings stay untouched).

    for adapted in adaptations(task, example):
        adapted.code   # a candidate, to be checked on the visible tests like any other

The result is only a candidate: the Builder submits it when it passes the task's visible tests
(pipeline.py), and otherwise asks the model as before. An example whose task says the same but
whose code nothing in the difference touches is offered unchanged only when the two
descriptions are equal (the same problem with other example values); a difference that the
code does not show (`smallest to largest` → `largest to smallest`) yields nothing.
"""

from __future__ import annotations

import ast
import difflib
import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Any, Mapping

from actors.builder.extract import defines

MAX_RUN = 3  # a replaced run longer than this is a different sentence, not a substitution
_EXAMPLE_LINE = re.compile(r"^\s*(>>>\s*)?[A-Za-z_]\w*\(.*\)\s*(->|==|=>|➞)")
_TOKEN = re.compile(r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|(?<![\w.])-?\d+(?:\.\d+)?|[A-Za-z_]\w*|\*\*|//|[<>=!]=|\S""")
_SYNONYMS = {"largest": "max", "smallest": "min", "biggest": "max", "maximum": "max", "minimum": "min"}


@dataclass(frozen=True)
class Adaptation:
    code: str
    source: str  # the example's task id
    substitutions: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (old, new) applied

    def describe(self) -> str:
        subs = ", ".join(f"{a} -> {b}" for a, b in self.substitutions) or "no change"
        return f"adapted from the archived solution of {self.source}: {subs}"


def description_tokens(prompt: str) -> list[str]:
    """The tokens of a task's description: its example lines (`f(1) -> 2`) left out."""
    lines = [ln for ln in str(prompt or "").splitlines() if not _EXAMPLE_LINE.match(ln)]
    return _TOKEN.findall("\n".join(lines))


def _literal(token: str) -> Any:
    try:
        value = ast.literal_eval(token)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return _MISSING
    return value if isinstance(value, (str, int, float, bool, type(None))) else _MISSING


_MISSING = object()


def compare(old_prompt: str, new_prompt: str) -> tuple[list[tuple[str, str]], bool]:
    """(pairs, other) from one diff of the two descriptions: `pairs` holds (old token, new
    token) for each token the new description puts where the old one had another (replaced runs
    of equal length, at most MAX_RUN, pair up token by token); `other` says the descriptions
    also differ in another way — an inserted or deleted run, or a longer or uneven replacement:
    a different sentence, which substitutions alone would not make right."""
    a, b = description_tokens(old_prompt), description_tokens(new_prompt)
    pairs: list[tuple[str, str]] = []
    other = False
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if op != "replace" or i2 - i1 != j2 - j1 or i2 - i1 > MAX_RUN:
            other = True
            continue
        pairs.extend((x, y) for x, y in zip(a[i1:i2], b[j1:j2]) if x != y)
    return list(dict.fromkeys(pairs)), other


def differences(old_prompt: str, new_prompt: str) -> list[tuple[str, str]]:
    """The substitution pairs of `compare`."""
    return compare(old_prompt, new_prompt)[0]


_OPERAND_END = {")", "]", "}"}
_KEYWORDS_BEFORE_VALUE = {"return", "else", "in", "if", "and", "or", "not", "is", "yield", "lambda", "elif", "while"}


def _units(tokens: list[tokenize.TokenInfo]) -> list[tokenize.TokenInfo]:
    """The code's tokens with a negative number literal (`-1` after `return`, `else`, `(` or an
    operator: unary minus) as one NUMBER token, so `-1` in a task's text matches it."""
    out: list[tokenize.TokenInfo] = []
    skip = False
    for i, tok in enumerate(tokens):
        if skip:
            skip = False
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        prev = next((t for t in reversed(out) if t.type not in (tokenize.NL, tokenize.COMMENT)), None)
        unary = prev is None or (prev.type == tokenize.OP and prev.string not in _OPERAND_END) or (
            prev.type == tokenize.NAME and prev.string in _KEYWORDS_BEFORE_VALUE)
        if (tok.type == tokenize.OP and tok.string == "-" and nxt is not None and nxt.type == tokenize.NUMBER
                and nxt.start == tok.end and unary):
            out.append(tokenize.TokenInfo(tokenize.NUMBER, "-" + nxt.string, tok.start, nxt.end, tok.line))
            skip = True
            continue
        out.append(tok)
    return out


def _matches(tok: tokenize.TokenInfo, old: str) -> bool:
    """Does this code token stand for the prompt token `old`?"""
    if tok.type in (tokenize.STRING, tokenize.NUMBER):
        value, want = _literal(tok.string), _literal(old)
        return value is not _MISSING and want is not _MISSING and type(value) is type(want) and value == want
    if tok.type == tokenize.NAME:
        return tok.string == old or tok.string == _SYNONYMS.get(old)
    if tok.type == tokenize.OP:
        return tok.string == old
    return False


def _replacement(tok: tokenize.TokenInfo, old: str, new: str) -> str | None:
    """What the code token becomes, or None when `new` is no token of the same kind."""
    if tok.type == tokenize.NAME and tok.string != old:  # a synonym: largest -> max
        return _SYNONYMS.get(new)
    if tok.type == tokenize.OP:
        return new if re.fullmatch(r"\*\*|//|[<>=!]=|[-+*/%<>]", new) else None
    if tok.type in (tokenize.STRING, tokenize.NUMBER) or tok.string in ("None", "True", "False"):
        value = _literal(new)
        return new if value is not _MISSING else None
    return new if re.fullmatch(r"[A-Za-z_]\w*", new) else None


def substitute(code: str, pairs: list[tuple[str, str]]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The code with each pair's old token replaced where the code holds it; (code, applied)."""
    try:
        tokens = _units(list(tokenize.generate_tokens(io.StringIO(code).readline)))
    except (tokenize.TokenError, SyntaxError, ValueError):  # IndentationError is a SyntaxError
        return code, ()
    lines = code.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []  # (row, col start, col end, text)
    applied: list[tuple[str, str]] = []
    for tok in tokens:
        if tok.start[0] != tok.end[0]:
            continue  # a string over several lines (a docstring) is never a substituted literal
        for old, new in pairs:
            if _matches(tok, old):
                text = _replacement(tok, old, new)
                if text is not None and text != tok.string:
                    edits.append((tok.start[0], tok.start[1], tok.end[1], text))
                    applied.append((old, new))
                break
    for row, c0, c1, text in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:c0] + text + line[c1:]
    return "".join(lines), tuple(dict.fromkeys(applied))


def adaptations(task: Mapping[str, Any], example: Mapping[str, Any] | None) -> list[Adaptation]:
    """The example's code adapted to the task (at most one candidate), or []: no example, no
    code, another entry point, or a difference the code does not show."""
    if not example or not example.get("code") or not example.get("prompt"):
        return []
    entry = str(task.get("entry_point") or "")
    if example.get("entry_point") and str(example["entry_point"]) != entry:
        return []
    code = str(example["code"])
    if not defines(code, entry):
        return []
    pairs, other = compare(str(example["prompt"]), str(task.get("prompt") or ""))
    source = str(example.get("task_id") or "")
    if other:
        return []
    if not pairs:  # the same description: the same problem with other example values
        return [Adaptation(code, source)]
    adapted, applied = substitute(code, pairs)
    if not applied:
        return []
    try:
        ast.parse(adapted)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # null bytes, absurd nesting
        return []
    return [Adaptation(adapted, source, applied)]

