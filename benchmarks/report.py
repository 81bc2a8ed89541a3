"""BENCHMARKS.md (and its plot) from the suite's JSON lines.

    python -m benchmarks.report [FILE.jsonl ...]   # default: the newest benchmarks/results/*.jsonl

Every number in BENCHMARKS.md comes from the given files; a measure without a line there is shown as
"not yet measured". The prose (what limits a missed goal, what changed between two runs) is in
benchmarks/report_text.yaml; its notes cite the profiles kept in benchmarks/profiles/.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from benchmarks.common import REPO

RESULTS = REPO / "benchmarks" / "results"
NOT_YET = "not yet measured"

TEXT = REPO / "benchmarks" / "report_text.yaml"  # the prose: notes on missed goals, what changed between runs


def _text() -> dict:
    import yaml

    return yaml.safe_load(TEXT.read_text(encoding="utf-8"))


_prose = _text()
NOTES, CHANGES, UNTARGETED = _prose["notes"], _prose["changes"], _prose["untargeted"]


def read(paths: list[Path]) -> list[dict]:
    lines = []
    for p in paths:
        for raw in p.read_text(encoding="utf-8").splitlines():
            if raw.strip():
                lines.append(json.loads(raw))
    return lines


def latest(lines, bench, **match):
    found = [l for l in lines if l.get("bench") == bench and all(l.get(k) == v for k, v in match.items())]
    return found[-1] if found else None


def s(x, digits=2):
    return NOT_YET if x is None else f"{x:.{digits}f}"


def ratio(x):
    return NOT_YET if x is None else f"{x:.2f}×"


def met(flag):
    return NOT_YET if flag is None else ("met" if flag else "**not met**")


def load_of(line) -> str:
    loads = [r["load"][0] for runs in (line.get("runs") or {}).values() if isinstance(runs, list) for r in runs
             if isinstance(r, dict) and r.get("load")]
    if not loads:
        loads = [line["load_before"][0]] if line.get("load_before") else []
    return f"{statistics.median(loads):.2f}" if loads else "?"


def context(line) -> str:
    m = line["machine"]
    return (f"`{line['command']}` — {line['date']}, git {line['git']}, {m['cpu']} ({m['cores']} cores), "
            f"torch {m.get('torch')}, median 1-min load average during the runs {load_of(line)}")


def plot(lines, out: Path) -> bool:
    axes = [(a, latest(lines, "growth", axis=a)) for a in ("eval_examples", "eval_length", "train_examples")]
    axes = [(a, l) for a, l in axes if l]
    if not axes:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = {"eval_examples": ("XNLI-de pairs evaluated", "forward seconds"),
              "eval_length": ("tokens per input (128 inputs)", "forward seconds"),
              "train_examples": ("PAN-X training sentences (1 epoch)", "fine-tuning seconds")}
    fig, subplots = plt.subplots(1, len(axes), figsize=(4.2 * len(axes), 3.4))
    for ax, (name, line) in zip(subplots if len(axes) > 1 else [subplots], axes):
        ax.plot(line["x"], line["seconds"], marker="o")
        ax.set_xlabel(labels[name][0])
        ax.set_ylabel(labels[name][1])
        ax.grid(alpha=0.3)
    fig.suptitle(f"How cost grows ({axes[0][1]['model']}, {axes[0][1]['machine']['cores']} cores, {axes[0][1]['date'][:10]})")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return True


def checked(value, fmt: str = "") -> str:
    return "not checked (variant not run)" if value is None else format(value, fmt)


def section_encoder(lines) -> list[str]:
    out = ["## 1. Encoder evaluation on XNLI dev", ""]
    rows = [l for l in lines if l.get("bench") == "encoder_eval"]
    if not rows:
        return out + [NOT_YET, ""]
    for l in rows:
        if l.get("skipped"):
            out += [f"- **{l['model']}**: {NOT_YET} — {l['skipped']}.", ""]
            continue
        m, r, c = l["medians"], l["ratios"], l["checks"]
        out += [f"**{l['model']}**, {len(l['languages'])} languages ({', '.join(l['languages'])}) × "
                f"{l['limit'] or 'all'} pairs = {l['items']:,} pairs, {l['tokens']:,} tokens; attention "
                f"`{l['attn_implementation']}`; medians of {l['repeats']} alternating repeats. {context(l)}.", "",
                "| variant | median s | (c) / variant |", "|---|---:|---:|"]
        names = {"xbench_cold": "xbench eval, end to end, cache cold", "xbench_warm": "xbench eval, end to end, cache warm",
                 "xbench_engine": "xbench engine alone (run_batches)",
                 "xbench_engine_one_batch": "xbench engine alone, one batch at a time (XBENCH_CPU_WORKERS=1)",
                 "xbench_engine_whole_model": "xbench engine alone, every layer for every position (no [CLS]-only last layer)",
                 "xbench_engine_plain_linear": "xbench engine alone, plain nn.Linear (XBENCH_PACKED_LINEAR=0)",
                 "a_xtreme": "(a) XTREME way: pad 128, batch 32, file order",
                 "b_trainer": "(b) HF Trainer.predict", "c_eager": "(c) eager ideal: forward, sorted, dynamic padding, batch 32",
                 "d_compiled": "(d) torch.compile'd forward (as c)",
                 "xbench_cold_cells": "xbench eval, its cells' own seconds (no start-up, model loading), cache cold",
                 "xbench_warm_cells": "xbench eval, its cells' own seconds, cache warm"}
        for k, label in names.items():
            if k in m:
                out.append(f"| {label} | {s(m[k])} | {ratio(m['c_eager'] / m[k]) if m[k] else NOT_YET} |")
        out += ["", f"Goals: xbench (warm, end to end) ≥ 1.3× (c): {ratio(r.get('xbench_warm_vs_c'))} — "
                f"{met(l['goals'].get('xbench_warm_vs_c >= 1.3'))}; ≥ (b): {ratio(r.get('xbench_warm_vs_b'))} — "
                f"{met(l['goals'].get('xbench_warm_vs_b >= 1.0'))}. Engine alone vs (c): {ratio(r.get('xbench_engine_vs_c'))}"
                + (f"; two CPU batches at once vs one at a time: {ratio(r['xbench_engine_vs_one_batch'])}"
                   if "xbench_engine_vs_one_batch" in r else "")
                + (f"; last layer for [CLS] alone vs the whole model: {ratio(r['xbench_engine_vs_whole_model'])}"
                   if "xbench_engine_vs_whole_model" in r else "")
                + (f"; oneDNN-packed linear layers vs plain nn.Linear: {ratio(r['xbench_engine_vs_plain_linear'])}"
                   if "xbench_engine_vs_plain_linear" in r else "") + ". "
                f"Checks: max |Δlogit| engine vs (c) = {checked(c['max_abs_logit_diff'], '.2e')}; labels identical: engine "
                f"{checked(c['engine_labels_identical'])}, `xbench eval` items file {checked(c['eval_labels_identical'])}."
                + (f" torch.compile first call: {c['compile_first_call_s']:.1f} s." if "compile_first_call_s" in c else ""),
                ""]
    missed = any(l.get("goals") and not all(l["goals"].values()) for l in rows)
    return out + ([NOTES["encoder_eval"], ""] if missed else [])


def section_finetune(lines) -> list[str]:
    out = ["## 2. Fine-tuning speed and the README demo", ""]
    l = latest(lines, "finetune_speed")
    if l is None or l.get("skipped"):
        out += [f"Tokens/s vs HF Trainer: {NOT_YET}.", ""]
    else:
        t = l["tokens_per_s"]
        out += [f"PAN-X train-en, {l['examples']:,} sentences ({l['tokens']:,} real tokens, {l['steps']} optimiser steps "
                f"of {l['recipe']['batch_size']}×{l['recipe']['grad_accum']}, lr {l['recipe']['learning_rate']}), "
                f"{l['model']}. {context(l)}.", "",
                "| trainer | median s | tokens/s |", "|---|---:|---:|",
                f"| xbench (`xbench.train.loop.finetune`, incl. its end-of-epoch checkpoint) | {s(l['medians']['xbench'])} | {s(t['xbench'], 0)} |",
                f"| Hugging Face Trainer | {s(l['medians']['hf_trainer'])} | {s(t['hf_trainer'], 0)} |", "",
                f"Goal xbench ≥ 1.0× Trainer: {ratio(l['ratios']['xbench_vs_trainer_tokens_per_s'])} — "
                f"{met(l['goals']['xbench_vs_trainer >= 1.0'])}.", ""]
    o = latest(lines, "optimizer_step")
    if o is not None and not o.get("skipped"):
        ms = o["ms_per_step"]
        out += [f"One AdamW step over {o['model']}'s {o['parameters']:,} parameters ({o['tensors']} tensors, "
                f"{o['threads']} threads; `xbench.train.optimizer` takes the fused kernel): per-parameter loop "
                f"(PyTorch's CPU default) {s(ms['default'], 1)} ms, foreach {s(ms['foreach'], 1)} ms, fused "
                f"{s(ms['fused'], 1)} ms ({ratio(o['ratios']['fused_vs_default'])}); fused weights after "
                f"{o['steps']} steps within {o['checks']['max_abs_weight_diff_vs_default']['fused']:.1e} of the "
                f"loop's. {context(o)}.", ""]
    d = latest(lines, "demo")
    if d is None:
        out += [f"README main job wall time: {NOT_YET} in these results (last hand measurement: "
                "benchmarks/demo/RESULTS.md; rerun with `python -m benchmarks.run --only demo`).", ""]
    else:
        out += [f"README main job: **{d['wall'] / 60:.1f} min** — goal < 10 min {met(d['goals']['under 10 minutes'])}. "
                f"{context(d)}.", "", "```", f"{d['demo_command']}", "```", "", "```", d["table"].rstrip(), "```", ""]
        if not d["goals"]["under 10 minutes"]:
            out += [NOTES["demo"], ""]
    return out


def section_startup(lines) -> list[str]:
    out = ["## 4. Start-up and the spec index", ""]
    latest_of = {}  # a step run again (`--only startup`) replaces the earlier run's rows
    for l in (l for l in lines if l.get("bench") in ("startup", "spec_index")):
        latest_of[l.get("command_name") or l["specs"]] = l
    rows = list(latest_of.values())
    if not rows:
        return out + [NOT_YET, ""]
    out += [f"Whole processes; cold = fresh XBENCH_HOME and fresh bytecode cache (PYTHONPYCACHEPREFIX). {context(rows[-1])}.",
            "", "| command | cold median s | warm median s | goal |", "|---|---:|---:|---|"]
    for l in rows:
        what = l.get("command_name") or f"xbench tasks list, {l['specs']:,} generated specs"
        goal = "; ".join(f"{k}: {met(v)}" for k, v in l["goals"].items()) or "—"
        out.append(f"| {what} | {s(l['medians']['cold'])} | {s(l['medians']['warm'])} | {goal} |")
    missed = lambda l: not all(l["goals"].values())
    notes = ([NOTES["startup"]] if any(l.get("command_name") == "xbench --help" and missed(l) for l in rows) else [])
    notes += [NOTES["spec_index"]] if any(l.get("specs") == 5000 and missed(l) for l in rows) else []
    return out + [x for note in notes for x in ("", note)] + [""]


def section_cache(lines) -> list[str]:
    out = ["## 5. Preprocessing cache", ""]
    l = latest(lines, "cache_speed")
    if l is None:
        return out + [NOT_YET, ""]
    m = l["medians"]
    out += [f"Cells `{l['cells']}` (task:split:language:limit), each run a fresh process. {context(l)}.", "",
            "| run | data preparation s | of which load_split s | of which encode s |", "|---|---:|---:|---:|",
            f"| first (empty cache) | {s(m['first'])} | {s(m.get('first_load_s'))} | {s(m.get('first_encode_s'))} |",
            f"| second (cache filled) | {s(m['second'])} | {s(m.get('second_load_s'))} | {s(m.get('second_encode_s'))} |", "",
            f"Goal second ≥ 20× faster: {ratio(l['ratios']['first_vs_second'])} — {met(l['goals']['second >= 20x faster'])}"
            f" (encode alone: {ratio((m.get('first_encode_s') or 0) / m['second_encode_s'] if m.get('second_encode_s') else None)}). "
            f"Same features from the cache: {l['checks']['same_features']}.", ""]
    return out + ([NOTES["cache_speed"], ""] if not l["goals"]["second >= 20x faster"] else [])


def section_retrieval(lines) -> list[str]:
    out = ["## 6. Retrieval: mining and Tatoeba", ""]
    rows = [l for l in lines if l.get("bench") == "retrieval_mining"]
    if rows:
        out += [f"`benchmarks/retrieval/bench_mining.py` (synthetic L2-normalised corpora, dim {rows[0]['dim']}); "
                "each size's run below the table.", "",
                "| n per side | kNN wall s | whole mine wall s | kNN / plain matmul rate |", "|---:|---:|---:|---:|"]
        out += [f"| {l['n']:,} | {s(l['knn_wall_s'])} | {s(l['mine_wall_s'])} | {s(l['ratio_wall'])} |" for l in rows]
        out += [""] + [f"- {l['n']:,}: {context(l)}." for l in rows]
        sizes = {l["n"] for l in rows}
        missing = [f"{n:,}" for n in (10_000, 50_000, 200_000) if n not in sizes]
        out += (["", f"Sizes {', '.join(missing)}: {NOT_YET} here (full mode)."] if missing else []) + [""]
    else:
        out += [f"Mining: {NOT_YET}.", ""]
    t = latest(lines, "tatoeba")
    if t is None or t.get("skipped"):
        out += [f"Tatoeba end to end: {NOT_YET}.", ""]
    else:
        out += [f"Tatoeba, {len(t['languages'])} languages ({t['sentences']:,} distinct sentences"
                f"{', limit ' + str(t['limit']) if t['limit'] else ''}): `xbench eval` end to end (fresh cache) "
                f"{s(t['medians']['xbench_eval'])} s vs forward-only ideal {s(t['medians']['forward_only'])} s: "
                f"{ratio(t['ratios']['xbench_vs_forward_only'])} of the ideal's speed. {context(t)}.", ""]
    return out


def section_growth(lines, png: str | None) -> list[str]:
    out = ["## 7. How cost grows", ""]
    rows = [l for l in lines if l.get("bench") == "growth" and not l.get("skipped")]
    if not rows:
        return out + [NOT_YET, ""]
    if png:
        out += [f"![how cost grows]({png})", ""]
    for l in rows:
        out += [f"- {l['axis']}: " + ", ".join(f"{x} → {y:.2f} s" for x, y in zip(l["x"], l["seconds"]))]
    return out + ["", context(rows[-1]) + ".", ""]


def prompted_row() -> tuple[str, str, str]:
    """(result, goal, status) from the newest benchmarks/prompted/speed-*.jsonl (benchmarks/prompted/speed.py):
    median wall times of the alternating repeats, and whether every repeat's predictions were identical."""
    files = sorted((REPO / "benchmarks" / "prompted").glob("speed-*.jsonl"))
    if not files:
        return NOT_YET, "≥ 1.5×", NOT_YET
    runs = [json.loads(line) for line in files[-1].read_text(encoding="utf-8").splitlines() if line.strip()]
    wall = {tool: statistics.median(r["wall_s"] for r in runs if r["tool"] == tool) for tool in ("lm-eval", "xbench")}
    value = wall["lm-eval"] / wall["xbench"]
    same = all(r["identical_predictions"] for r in runs)
    shown = (f"{value:.2f}× (median of {len(runs) // 2}; [{files[-1].name}](benchmarks/prompted/{files[-1].name}), "
             f"[RESULTS.md](benchmarks/prompted/RESULTS.md)){'' if same else ', predictions differ'}")
    return shown, "≥ 1.5×", met(value >= 1.5 and same)




