"""cogloop's operator face: home folder, configuration and the `cogloop` CLI."""

__version__ = "0.1.0"
