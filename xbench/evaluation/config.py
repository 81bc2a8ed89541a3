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
    trust_remote_code: bool = False  # let a model folder run its own Python code (config.json auto_map)
    allow_pickle: bool = False  # load pickle weights (pytorch_model.bin) when a folder has no safetensors
    perturbation: str | None = None  # NAME[:STRENGTH][,KEY=VALUE]: evaluation inputs only; kept canonical
    checkpoints_dir: Path | None = None  # whose seed-S/models/ holds the training stages (None: output)

    def __post_init__(self):
        """Nonsense values are refused here, before anything loads: the one check that ``xbench eval``,
        ``xbench run`` (its jobs) and ``xbench.evaluate()`` share. Messages use the CLI option names."""
        self.limit = positive_int("--limit", self.limit, "drop it to evaluate every item")
        self.train_limit = positive_int("--train-limit", self.train_limit, "drop it to train on every item")
        self.epochs = positive_number("--epochs", self.epochs, "e.g. --epochs 3, or drop it for the recipe's epochs")
        self.save_every_seconds = positive_number("--checkpoint-every", self.save_every_seconds,
                                                  "seconds between checkpoints, e.g. 120; 0 = every step", zero_ok=True)
        self.batch_size = parse_batch_size(self.batch_size)
        self.seeds = check_seeds(self.seeds)
        check_task_list(self.tasks)
        check_languages(self.languages)
        if self.train_stages and not self.finetune:
            raise UserError("--train-stages does nothing with --no-finetune (nothing is trained) "
                            "(fix: drop one of them)")
        if self.checkpoints_dir is not None:
            self.checkpoints_dir = Path(self.checkpoints_dir)
        if self.perturbation is not None:
            from xbench.perturbations import parse_perturbation

            perturbation = parse_perturbation(self.perturbation)
            self.perturbation = perturbation.spec
            if self.checkpoints_dir is None:  # a perturbed run lives beside the clean one and reuses its models
                base = Path(self.output or default_output(self.model))
                self.output, self.checkpoints_dir = base / "perturbed" / perturbation.slug, base.resolve()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["output"] = str(self.output) if self.output else None
        d["data_dir"] = str(self.data_dir) if self.data_dir else None
        d["checkpoints_dir"] = str(self.checkpoints_dir) if self.checkpoints_dir else None
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

    def split_tasks(self) -> list[str]:
        """The tasks that ``--split TASK=SPLIT`` names."""
        parts = filter(None, (p.strip() for p in (self.split or "").split(",")))
        return list(dict.fromkeys(p.partition("=")[0].strip() for p in parts if "=" in p))

    def stage_targets(self) -> list[str]:
        """The target tasks that ``--train-stages TARGET=…`` names."""
        if not self.train_stages or "=" not in self.train_stages:
            return []
        parts = filter(None, (p.strip() for p in self.train_stages.split(";")))
        return list(dict.fromkeys(p.partition("=")[0].strip() for p in parts))

    def check_task_options(self, selected: list[str]) -> None:
        """``--split TASK=…`` and ``--train-stages TARGET=…`` must name selected tasks (else they would
        be silently ignored), and ``--split TASK=`` a split."""
        for part in filter(None, (p.strip() for p in (self.split or "").split(","))):
            name, sep, value = part.partition("=")
            if sep and (not name.strip() or not value.strip()):
                raise UserError(f"--split: '{part}' names {'no task' if not name.strip() else 'no split'} "
                                f"(fix: TASK=SPLIT, e.g. --split panx=dev, or one split for all tasks: --split dev)")
        for option, named, example in (("--split", self.split_tasks(), "TASK=dev"),
                                       ("--train-stages", self.stage_targets(), "TARGET=TASK:SPLIT")):
            unknown = [name for name in named if name not in selected]
            if unknown:
                raise UserError(f"{option} names {', '.join(unknown)}, not among the selected tasks "
                                f"({', '.join(selected)}), so it would do nothing (fix: add it to --tasks, or "
                                f"write {option} {example} with a task name from that list)")

    def narrowed(self, task: str) -> dict:
        """``split`` and ``train_stages`` as they apply to one task (what a job of that task carries)."""
        split, asked = self.split_for(task, "")
        out = {"split": split if asked else None, "train_stages": self.train_stages}
        if self.train_stages and "=" in self.train_stages:
            out["train_stages"] = None
            for part in self.train_stages.split(";"):
                target, _, stages = part.partition("=")
                if target.strip() == task:
                    out["train_stages"] = stages.replace("+", ",")
        return out