def key_values(lines) -> dict[str, tuple[str, float | None, str]]:
    """The summary's measured numbers by measure: (label, value, unit) — what --before compares."""
    enc = [l for l in lines if l.get("bench") == "encoder_eval" and not l.get("skipped") and l.get("model") == "minilm-l6"]
    enc = enc[0] if enc else None
    ft, demo, cache = latest(lines, "finetune_speed"), latest(lines, "demo"), latest(lines, "cache_speed")
    helpl, spec5k = latest(lines, "startup", command_name="xbench --help"), latest(lines, "spec_index", specs=5000)
    tat = latest(lines, "tatoeba")
    get = lambda l, *keys: None if l is None or l.get("skipped") else _dig(l, keys)
    return {
        "0": ("machine speed: (c) eager forward of the quick size's XNLI pairs (minilm-l6), seconds",
              get(enc, "medians", "c_eager"), " s"),
        "0b": ("machine speed: Hugging Face Trainer on the fine-tuning benchmark's PAN-X sentences, seconds",
               get(ft, "medians", "hf_trainer"), " s"),
        "1": ("XNLI eval (minilm-l6): xbench warm end to end vs (c)", get(enc, "ratios", "xbench_warm_vs_c"), "×"),
        "1c": ("XNLI eval (minilm-l6): xbench engine alone vs (c)", get(enc, "ratios", "xbench_engine_vs_c"), "×"),
        "1b": ("XNLI eval (minilm-l6): xbench warm end to end vs (b)", get(enc, "ratios", "xbench_warm_vs_b"), "×"),
        "2": ("fine-tuning tokens/s vs HF Trainer", get(ft, "ratios", "xbench_vs_trainer_tokens_per_s"), "×"),
        "2b": ("README demo wall time", None if demo is None else demo["wall"] / 60, " min"),
        "3": ("`xbench --help` warm", get(helpl, "medians", "warm"), " s"),
        "4": ("`xbench tasks list`, 5,000 specs, warm", get(spec5k, "medians", "warm"), " s"),
        "5": ("data preparation, second run vs first", get(cache, "ratios", "first_vs_second"), "×"),
        "6": ("Tatoeba end to end vs forward-only ideal", get(tat, "ratios", "xbench_vs_forward_only"), "×"),
    }


