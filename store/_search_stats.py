"""What each search earned: scored attempts by skill, difficulty and the search the Builder ran
(`llm_settings.search`, actors/builder/search.py), for the Builder's bandit and the exam."""

from __future__ import annotations

from typing import Any

from store._base import StoreBase

# The latest WINDOW scores only (newest by rowid, off the table's b-tree in order): the cost of
# a read stays put as the history grows (bench/search_stats.py), and what the model does now
# outweighs what it did long ago. Text that is not JSON names no search.
WINDOW = 5000
_QUERY = """
SELECT skill, difficulty, search, count(*) AS n, coalesce(sum(passed), 0) AS passed,
       coalesce(sum(tokens), 0) AS tokens
FROM (SELECT s.skill, s.difficulty, s.passed, coalesce(a.tokens_in, 0) + coalesce(a.tokens_out, 0) AS tokens,
             json_extract(a.llm_settings, '$.search') AS search, json_extract(a.llm_settings, '$.model') AS model
      FROM (SELECT * FROM scores ORDER BY rowid DESC LIMIT ?) s JOIN attempts a ON a.id = s.attempt_id
      WHERE a.llm_settings LIKE '%"search"%' AND json_valid(a.llm_settings))
WHERE search IS NOT NULL {model}
GROUP BY skill, difficulty, search ORDER BY skill, difficulty, search"""


class SearchStatsMixin(StoreBase):
    def search_stats(self, model: str | None = None, window: int = WINDOW) -> list[dict[str, Any]]:
        """Rows {skill, difficulty, search, n, passed, tokens}: per (skill, difficulty, search)
        the scored attempts among the latest `window` scores, how many the Scorer passed, and
        their tokens in and out (every candidate's). Only attempts that name their search; with
        `model`, only that model's."""
        if model:
            return self.rows(_QUERY.format(model="AND model = ?"), [int(window), model])
        return self.rows(_QUERY.format(model=""), [int(window)])
