"""What of an archived solution the prompt shows: the entry function and what it needs. Pure.

An archived solution passed the hidden tests, but a small model's answers carry more than the
function: unused helpers, test loops that print "passed", files written at import. Shown as
an example, the junk is copied with the rest (issue #13: archived solutions carry the model's
junk). `trim_example` keeps the imports, the entry point and the top-level definitions and
constants it reaches (transitively, by the names they read), in their original order, and
drops every other top-level statement. Code that does not parse, or lacks the entry point,
comes back unchanged: trimming never invents or breaks an example.
"""

from __future__ import annotations

import ast

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _loads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _binds(node: ast.stmt) -> set[str]:
    if isinstance(node, _DEFS):
        return {node.name}
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return set()


def trim_example(code: str, entry_point: str) -> str:
    """`code` with only its imports and what the entry point reaches (see the module docstring)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return code
    binders = [(node, _binds(node)) for node in tree.body]
    if not any(entry_point in names for node, names in binders if isinstance(node, _DEFS + (ast.Assign,))):
        return code
    wanted, keep, todo = {entry_point}, set(), [entry_point]
    while todo:
        name = todo.pop()
        for i, (node, names) in enumerate(binders):
            if name in names and i not in keep:
                keep.add(i)
                for read in _loads(node) - wanted:
                    wanted.add(read)
                    todo.append(read)
    keep |= {i for i, (node, _) in enumerate(binders) if isinstance(node, (ast.Import, ast.ImportFrom))}
    if len(keep) == len(tree.body):
        return code
    lines = code.splitlines()
    out: list[str] = []
    for i in sorted(keep):
        node = tree.body[i]
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        out.append("\n".join(lines[first - 1:node.end_lineno]))
    trimmed = "\n\n".join(out).rstrip() + "\n"
    try:
        ast.parse(trimmed)
    except SyntaxError:
        return code
    return trimmed