def _dig(line, keys):
    for k in keys:
        line = line.get(k) if isinstance(line, dict) else None
    return line


def section_before_after(before_paths: list[Path], lines) -> list[str]:
    """Each summary number of an earlier suite run beside this one's, with what changed in between."""
    before = read(before_paths)
    b_suite, a_suite = latest(before, "suite"), latest(lines, "suite")
    name = lambda suite: f"{suite['date'][:10]}, git {suite['git']}" if suite else "?"
    out = ["## Before and after", "",
           f"Before: {', '.join(f'`{Path(os.path.relpath(p, REPO)).as_posix()}`' for p in before_paths)} "
           f"({name(b_suite)}); after: this report's files ({name(a_suite)}). Same scripts; the machine may differ "
           "(its speed is the first row).", "",
           "| measure | before | after | what changed |", "|---|---:|---:|---|"]
    b_vals, a_vals = key_values(before), key_values(lines)
    for key, (label, after, unit) in a_vals.items():
        prior = b_vals[key][1]
        if prior is None and after is None:
            continue
        shown = lambda v: NOT_YET if v is None else f"{v:.2f}{unit}"
        out.append(f"| {label} | {shown(prior)} | {shown(after)} | {CHANGES.get(key, UNTARGETED)} |")
    return out + [""]


