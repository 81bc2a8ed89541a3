"""The settings of one evaluation run (``xbench eval`` options and ``xbench.evaluate`` arguments)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from xbench.errors import UserError

SPLIT_ALIASES = {"dev": "validation", "val": "validation", "valid": "validation"}


@dataclass
class Stage:
    task: str
    split: str
    recipe: str | None = None
    language: str = "en"

    @property
    def slug(self) -> str:
        return f"{self.task}.{self.split}" + (f".{self.recipe}" if self.recipe else "")


@dataclass
class EvalConfig:
    model: str
    tasks: str
    languages: list[str] | dict[str, list[str]] | None = None  # all tasks, or per task
    split: str | None = None  # "test", "dev", or "TASK=SPLIT,…" (a bare split applies to every task)
    train_stages: str | None = None  # "TASK:SPLIT,…" for every task, or "TARGET=TASK:SPLIT+TASK:SPLIT;…"
    allow_train_on_eval: bool = False
    batch_size: str | int = "auto"
    device: str = "auto"
    precision: str = "auto"
    limit: int | None = None
    train_limit: int | None = None
    epochs: float | None = None
    seeds: list[int] = field(default_factory=lambda: [1])
    output: Path | None = None
    finetune: bool = True
    overwrite: bool = False
    data_dir: Path | None = None
    progress: bool = True
    save_every_seconds: float = 120.0
    retrieval_layer: int | None = None  # override the spec's layer rule for retrieval task types
    adapter: str = "auto"  # the registered model adapter (auto: chosen from the checkpoint's config.json)
    num_fewshot: int = 0  # k-shot examples in each prompt (prompted evaluation of causal LMs)
    head_task: str | None = None  # evaluate a head trained on this other task as is (flagged)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["output"] = str(self.output) if self.output else None
        d["data_dir"] = str(self.data_dir) if self.data_dir else None
        return d

    # ---- per-task choices -------------------------------------------------------------------------
    def languages_for(self, task: str) -> list[str] | None:
        """The languages the user named for this task (None: all of the task's)."""
        if isinstance(self.languages, dict):
            return self.languages.get(task)
        return self.languages

    def split_for(self, task: str, spec_default: str) -> tuple[str, bool]:
        """(split, whether the user asked for it). A bare split applies to all tasks; TASK=SPLIT to one."""
        if not self.split:
            return spec_default, False
        chosen = None
        for part in filter(None, (p.strip() for p in self.split.split(","))):
            if "=" in part:
                name, _, value = part.partition("=")
                if name.strip() == task:
                    chosen = value.strip()
            elif chosen is None:
                chosen = part
        if chosen is None:
            return spec_default, False
        return SPLIT_ALIASES.get(chosen, chosen), True

    def stages_for(self, task: str, spec_stages: list[dict]) -> tuple[list[Stage], bool]:
        """The training stages for a task: the spec's, or the user's override (recorded and flagged)."""
        default = [Stage(s["task"], s["split"], s.get("recipe"), s.get("language", "en")) for s in spec_stages]
        if not self.train_stages:
            return default, False
        text = self.train_stages
        if "=" in text:
            for part in text.split(";"):
                target, _, stages = part.partition("=")
                if target.strip() == task:
                    return parse_stages(stages.replace("+", ",")), True
            return default, False
        return parse_stages(text), True


STAGE = re.compile(r"^(?P<task>[a-z][a-z0-9_]*):(?P<split>[a-z_]+)(?::(?P<recipe>[a-z0-9_]+))?$")


def parse_stages(text: str) -> list[Stage]:
    stages = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        m = STAGE.match(part)
        if not m:
            raise UserError(f"--train-stages: '{part}' is not TASK:SPLIT[:RECIPE] (e.g. siqa:train,copa:train)")
        stages.append(Stage(m["task"], SPLIT_ALIASES.get(m["split"], m["split"]), m["recipe"]))
    return stages


def parse_languages(text: str | None) -> list[str] | dict[str, list[str]] | None:
    """``de,fr`` (every task) or ``panx=en,de;tatoeba=de,fr`` (per task)."""
    if not text:
        return None
    if "=" not in text:
        return [x.strip() for x in text.split(",") if x.strip()]
    out = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        task, sep, langs = part.partition("=")
        if not sep:
            raise UserError(f"--languages: '{part}' should be TASK=LANG,LANG (per task, ';' between tasks)")
        out[task.strip()] = [x.strip() for x in langs.split(",") if x.strip()]
    return out


def parse_seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise UserError(f"--seeds: '{text}' is not a comma-separated list of integers (e.g. 1,2,3)") from None
    if not seeds:
        raise UserError("--seeds: give at least one seed (e.g. 1)")
    return seeds


def default_output(model: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(model).name or model).strip("_") or "model"
    return Path("runs") / slug
