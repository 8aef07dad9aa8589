"""HumanEval problems as sandbox tests files, and their trusted context."""

from __future__ import annotations

import ast


def humaneval_tests(test_src: str, entry_point: str) -> str:
    """A HumanEval `test` field (defines `check(candidate)`) as one sandbox test.

    `candidate` is already bound to the entry point by the judge; `entry_point` is kept in
    the signature so callers pass what the problem names, and is checked to be an identifier.
    """
    if not entry_point.isidentifier():
        raise ValueError(f"entry point {entry_point!r} is not a Python identifier")
    return f"{test_src.rstrip()}\n\n\ndef test_humaneval():\n    check(candidate)\n"


def humaneval_context(prompt: str, entry_point: str) -> str:
    """The prompt without the entry point's definition: its imports and the helpers the tests
    may use (HumanEval/32's `poly`, /38's `encode_cyclic`, /50's `encode_shift`), for the
    judge to run itself — so a candidate's own copy of a helper never decides a verdict.

    A prompt that does not parse gives "" (the judge then has no helpers; such tests fail).
    """
    try:
        tree = ast.parse(prompt)
    except (SyntaxError, ValueError):
        return ""
    lines = prompt.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == entry_point:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            del lines[first:node.end_lineno]
            break
    return "".join(lines).rstrip() + "\n" if "".join(lines).strip() else ""
