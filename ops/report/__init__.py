"""`cogloop report`: queries (`data`), terminal tables (`terminal`), one-file HTML (`html`)."""

from ops.report.data import benchmark, collect

__all__ = ["benchmark", "collect"]
