"""The Builder: prompt -> code -> sandbox -> repair -> reflect.

Pure logic in `prompt`, `extract`, `reflect` and `loop`; `actor` is the thin shell that
talks to Memory and the Scorer over the bus.
"""

from actors.builder.extract import Extraction, extract_code
from actors.builder.loop import AttemptOutcome, run_attempt
from actors.builder.prompt import Prompt, build_prompt, estimate_tokens, repair_prompt
from actors.builder.reflect import Reflection, failure_category, make_reflection, parse_reflection

__all__ = ["AttemptOutcome", "Extraction", "Prompt", "Reflection", "build_prompt", "estimate_tokens",
           "extract_code", "failure_category", "make_reflection", "parse_reflection", "repair_prompt",
           "run_attempt"]
