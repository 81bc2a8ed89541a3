"""Benchmark scores by the XTREME rule, from seed-aggregated cells and a group definition.

Per task: the mean over the group's languages (English included) of each score metric, then the mean
of those metrics — (mean EM + mean F1) / 2 for QA. Category: the mean of its tasks. Overall: the
unweighted mean over tasks (``mean_over_tasks``) or over categories (``mean_over_categories``).
Anything missing — a task, one language of a task, a predict-only cell — makes every score that
depends on it ``None`` ("n/a") with the missing parts named; there is never a partial mean.

Scores use the spec's eval split. When a task only has cells of another split, or its cells carry
comparability flags, the score is still computed but carries ``marks`` saying why it is not equal to
a leaderboard number.

Every score keeps its per-seed values where all its parts share seeds, so its spread over seeds (sd,
t-interval; see ``xbench.results.uncertainty``) is that of the per-seed score itself. The bootstrap
CI over items is kept only for a score of one cell and one seed: CIs of several cells do not combine.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from xbench.results.scoring import GroupView, Scoring
from xbench.results.seeds import CellAggregate

MAX_NAMED_LANGUAGES = 8


@dataclass
class Score:
    """A score (fraction) with its per-seed values where every seed is complete; ``None`` = n/a.
    ``bootstrap`` is the stored CI over items [low, high] of a single-seed, single-cell score."""

    value: float | None
    per_seed: dict[int, float] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)
    bootstrap: tuple[float, float] | None = None

    def estimate(self, mode: str = "auto"):
        """The ``Estimate`` (value and the uncertainty ``mode`` asks for) of this score."""
        from xbench.results.uncertainty import estimate

        return estimate(self.value, list(self.per_seed.values()), self.bootstrap, mode)

    @property
    def sd(self) -> float | None:
        return statistics.stdev(self.per_seed.values()) if len(self.per_seed) > 1 else None

    @property
    def n_seeds(self) -> int:
        return len(self.per_seed)

    def to_dict(self, mode: str | None = None) -> dict:
        """The score's fields; with an uncertainty ``mode``, also the estimate's (low, high, interval,
        and sd only where that mode shows it)."""
        out = {"value": self.value, "sd": self.sd, "n_seeds": self.n_seeds,
               "per_seed": {str(s): v for s, v in sorted(self.per_seed.items())},
               "missing": self.missing, "marks": self.marks}
        return (out | self.estimate(mode).fields()) if mode else out


def mean_score(parts: Sequence[Score]) -> Score:
    """The unweighted mean of scores: n/a when any part is; per-seed values where all parts share seeds."""
    missing = list(dict.fromkeys(m for p in parts for m in p.missing))
    marks = list(dict.fromkeys(m for p in parts for m in p.marks))
    if not parts or any(p.value is None for p in parts):
        return Score(None, missing=missing or ["nothing to score"], marks=marks)
    seed_sets = {frozenset(p.per_seed) for p in parts}
    per_seed = {}
    if len(seed_sets) == 1:
        per_seed = {s: statistics.fmean(p.per_seed[s] for p in parts) for s in next(iter(seed_sets))}
    return Score(statistics.fmean(p.value for p in parts), per_seed, missing, marks)


def metric_mean(cells: Sequence[CellAggregate], metric: str) -> Score:
    """The mean of one metric over cells (one per language); n/a when a cell lacks it.

    Per-seed values exist when every cell has the same seeds: the mean over seeds of these equals
    ``value`` then, and their spread is the seed sd of this mean.
    """
    parts = []
    for cell in cells:
        stat = cell.metrics.get(metric)
        if stat is None:
            return Score(None, missing=[cell.language])
        parts.append(Score(stat.mean, {s: v[metric] for s, v in cell.per_seed.items() if metric in v}))
    score = mean_score(parts)
    if len(cells) == 1:
        ci = cells[0].bootstrap_ci(metric)
        score.bootstrap = tuple(ci) if ci and len(score.per_seed) == 1 else None
    return score


@dataclass
class TaskScore:
    task: str
    address: str
    split: str | None
    metrics: list[str]
    score: Score
    by_metric: dict[str, float | None] = field(default_factory=dict)

    def to_dict(self, mode: str | None = None) -> dict:
        return {"task": self.task, "address": self.address, "split": self.split, "metrics": self.metrics,
                "by_metric": self.by_metric, **self.score.to_dict(mode)}


@dataclass
class GroupScore:
    name: str
    aggregation: str
    tasks: list[TaskScore]
    categories: dict[str, Score]
    overall: Score | None  # None when the group's aggregation is "none"

    def to_dict(self, mode: str | None = None) -> dict:
        return {"group": self.name, "aggregation": self.aggregation,
                "overall": None if self.overall is None else self.overall.to_dict(mode),
                "categories": {k: v.to_dict(mode) for k, v in self.categories.items()},
                "tasks": [t.to_dict(mode) for t in self.tasks]}


def _name_languages(task: str, languages: list[str], why: str = "") -> str:
    shown = ", ".join(languages[:MAX_NAMED_LANGUAGES])
    if len(languages) > MAX_NAMED_LANGUAGES:
        shown += f" +{len(languages) - MAX_NAMED_LANGUAGES} more"
    return f"{task}: {shown}{why}"


def choose_split(cells: Iterable[CellAggregate], eval_split: str, languages: Sequence[str] | None) -> str | None:
    """The spec's eval split when it has cells; else the split covering most of the languages."""
    coverage: dict[str, int] = {}
    for c in cells:
        covered = c.status == "ok" and (languages is None or c.language in languages)
        coverage[c.split] = coverage.get(c.split, 0) + covered
    if eval_split in coverage:
        return eval_split
    return min(coverage, key=lambda s: (-coverage[s], s)) if coverage else None


