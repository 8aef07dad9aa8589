"""cogloop sandbox."""
