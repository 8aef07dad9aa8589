"""The Trainer's policy: ability model, difficulty, skill strategy, queue top-up. Pure.

Ability model (`observe`). Each skill has an ability `mu` on the difficulty scale with
an uncertainty `var`: the chance to pass a task of difficulty d is sigmoid(mu - d). After
every scored attempt the estimate takes one step of an online Laplace (Glicko-like)
update, which is Elo with a step size that shrinks as evidence accumulates:

    p = sigmoid(mu - d);  var' = 1 / (1/var + p(1-p));  mu' = mu + var' * (y - p)

and a little process noise (`drift`) is added before each step so the estimate keeps
tracking an ability that grows with practice or falls.

A regression is an ability drop of `regression_drop` or more, tested sequentially: a CUSUM
of the log-likelihood ratio of each outcome under "ability = its slow average" against
"ability = that average - regression_drop" raises the alarm once the evidence passes
`regression_evidence` (Page's CUSUM, the classic detector for a shift of known size).

adjust_difficulty picks the difficulty whose predicted success is nearest the middle of the
target band (trainer.target_low..target_high), aiming higher while a skill's estimate is
still unsettled (optimism under uncertainty: easy passes carry little information), moving
at most `max_step` from the skill's last difficulty; after a regression it steps back and
schedules review tasks.

next_skill draws the next skill from weights that favour gaps (untried
or weak skills), learning progress (a rising trend) and uncertainty, discount skills whose
prerequisites are not learnt yet, and enforce diversity: a skill that has not been picked
for `starve_after` picks is taken at once, and one holding more than `max_share` of the
recent picks is damped.

The profile is a plain JSON-friendly dict, so it is snapshotted as is. (docs/architecture.md
maps the seed plan's trainer components to these functions.)
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from actors.scorer.metrics import slope

from .taskbank import MAX_DIFFICULTY, MIN_DIFFICULTY, SKILL_MAP, SKILLS

PROFILE_VERSION = 1


@dataclass(frozen=True)
class PolicyParams:
    target_low: float = 0.6
    target_high: float = 0.8
    prior_mu: float = 1.5  # a new builder: expected to manage difficulty 1 most of the time
    prior_var: float = 9.0  # wide: the first few outcomes move the estimate a lot
    drift: float = 0.03  # process noise added to var before each update
    min_var: float = 0.05
    explore: float = 1.5  # optimism while unsettled, in standard deviations of the ability
    max_step: int = 2  # largest change of a skill's difficulty between two tasks
    regression_drop: float = 2.0  # the ability drop the regression test looks for ...
    regression_evidence: float = 5.0  # ... declared when its log-likelihood ratio passes this
    suspicion: float = 2.0  # weight per unit of regression evidence: suspects are tested sooner
    slow_rate: float = 0.15  # of the slow ability average the regression test compares against
    settle_var: float = 0.6  # the peak is only tracked once var is below this
    review_tasks: int = 3  # review tasks scheduled after a regression
    window: int = 20  # for trends and the diversity share
    unlock_mu: float = 3.0  # a prerequisite counts as learnt at this ability
    starve_after: int = 25  # picks without a skill before it is forced
    max_share: float = 0.3  # of the last `window` picks, before a skill is damped

    @classmethod
    def from_config(cls, trainer_cfg: Any) -> "PolicyParams":
        return cls(target_low=trainer_cfg.target_low, target_high=trainer_cfg.target_high)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def predicted_success(mu: float, difficulty: float) -> float:
    return sigmoid(mu - difficulty)


# --- the profile --------------------------------------------------------------------------

def new_skill_state(params: PolicyParams) -> dict[str, Any]:
    return {"mu": params.prior_mu, "var": params.prior_var, "attempts": 0, "successes": 0,
            "difficulty": MIN_DIFFICULTY, "peak": None, "mu_slow": None, "cusum": 0.0, "regressed": False, "regressions": 0,
            "review": 0, "last_pick": -1, "recent": [], "mu_history": [], "trend": 0.0}


def new_profile(params: PolicyParams = PolicyParams(), skills: Sequence[str] = SKILLS) -> dict[str, Any]:
    """A fresh profile: every skill untried at the prior."""
    return {"version": PROFILE_VERSION, "observations": 0, "picks": 0, "recent_picks": [],
            "next_seed": 0, "skills": {s: new_skill_state(params) for s in skills}, "events": []}


def outcome_of(score: Mapping[str, Any]) -> float:
    """A scored attempt as a success in 0..1: a pass is 1, a partial pass half its test share.

    Half, because passing some hidden tests is evidence of progress but not of mastery.
    """
    if score.get("passed"):
        return 1.0
    return 0.5 * max(0.0, min(1.0, float(score.get("correctness") or 0.0)))


def observe(profile: dict[str, Any], score: Mapping[str, Any], params: PolicyParams = PolicyParams()) -> list[dict]:
    """Fold one scored attempt into the profile (in place).

    Returns the events it caused (e.g. a detected regression) for the log.
    """
    skill = score.get("skill")
    difficulty = score.get("difficulty")
    if not isinstance(skill, str) or not isinstance(difficulty, int) or isinstance(difficulty, bool):
        raise ValueError(f"a score needs a skill (str) and a difficulty (int), got {skill!r}, {difficulty!r}")
    st = profile["skills"].setdefault(skill, new_skill_state(params))
    y = outcome_of(score)
    var = st["var"] + params.drift
    mu_before = st["mu"]
    p = predicted_success(mu_before, difficulty)
    var = max(params.min_var, 1.0 / (1.0 / var + p * (1.0 - p)))
    st["mu"] = round(st["mu"] + var * (y - p), 4)
    st["var"] = round(var, 4)
    st["attempts"] += 1
    st["successes"] += int(y >= 1.0)
    st["recent"] = (st["recent"] + [round(y, 3)])[-params.window:]
    st["mu_history"] = (st["mu_history"] + [st["mu"]])[-params.window:]
    st["trend"] = round(slope(st["mu_history"]), 4)
    profile["observations"] += 1
    events = []
    if st["var"] <= params.settle_var and (st["peak"] is None or st["mu"] > st["peak"]):
        st["peak"] = st["mu"]  # only a settled estimate sets the peak: early swings are not skill
    if st["peak"] is not None and st["peak"] >= MIN_DIFFICULTY + params.regression_drop:
        # (A skill never learnt above the easiest level has nothing to lose.)
        # CUSUM: evidence (log-likelihood ratio) that the ability dropped by regression_drop
        # below its slow average. The slow average lags a sudden drop, so every failure after
        # one counts in full, while it is not biased upwards as the peak is.
        ref = st["mu_slow"] if st["mu_slow"] is not None else mu_before
        p_ref = predicted_success(ref, difficulty)
        p_low = predicted_success(ref - params.regression_drop, difficulty)
        llr = y * math.log(p_low / p_ref) + (1.0 - y) * math.log((1.0 - p_low) / (1.0 - p_ref))
        st["cusum"] = round(max(0.0, st["cusum"] + llr), 4)
        st["mu_slow"] = round(ref + params.slow_rate * (st["mu"] - ref), 4)
        if st["cusum"] > params.regression_evidence and not st["regressed"]:
            st["regressed"] = True
            st["regressions"] += 1
            st["review"] = params.review_tasks
            st["cusum"] = 0.0
            events.append({"kind": "regression", "skill": skill, "peak": st["peak"], "mu": st["mu"],
                           "at": profile["observations"]})
    if st["regressed"] and st["review"] == 0 and y >= 1.0:
        # Reviews done and a pass again: the new level is the reference from now on.
        st["regressed"] = False
        st["peak"] = st["mu"]
    profile["events"] = (profile["events"] + events)[-50:]
    return events


def gaps(profile: Mapping[str, Any], params: PolicyParams = PolicyParams()) -> list[str]:
    """Skills that are untried or clearly weaker than the builder's median skill."""
    states = profile["skills"]
    tried = sorted(st["mu"] for st in states.values() if st["attempts"])
    median = tried[len(tried) // 2] if tried else params.prior_mu
    return [s for s, st in states.items() if not st["attempts"] or st["mu"] < median - 1.5]


def regressions(profile: Mapping[str, Any]) -> list[str]:
    return [s for s, st in profile["skills"].items() if st["regressed"]]


def analysis(profile: Mapping[str, Any], params: PolicyParams = PolicyParams()) -> dict[str, Any]:
    """A summary for `trainer.status` and the logs."""
    return {"abilities": {s: st["mu"] for s, st in profile["skills"].items()},
            "trends": {s: st["trend"] for s, st in profile["skills"].items()},
            "gaps": gaps(profile, params), "regressions": regressions(profile),
            "observations": profile["observations"]}


# --- difficulty ---------------------------------------------------------------------------

def target_difficulty(mu: float, params: PolicyParams) -> int:
    """The difficulty whose predicted success is nearest the middle of the target band."""
    mid = (params.target_low + params.target_high) / 2
    return max(MIN_DIFFICULTY, min(MAX_DIFFICULTY, round(mu - logit(mid))))


def adjust_difficulty(profile: Mapping[str, Any], skill: str, params: PolicyParams = PolicyParams()) -> int:
    """The next difficulty for `skill`: in the target band, at most max_step from the last."""
    st = profile["skills"][skill]
    last = st["difficulty"]
    want = target_difficulty(st["mu"], params)
    failing = len(st["recent"]) >= 3 and max(st["recent"][-3:]) < 0.5
    if st["var"] > params.settle_var and not failing:
        # Still unsure: aim above the estimate (optimism in the face of uncertainty). Easy
        # passes teach the model little, so without this a strong skill is found only slowly.
        # Not after three failures in a row: a builder that fails everything (a weak model)
        # would be held above its level, as failures far above it barely shrink the uncertainty.
        want = min(MAX_DIFFICULTY, want + round(params.explore * math.sqrt(st["var"])))
    if st["regressed"]:
        # Regression protection: step back below the last level and review there.
        want = min(want, last - 1)
    if not st["attempts"]:
        return max(MIN_DIFFICULTY, min(want, last))
    return max(MIN_DIFFICULTY, min(MAX_DIFFICULTY, max(last - params.max_step, min(last + params.max_step, want))))


# --- strategy -----------------------------------------------------------------------------

def _bank_states(profile: Mapping[str, Any]) -> list[tuple[str, dict]]:
    """Skills the task bank can generate for (a profile also tracks e.g. "humaneval")."""
    return [(s, st) for s, st in profile["skills"].items() if s in SKILL_MAP]


def _unlocked(profile: Mapping[str, Any], skill: str, params: PolicyParams) -> bool:
    states = profile["skills"]
    return all(states[p]["mu"] >= params.unlock_mu for p in SKILL_MAP.get(skill, ()) if p in states)


def skill_weights(profile: Mapping[str, Any], params: PolicyParams = PolicyParams()) -> dict[str, float]:
    """How much each skill deserves the next task (before the diversity rules)."""
    states = profile["skills"]
    mus = [st["mu"] for st in states.values() if st["attempts"]] or [params.prior_mu]
    top, bottom = max(mus), min(mus)
    recent = profile["recent_picks"][-params.window:]
    weights = {}
    for skill, st in _bank_states(profile):
        w = 1.0
        if not st["attempts"]:
            w += 2.0  # gap: never tried
        else:
            w += (top - st["mu"]) / max(1.0, top - bottom)  # gap: weak relative to the others
        w += 2.0 * max(0.0, st["trend"])  # learning progress: a rising ability pays off
        w += 0.5 * min(1.0, math.sqrt(st["var"]))  # uncertainty: a task there tells us most
        w += params.suspicion * st["cusum"]  # a suspected regression: test it soon
        if not _unlocked(profile, skill, params):
            w *= 0.3  # prerequisites not learnt yet: possible, not favoured
        if recent and recent.count(skill) / len(recent) > params.max_share:
            w *= 0.1  # dominating the recent picks
        weights[skill] = round(w, 4)
    return weights


def next_skill(profile: dict[str, Any], rng: random.Random, params: PolicyParams = PolicyParams()) -> str:
    """The next skill focus; records the pick in the profile."""
    states = profile["skills"]
    picks = profile["picks"]
    reviews = [s for s, st in _bank_states(profile) if st["review"] > 0]
    starving = [s for s, st in _bank_states(profile) if picks - st["last_pick"] > params.starve_after]
    if reviews:
        skill = min(reviews, key=lambda s: states[s]["last_pick"])  # oldest first: reviews take turns
        states[skill]["review"] -= 1
    elif starving:
        skill = min(starving, key=lambda s: states[s]["last_pick"])
    else:
        weights = skill_weights(profile, params)
        names = sorted(weights)
        skill = rng.choices(names, weights=[weights[n] for n in names])[0]
    states[skill]["last_pick"] = picks
    profile["picks"] = picks + 1
    profile["recent_picks"] = (profile["recent_picks"] + [skill])[-params.window:]
    return skill


# --- generating tasks -----------------------------------------------------------------------

def topup_count(stats: Mapping[str, Any], builders: int, low_water_per_builder: int) -> int:
    """How many trainer tasks to add: refill up to the low-water mark (scaled by builders).

    `stats` is `queue.stats` for source "trainer": tasks still waiting are "queued".
    """
    low_water = max(1, builders) * max(0, low_water_per_builder)
    return max(0, low_water - int(stats.get("queued", 0)))


def plan_tasks(profile: dict[str, Any], count: int, rng: random.Random,
               params: PolicyParams = PolicyParams()) -> list[dict[str, Any]]:
    """The top-up plan: `count` (skill, difficulty, seed, review) picks, recorded in the profile."""
    plan = []
    for _ in range(count):
        pending = {s: st["review"] for s, st in profile["skills"].items()}
        skill = next_skill(profile, rng, params)
        review = profile["skills"][skill]["review"] < pending[skill]
        difficulty = adjust_difficulty(profile, skill, params)
        profile["skills"][skill]["difficulty"] = difficulty
        seed = profile["next_seed"]
        profile["next_seed"] = seed + 1
        plan.append({"skill": skill, "difficulty": difficulty, "seed": seed, "review": review})
    return plan


def validate_profile(profile: Any) -> list[str]:
    """Problems with a profile loaded from the store (empty: usable)."""
    if not isinstance(profile, dict):
        return ["profile: expected a map"]
    problems = []
    if profile.get("version") != PROFILE_VERSION:
        problems.append(f"profile: version {profile.get('version')!r}, expected {PROFILE_VERSION}")
    skills = profile.get("skills")
    if not isinstance(skills, dict):
        problems.append("profile: skills: expected a map")
    else:
        keys = set(new_skill_state(PolicyParams()))
        for name, st in skills.items():
            if not isinstance(st, dict) or not keys <= set(st):
                problems.append(f"profile: skills.{name}: missing fields")
    for key in ("observations", "picks", "next_seed"):
        if not isinstance(profile.get(key), int):
            problems.append(f"profile: {key}: expected an integer")
    return problems
