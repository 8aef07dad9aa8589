"""The held-out exam: learning you can measure.

A fixed set of tasks per home that training never sees (`tasks`: negative bank seeds, reserved
generators, no exact duplicates of training prompts, optional HumanEval problems), run under
several arms side by side (`arms`: plain, loop, and each part of memory and search alone)
through the Builder's own pipeline (`runner`), graded like the Scorer grades, stored apart
from the training record (store/_exam.py). `summary` and `stats` turn the results into pass
rates and lifts with intervals clustered by generator. `guard` is what the Trainer must skip.

Pure: `tasks`, `arms`, `stats`, `summary`, `guard`. Imperative with injected I/O: `runner`.
The CLI shell is ops/commands/exam_cmd.py; docs/exam.md explains the figures.
"""
