"""Find the candidate program in a model's answer.

Models wrap code in fences (with or without a language), write several blocks (the solution,
then a usage example), put prose around bare code, stop mid-block at max_tokens, or answer
with only a function body. `extract_code` handles each; when nothing defines the entry point
it says so plainly, and the attempt fails with that reason instead of a confusing NameError.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from store.taskspec import defines as _tree_defines

_FENCE = re.compile(r"```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.S | re.I)
_CODE_START = re.compile(r"^(def |async def |class |import |from \S+ import |@)")
_NOT_PYTHON = {"bash", "sh", "shell", "console", "text", "txt", "json", "yaml", "output", "plaintext"}


@dataclass(frozen=True)
class Extraction:
    code: str  # the best candidate found ("" when none); kept for the record even when it failed
    error: str  # "" when the code parses and defines the entry point; else why not, one line
    method: str  # fenced | bare | body | none

    @property
    def ok(self) -> bool:
        return not self.error


def _parses(code: str) -> SyntaxError | None:
    try:
        ast.parse(code)
    except SyntaxError as exc:
        return exc
    return None


def defines(code: str, name: str) -> bool:
    """Does the code define `name` at top level (function, class or assignment)?"""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return bool(re.search(rf"^(async\s+)?def\s+{re.escape(name)}\s*\(", code, re.M))
    return _tree_defines(tree, name)


def _fenced_blocks(text: str) -> list[str]:
    return [body.strip("\n") for lang, body in _FENCE.findall(text)
            if lang.lower() not in _NOT_PYTHON and body.strip()]


def _bare_code(text: str) -> str:
    """The longest run of lines, starting at a code-looking line, that parses."""
    lines = text.splitlines()
    starts = [i for i, ln in enumerate(lines) if _CODE_START.match(ln)]
    best = ""
    for start in starts:
        for end in range(len(lines), start, -1):
            chunk = "\n".join(lines[start:end]).strip("\n")
            if len(chunk) > len(best) and _parses(chunk) is None:
                best = chunk
                break
    return best


def _as_body(text: str, prompt: str, entry_point: str) -> str:
    """A completion-style answer (only the indented body): graft it onto the prompt's signature."""
    if not defines(prompt, entry_point):
        return ""
    body = text.strip("\n")
    first = next((ln for ln in body.splitlines() if ln.strip()), "")
    if not first.startswith((" ", "\t")):
        return ""
    code = prompt.rstrip() + "\n" + body
    return code if _parses(code) is None else ""


def _pick(blocks: list[str], entry_point: str) -> str:
    """Among blocks, the one defining the entry point that parses; the longest of those. Helper
    blocks (other functions, imports) are prepended when the chosen block needs them."""
    defining = [b for b in blocks if defines(b, entry_point)]
    if not defining:
        return ""
    parsing = [b for b in defining if _parses(b) is None] or defining
    chosen = max(parsing, key=len)
    helpers = [b for b in blocks if b is not chosen and not defines(b, entry_point) and _only_definitions(b)]
    return "\n\n".join(helpers + [chosen])


def _only_definitions(code: str) -> bool:
    """Imports and defs only: safe to prepend (a usage example with prints is not)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    kinds = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return bool(tree.body) and all(isinstance(n, kinds) for n in tree.body)


def extract_code(text: str, entry_point: str, prompt: str = "") -> Extraction:
    """The program in `text` that defines `entry_point`, or a clear reason why there is none.

    `prompt` (the task's signature + docstring) lets a bare function body be completed.
    """
    text = _THINK.sub("", text or "")
    if not text.strip():
        return Extraction("", "empty answer: the model returned no text", "none")
    blocks = _fenced_blocks(text)
    code, method = (_pick(blocks, entry_point), "fenced") if blocks else ("", "none")
    if not code:
        bare = _bare_code(text)
        if bare and defines(bare, entry_point):
            code, method = bare, "bare"
    if not code:
        for candidate in blocks + [text]:
            grafted = _as_body(candidate, prompt, entry_point)
            if grafted:
                code, method = grafted, "body"
                break
    if not code:
        found = blocks[0] if blocks else _bare_code(text)
        what = "a code block" if blocks else ("code" if found else "no code")
        reason = (f"missing entry point: the answer has {what} but no function named {entry_point!r}"
                  if found else f"no code found in the answer (expected a function named {entry_point!r})")
        return Extraction(found, reason, "none")
    err = _parses(code)
    if err is not None:
        return Extraction(code, f"syntax error: {err.msg} (line {err.lineno})", method)
    return Extraction(code, "", method)
