"""cogloop store."""