def summary(lines) -> list[str]:
    ft, demo, cache = latest(lines, "finetune_speed"), latest(lines, "demo"), latest(lines, "cache_speed")
    helpl = latest(lines, "startup", command_name="xbench --help")
    spec5k = latest(lines, "spec_index", specs=5000)
    tat = latest(lines, "tatoeba")
    ft = None if ft is None or ft.get("skipped") else ft
    g = lambda l, k: None if l is None else l["goals"].get(k)
    runs = [l for l in lines if l.get("bench") == "encoder_eval" and not l.get("skipped")]
    enc_rows = []
    for l in runs or [None]:
        what = NOT_YET if l is None else f"{l['model']}, {l['items']:,} pairs"
        enc_rows += [
            ("1", f"XNLI eval ({what}): xbench (warm, end to end) vs (c) eager ideal", ratio(l and l["ratios"].get("xbench_warm_vs_c")), "≥ 1.3×", met(g(l, "xbench_warm_vs_c >= 1.3"))),
            ("1", f"XNLI eval ({what}): xbench (warm) vs (b) HF Trainer.predict", ratio(l and l["ratios"].get("xbench_warm_vs_b")), "≥ 1.0×", met(g(l, "xbench_warm_vs_b >= 1.0")))]
    if not any(l["model"] == "mpnet-base" for l in runs):
        enc_rows.append(("1", "XNLI eval: mpnet-base", NOT_YET, "as above", "—"))
    rows = [
        *enc_rows,
        ("2", "fine-tuning tokens/s vs HF Trainer (PAN-X en)", ratio(ft and ft["ratios"]["xbench_vs_trainer_tokens_per_s"]), "≥ 1.0×", met(g(ft, "xbench_vs_trainer >= 1.0"))),
        ("2", "README demo wall time", NOT_YET if demo is None else f"{demo['wall'] / 60:.1f} min", "< 10 min", met(g(demo, "under 10 minutes"))),
        ("3", "prompted XCOPA vs lm-evaluation-harness (batch 32)", *prompted_row()),
        ("4", "`xbench --help` warm", NOT_YET if helpl is None else f"{helpl['medians']['warm']:.2f} s", "< 0.3 s", met(g(helpl, "warm < 0.3 s"))),
        ("4", "`xbench tasks list`, 5,000 specs, warm", NOT_YET if spec5k is None else f"{spec5k['medians']['warm']:.2f} s", "< 0.5 s", met(g(spec5k, "warm < 0.5 s"))),
        ("5", "data preparation, second run vs first", ratio(cache and cache["ratios"]["first_vs_second"]), "≥ 20×", met(g(cache, "second >= 20x faster"))),
        ("6", "Tatoeba end to end vs forward-only ideal", ratio(tat and not tat.get("skipped") and tat["ratios"]["xbench_vs_forward_only"] or None), "—", "—"),
        ("7", "cost growth (plot)", "§7" if latest(lines, "growth") else NOT_YET, "—", "—"),
        ("8", "GPU (CUDA, bf16 autocast, batch-size auto)", "see §8", "—", NOT_YET if not any((l.get("machine") or {}).get("cuda") for l in lines) else "see §8"),
    ]
    out = ["| # | measure | result | goal | status |", "|---|---|---|---|---|"]
    out += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    return out + [""]


