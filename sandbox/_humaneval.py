"""HumanEval problems as sandbox tests files."""

from __future__ import annotations


def humaneval_tests(test_src: str, entry_point: str) -> str:
    """A HumanEval `test` field (defines `check(candidate)`) as one sandbox test.

    `candidate` is already bound to the entry point by the harness; `entry_point` is kept in
    the signature so callers pass what the problem names, and is checked to be an identifier.
    """
    if not entry_point.isidentifier():
        raise ValueError(f"entry point {entry_point!r} is not a Python identifier")
    return f"{test_src.rstrip()}\n\n\ndef test_humaneval():\n    check(candidate)\n"