def score_task(address: str, task: str, cells: Sequence[CellAggregate], scoring: Scoring,
               languages: Sequence[str] | None = None, metrics: Sequence[str] | None = None) -> TaskScore:
    """One task's score from its cells (all splits of one address)."""
    languages = list(languages or scoring.languages(address) or sorted({c.language for c in cells}))
    eval_split = scoring.eval_split(task) or "test"
    split = choose_split(cells, eval_split, languages)
    at_split = {c.language: c for c in cells if c.split == split}
    metrics = list(metrics or scoring.score_metrics(address) or _first_metric(at_split.values()))
    if split is None or not metrics:
        return TaskScore(task, address, split, metrics, Score(None, missing=[task]))

    absent = [lang for lang in languages if lang not in at_split or at_split[lang].status != "ok"
              or any(m not in at_split[lang].metrics for m in metrics)]
    marks = []
    if split != eval_split:
        marks.append(f"{address}: split {split} instead of {eval_split}")
    flags = sorted({f for lang in languages if lang in at_split for f in at_split[lang].flags})
    if flags:
        marks.append(f"{address}: {', '.join(flags)}")
    if absent:
        if len(absent) == len(languages):
            predict_only = all(at_split.get(lang) and at_split[lang].status == "predict_only" for lang in absent)
            missing = [f"{task} (predict-only)" if predict_only else task]
        else:
            missing = [_name_languages(task, absent)]
        return TaskScore(task, address, split, metrics, Score(None, missing=missing, marks=marks),
                         {m: None for m in metrics})
    chosen = [at_split[lang] for lang in languages]
    per_metric = {m: metric_mean(chosen, m) for m in metrics}
    score = mean_score(list(per_metric.values()))
    score.marks = marks
    return TaskScore(task, address, split, metrics, score, {m: s.value for m, s in per_metric.items()})


def _first_metric(cells: Iterable[CellAggregate]) -> list[str]:
    """Without a spec, the first metric the cells report (the engine writes the primary one first)."""
    for c in cells:
        if c.metrics:
            return [next(iter(c.metrics))]
    return []


def score_group(group, cells: Iterable[CellAggregate], scoring: Scoring) -> GroupScore:
    """The group's task, category and overall scores from the cells addressed ``<group>/<task>``.

    ``group`` is a ``GroupSpec`` or anything shaped like it (see ``GroupView.of``).
    """
    view = GroupView.of(group)
    scoring = Scoring(groups={view.name: view}).merged(scoring)  # the group given wins over the snapshot
    mine: dict[str, list[CellAggregate]] = {}
    for c in cells:
        mine.setdefault(c.address, []).append(c)
    tasks = []
    for entry in view.entries:
        address = f"{view.name}/{entry.task}"
        tasks.append(score_task(address, entry.task, mine.get(address, []), scoring))
    by_task = {t.task: t.score for t in tasks}
    categories = {name: mean_score([by_task.get(t, Score(None, missing=[t])) for t in members])
                  for name, members in view.categories.items()}
    if view.aggregation == "none":
        overall = None
    elif view.aggregation == "mean_over_categories" and categories:
        overall = mean_score(list(categories.values()))
    else:
        overall = mean_score([t.score for t in tasks])
    return GroupScore(view.name, view.aggregation, tasks, categories, overall)
