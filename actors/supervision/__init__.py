"""The supervisor's parts (supervisor.py is the shell), each owning its data: the roster of
children with their lifecycles (a pure state machine) and backlogs, the forward table, the
router's rules, the LLM endpoint, the launcher and warm spares, events and the outbox, and the
process's edges (sockets, entry, pidfile, CURVE keys, the psutil sampler). docs/architecture.md
lists them."""