def write_report(paths: list[Path], out: Path = REPO / "BENCHMARKS.md", note: str | None = None,
                 before: list[Path] | None = None) -> Path:
    lines = read(paths)
    png = out.with_name(out.stem + "-growth.png")  # next to the report
    png = png.name if plot(lines, png) else None
    failed = [l["step"] for l in lines if l.get("bench") == "step" and not l["ok"]]
    head = ["# Benchmarks", "",
            "Rerun everything with `python -m benchmarks.run --quick` (~8 min on an idle 2-core machine; `--demo` adds the README main job, ~8 min more) or "
            "`python -m benchmarks.run` (full sizes); `--dry-run` prints each step's exact command. Every number "
            "below is generated by `python -m benchmarks.report` from the JSON lines of "
            + ", ".join(f"`{Path(os.path.relpath(p, out.parent)).as_posix()}`" for p in paths)
            + " (each line: command, git hash, machine, date, load averages, every run). Ratios compare variants run "
            "alternately in one process, medians over the repeats; absolute seconds are context only.", ""]
    if note:
        head += [f"> **Note.** {note}", ""]
    for run in (l for l in lines if l.get("bench") == "suite"):  # a later `--only STEP` run replaces that step's lines
        steps = run.get("steps") or []
        head += [f"Suite: {run['mode']} mode{' (' + ', '.join(steps) + ')' if steps else ''}, "
                 f"{run['seconds'] / 60:.1f} min, {run['date']}, git {run['git']}, "
                 f"{run['machine']['cpu']} ({run['machine']['cores']} cores), load average at the end "
                 f"{run['load_after']}.", ""]
    if failed:
        head += [f"Failed steps: {', '.join(failed)}.", ""]
    body = (summary(lines) + (section_before_after(before, lines) if before else []) + section_encoder(lines) + section_finetune(lines)
            + ["## 3. Prompted XCOPA vs lm-evaluation-harness", "",
               "Measured separately: [benchmarks/prompted/RESULTS.md](benchmarks/prompted/RESULTS.md) "
               "(`python -m benchmarks.run --prompted --prompted-model DIR` runs `benchmarks/prompted/speed.py`).", ""]
            + section_startup(lines) + section_cache(lines) + section_retrieval(lines) + section_growth(lines, png)
            + ["## 8. GPU", "",
               ("A CUDA run is in these results (see the machine fields above)." if any((l.get("machine") or {}).get("cuda") for l in lines)
                else f"{NOT_YET}: no GPU run exists yet. The same scripts run on a CUDA machine (`xbench eval` picks "
                     "the GPU with bf16 autocast and `--batch-size auto`)."), ""])
    out.write_text("\n".join(head + body), encoding="utf-8")
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--out", type=Path, default=REPO / "BENCHMARKS.md")
    ap.add_argument("--note", help="a sentence shown at the top (e.g. why these numbers are provisional)")
    ap.add_argument("--before", type=Path, action="append",
                    help="an earlier run's results file: each summary number is shown beside it (repeatable)")
    args = ap.parse_args(argv)
    files = args.files or sorted(RESULTS.glob("*.jsonl"), key=lambda p: p.stat().st_mtime)[-1:]
    if not files:
        sys.exit("benchmarks.report: no results (run `python -m benchmarks.run --quick` first)")
    print(write_report(files, args.out, args.note, args.before))


if __name__ == "__main__":
    main()
