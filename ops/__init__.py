"""cogloop's operator face: the `cogloop` CLI and what only it uses (reports, doctor, the control
client, exit statuses), on top of everything else; and `ops/ground/` (configuration, the home,
error kinds), the floor everything stands on (docs/architecture.md, Layers)."""

__version__ = "0.1.0"
