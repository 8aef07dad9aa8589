"""What each search earned: scored attempts by skill, difficulty and the search the Builder ran
(`llm_settings.search`, actors/builder/search.py), for the Builder's bandit and the exam."""

from __future__ import annotations

from typing import Any

from store._base import StoreBase

# the search (and the model) as the attempt recorded them; text that is not JSON counts as none
_SETTING = "CASE WHEN json_valid(a.llm_settings) THEN json_extract(a.llm_settings, '$.{}') END"


class SearchStatsMixin(StoreBase):
    def search_stats(self, model: str | None = None) -> list[dict[str, Any]]:
        """Rows {skill, difficulty, search, n, passed, tokens}: per (skill, difficulty, search)
        the scored attempts, how many the Scorer passed, and their tokens in and out (every
        candidate's). Only attempts that name their search; with `model`, only that model's."""
        search, answered = _SETTING.format("search"), _SETTING.format("model")
        where, params = ("AND " + answered + " = ?", [model]) if model else ("", [])
        return self.rows(
            f"SELECT s.skill AS skill, s.difficulty AS difficulty, {search} AS search, count(*) AS n, "
            "coalesce(sum(s.passed), 0) AS passed, "
            "coalesce(sum(coalesce(a.tokens_in, 0) + coalesce(a.tokens_out, 0)), 0) AS tokens "
            f"FROM scores s JOIN attempts a ON a.id = s.attempt_id WHERE {search} IS NOT NULL {where} "
            "GROUP BY s.skill, s.difficulty, 3 ORDER BY s.skill, s.difficulty, 3", params)
