"""The Trainer: studies the Builder's scores and keeps the queue full of tasks at the right level.

Pure parts (no zmq, no pykka): `taskbank` (procedural tasks, ten skills x difficulty 1..10),
`policy` (ability model, difficulty, skill strategy, top-up), `core` (the two together, with
the profile), `llm_tasks` (validation of LLM-proposed tasks), `simstudent` (a simulated builder
for tests and bench/curriculum.py). `actor` is the thin bus shell (TrainerActor).
"""

from .core import TrainerCore
from .policy import PolicyParams
from .taskbank import SKILL_MAP, SKILLS, make_task

__all__ = ["PolicyParams", "SKILLS", "SKILL_MAP", "TrainerCore", "make_task"]