# ---- from options ---------------------------------------------------------------------------------
# The keywords are the `xbench eval` options (the flag with underscores, the one list of them is the
# click command in xbench/cli/eval_cmd.py); these name an EvalConfig field of another name.
OPTION_FIELDS = {"checkpoint_every": "save_every_seconds", "perturb": "perturbation"}
RUN_OPTIONS = ("executor", "address", "format")  # where and how the run goes: not its settings


def config_from_options(options: dict) -> EvalConfig:
    """The settings of ``xbench eval`` options (keyword -> value), as ``xbench eval`` and
    ``xbench.evaluate()`` both build them. Values come as the command line gives them (strings) or as
    Python values (a list of tasks or seeds, a list or per-task dict of languages, a path)."""
    values = {OPTION_FIELDS.get(k, k): v for k, v in options.items() if k not in RUN_OPTIONS}
    tasks = values["tasks"]
    values["tasks"] = ",".join(tasks) if isinstance(tasks, (list, tuple)) else tasks
    values["languages"] = languages_value(values.get("languages"))
    seeds = values.get("seeds", "1")
    values["seeds"] = parse_seeds(seeds) if isinstance(seeds, str) else [seeds] if isinstance(seeds, int) else seeds
    from xbench.paths import data_dir_option

    values["data_dir"] = data_dir_option(values.get("data_dir"))
    values["output"] = Path(values["output"]) if values.get("output") else None
    return EvalConfig(**values)  # checks the values (EvalConfig.__post_init__)


def languages_value(value) -> list[str] | dict[str, list[str]] | None:
    """``--languages`` text (``de,fr`` or ``panx=en,de;tatoeba=de,fr``), a list, or a per-task dict."""
    if not value:
        return None
    if isinstance(value, str):
        return parse_languages(value)
    if isinstance(value, dict):
        return {task: list(langs) for task, langs in value.items()}
    return list(value)


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
            raise UserError(f"--languages: '{part}' should be TASK=LANG,LANG (per task, ';' between tasks) "
                            f"(fix: e.g. --languages 'panx=en,de;xnli=fr')")
        codes = [x.strip() for x in langs.split(",") if x.strip()]
        if not task.strip() or not codes:
            raise UserError(f"--languages: '{part}' names {'no task' if not task.strip() else 'no language'} "
                            f"(fix: TASK=LANG,LANG, e.g. --languages 'panx=en,de'; leave a task out to get all "
                            f"its languages)")
        if task.strip() in out:  # a dict would keep the last silently
            merged = ",".join(dict.fromkeys([*out[task.strip()], *codes]))
            raise UserError(f"--languages: task {task.strip()} given twice (fix: one TASK=LANG,LANG part per task, "
                            f"e.g. {task.strip()}={merged})")
        out[task.strip()] = codes
    return out


def check_languages(languages) -> None:
    """No language twice, in the list for every task or in a task's list: a repeated code would
    evaluate and average that language twice."""
    per_task = languages.items() if isinstance(languages, dict) else [(None, languages or [])]
    for task, codes in per_task:
        codes = list(codes)
        repeated = list(dict.fromkeys(c for c in codes if codes.count(c) > 1))
        if repeated:
            once = ",".join(dict.fromkeys(codes))
            fix = f"'{task}={once}'" if task else once
            raise UserError(f"--languages: {', '.join(repr(c) for c in repeated)} given twice"
                            f"{f' for task {task}' if task else ''} (fix: list each language once, "
                            f"e.g. --languages {fix})")


SPLIT_WORDS = {"train", "test", "validation", *SPLIT_ALIASES}
_SUFFIXED = re.compile(r"^(?P<address>[^:=@\[]+)[:=@\[](?P<value>[^\]]*)\]?$")  # panx:en, panx=dev, xnli[de]
_CODE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]+)?$")


