"""cogloop actors."""
