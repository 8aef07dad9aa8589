"""The ground floor: configuration, the home layout and the operator-facing error kinds.

Everything above imports these (the store, the sandbox, the actors, the supervisor, the CLI);
these import nothing of the project, so the arrows between layers point one way
(docs/architecture.md, Layers).
"""
