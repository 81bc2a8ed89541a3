"""Which configuration a cell was produced under (training chain, retrieval layer, limits,
perturbation, prompting, adapter): the key that keeps the leaderboard from mixing configurations in
one row or one benchmark score, and its label."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from xbench.results.cells import CellResult

ConfigKey = tuple[str, ...]
_LAYER = re.compile(r"^hidden layer (\d+) of \d+ \((?P<source>[^)]*)\)$")
_PROMPTED = re.compile(r"^prompted_(\d+)shot$")
_LIMITS = ("limit", "train_limit", "epochs")


def configuration_key(cell: CellResult, config: Mapping | None = None) -> ConfigKey:
    """The configuration a cell was produced under, as the parts of its label: ``()`` for the plain
    default, else e.g. ``("stages siqa:train+copa:train", "epochs=1.0", "perturbation typo:0.1")``.

    Cells with different keys never share a leaderboard row or a benchmark score. ``config`` is the
    run's ``results.json`` config; settings an ``xbench eval`` run records there apply to all its cells
    (so a run is one row), and where a run does not record one (``xbench run`` keeps per-target settings
    only in the cells) the cell's flags and info decide. The parts, in this order:

    * ``intermediate TASKS [SAMPLER, N steps]`` — the intermediate-task training behind the evaluated
      encoder (``info.intermediate``: tasks as ``TASK[:SPLIT[:LANG]]``, the sampler when there are
      several tasks, the number of steps);
    * ``stages A:train+B:train`` — phase-3 training stages other than the spec's: the run's
      ``train_stages`` for this task, else the stages in ``info.train`` when the cell is flagged
      ``train_stage_override``;
    * ``no fine-tuning`` — ``finetune: false`` in the run config, or the flag ``untrained_head``;
    * ``head from TASK`` — the flag ``head_from_task=TASK``;
    * ``prompted K-shot`` — the flag ``prompted_Kshot`` (prompted evaluation of a causal LM);
    * ``adapter NAME`` — a model adapter named explicitly (run config ``adapter`` other than ``auto``);
    * ``retrieval layer N`` — a layer override: ``info.layer`` of a retrieval cell when its source is
      ``override``, else the run's ``retrieval_layer`` (the spec's layer choice is the default);
    * ``limit=N``, ``train_limit=N``, ``epochs=X`` — from the run config, else the cell's flags;
    * ``perturbation P`` — the run's ``config["perturbation"]`` (absent or empty when clean).

    Not part of the key: the seed (seeds of one configuration are aggregated), the split (rows are
    per split already), data-source and comparability flags (shown with ``*``), device, precision
    and batch size (results do not depend on them).
    """
    config = config or {}
    flags = set(cell.flags)
    parts = []
    intermediate = cell.info.get("intermediate")
    if isinstance(intermediate, dict) and intermediate.get("tasks"):
        parts.append(f"intermediate {_intermediate_text(intermediate)}")
    stages = _stages_text(cell, config)
    if stages:
        parts.append(f"stages {stages}")
    if config.get("finetune") is False or "untrained_head" in flags:
        parts.append("no fine-tuning")
    parts += [f"head from {f.partition('=')[2]}" for f in sorted(flags) if f.startswith("head_from_task=")]
    parts += [f"prompted {m.group(1)}-shot" for m in map(_PROMPTED.match, sorted(flags)) if m]
    if config.get("adapter") not in (None, "", "auto"):
        parts.append(f"adapter {config['adapter']}")
    layer = _layer_override(cell, config)
    if layer is not None:
        parts.append(f"retrieval layer {layer}")
    for name in _LIMITS:
        if name in config:
            if config[name] is not None:
                parts.append(f"{name}={config[name]}")
        else:
            parts += [f for f in sorted(flags) if f.startswith(f"{name}=")]
    if config.get("perturbation"):
        parts.append(f"perturbation {config['perturbation']}")
    return tuple(parts)


def configuration_summary(key: ConfigKey) -> str:
    """The label text of a configuration ("" for the plain default)."""
    return ", ".join(key)


def configuration_label(model: str, key: ConfigKey) -> str:
    """``model (configuration)``, or the model alone for the plain default."""
    return f"{model} ({configuration_summary(key)})" if key else model


def run_configuration_keys(cells: Sequence[CellResult], config: Mapping | None = None) -> list[ConfigKey]:
    """``configuration_key`` of each of one run's cells. A missing cell records less (it was never
    trained or prompted, so it lacks those flags): it takes the key of the run's scored cells of its
    task when they all agree, else of all the run's scored cells when they all agree."""
    keys = [configuration_key(c, config) for c in cells]
    by_task: dict[str, set] = {}
    for cell, key in zip(cells, keys):
        if cell.status != "missing":
            by_task.setdefault(cell.task, set()).add(key)
    everywhere = set().union(*by_task.values()) if by_task else set()
    out = []
    for cell, key in zip(cells, keys):
        if cell.status == "missing":
            same_task = by_task.get(cell.task, set())
            if len(same_task) == 1:
                key = next(iter(same_task))
            elif not same_task and len(everywhere) == 1:
                key = next(iter(everywhere))
        out.append(key)
    return out


def _intermediate_text(record: Mapping) -> str:
    tasks = []
    for t in record.get("tasks") or []:
        name, split, lang = t.get("task"), t.get("split") or "train", t.get("language") or "en"
        # TASK[:SPLIT[:LANG]], as `xbench train --tasks` takes them
        tasks.append(name + (f":{split}" if split != "train" or lang != "en" else "")
                     + (f":{lang}" if lang != "en" else ""))
    details = []
    sampler = record.get("sampler") or {}
    if len(tasks) > 1 and sampler.get("name"):
        details.append(sampler["name"] + (f":{sampler['argument']}" if sampler.get("argument") is not None else ""))
    if record.get("steps"):
        details.append(f"{record['steps']} steps")
    return "+".join(tasks) + (f" [{', '.join(details)}]" if details else "")


def _stages_text(cell: CellResult, config: Mapping) -> str | None:
    if "train_stages" in config:
        text = config["train_stages"]
        if text and "=" in text:  # "TARGET=A:train+B:train;OTHER=…": only this task's part applies
            text = next((stages for target, _, stages in (p.partition("=") for p in text.split(";"))
                         if target.strip() == cell.task), None)
        return "+".join(p.strip() for p in text.replace("+", ",").split(",") if p.strip()) if text else None
    if "train_stage_override" not in cell.flags:
        return None
    train = cell.info.get("train")
    stages = train.get("stages") if isinstance(train, dict) else None
    records = [s.get("record") or {} for s in stages or [] if isinstance(s, dict)]
    names = [f"{r['task']}:{r['split']}" for r in records if r.get("task") and r.get("split")]
    return "+".join(names) if names else "overridden"


def _layer_override(cell: CellResult, config: Mapping) -> int | None:
    described = cell.info.get("layer")
    if isinstance(described, str):
        match = _LAYER.match(described)
        if match:
            return int(match.group(1)) if match.group("source") == "override" else None
    layer = config.get("retrieval_layer")
    return layer if isinstance(layer, int) and not isinstance(layer, bool) else None