def check_task_list(tasks: str) -> None:
    """``--tasks`` takes addresses only (NAME, GROUP, GROUP/NAME). Languages or a split written into
    it (``panx:en,de``, a form other tools use) are refused with the option they belong in, so the
    error is not a bare "unknown task 'panx:en'"."""
    names, languages, splits, first, current = [], {}, {}, None, None
    for part in filter(None, (p.strip() for p in str(tasks).split(","))):
        m = _SUFFIXED.match(part)
        if m:
            first, current, value = first or part, m["address"].strip(), m["value"].strip()
            names.append(current)
        elif current and (_CODE.match(part) or part in SPLIT_WORDS):
            value = part  # "de" in "panx:en,de": another value of the task before it
        else:
            current = None
            names.append(part)
            continue
        task = current.rsplit("/", 1)[-1]  # --languages and --split name the task, not its group
        if value in SPLIT_WORDS:
            splits[task] = value
        elif value:
            languages.setdefault(task, []).append(value)
    if first is None:
        return
    fix = [f"--tasks {','.join(dict.fromkeys(names))}"]
    what = []
    if languages:
        per_task = ";".join(f"{t}={','.join(codes)}" for t, codes in languages.items())
        fix.append(f"--languages {per_task if len(languages) == 1 else repr(per_task)}")
        what.append("languages")
    if splits:
        fix.append("--split " + ",".join(f"{t}={v}" for t, v in splits.items()))
        what.append("a split")
        trained = [t for t, v in splits.items() if v == "train"]
        if trained:  # TASK:train is how --train-stages names a training stage
            fix[-1] += f"; to fine-tune on it instead: --train-stages {','.join(f'{t}:train' for t in trained)}"
    raise UserError(f"--tasks {tasks}: '{first}' puts {' and '.join(what) or 'options'} in --tasks, which takes "
                    f"task names only (NAME, GROUP or GROUP/NAME) (fix: {' '.join(fix)})")


def parse_seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise UserError(f"--seeds: '{text}' is not a comma-separated list of integers (fix: e.g. --seeds 1,2,3)") from None
    return check_seeds(seeds)


def check_seeds(seeds) -> list[int]:
    """At least one seed; each a non-negative integer, none twice (a repeated seed is not another run)."""
    seeds = list(seeds)
    if not seeds:
        raise UserError("--seeds: give at least one seed (fix: e.g. --seeds 1)")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int):
            raise UserError(f"--seeds: {s!r} is not an integer (fix: e.g. --seeds 1,2,3)")
        if s < 0:
            raise UserError(f"--seeds: {s} is negative (fix: use seeds >= 0, e.g. --seeds 1,2,3)")
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise UserError(f"--seeds: {', '.join(map(str, repeated))} given twice (a repeated seed repeats the same "
                        f"run) (fix: list each seed once, e.g. --seeds {','.join(map(str, dict.fromkeys(seeds)))})")
    return seeds


def positive_int(option: str, value, fix: str):
    """None, or an integer >= 1; else a one-line error naming the option."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(f"{option} {value!r}: must be a whole number >= 1 (fix: {fix})")
    if value < 1:
        raise UserError(f"{option} {value}: must be at least 1 (fix: give N >= 1, or {fix})")
    return value


def positive_number(option: str, value, fix: str, zero_ok: bool = False):
    """None, or a number > 0 (>= 0 with ``zero_ok``); else a one-line error naming the option."""
    if value is None:
        return None
    bound = ">= 0" if zero_ok else "> 0"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise UserError(f"{option} {value!r}: must be a number {bound} (fix: {fix})")
    if value < 0 or (value == 0 and not zero_ok):
        raise UserError(f"{option} {value:g}: must be {bound} (fix: {fix})")
    return value


def parse_batch_size(value):
    """``auto`` or an integer >= 1 (a string of digits is read as one)."""
    if isinstance(value, str) and value.strip() != "auto":
        try:
            value = int(value)
        except ValueError:
            raise UserError(f"--batch-size {value!r}: must be 'auto' or a whole number >= 1 "
                            "(fix: e.g. --batch-size 32, or auto)") from None
    if isinstance(value, str):
        return "auto"
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"--batch-size {value!r}: must be 'auto' or a whole number >= 1 "
                        "(fix: e.g. --batch-size 32, or auto)")
    return value


def default_output(model: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(model).name or model).strip("_") or "model"
    return Path("runs") / slug
