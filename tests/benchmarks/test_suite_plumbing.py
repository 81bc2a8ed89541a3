"""The benchmark suite's plumbing on tiny inputs: the plan, the result lines and the report (no timing)."""

import json
import re
import subprocess
import sys

from benchmarks import report, run
from benchmarks.common import REPO, Recorder, alternate


def test_quick_dry_run_lists_every_measure_with_its_command(tmp_path):
    out = tmp_path / "r.jsonl"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.run", "--quick", "--dry-run", "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True, check=True)
    for name in run.STEPS:
        assert f"] {name}: " in proc.stdout
    assert "--limit 300" in proc.stdout and "mpnet-base" not in proc.stdout  # quick: MiniLM only, subsets
    assert not out.exists()  # a dry run measures nothing
    full = subprocess.run([sys.executable, "-m", "benchmarks.run", "--dry-run", "--only", "encoder_eval"],
                          cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert "minilm-l6,mpnet-base" in full and "--limit 0" in full


def test_prompted_needs_its_model_and_unknown_steps_are_refused():
    bad = subprocess.run([sys.executable, "-m", "benchmarks.run", "--prompted", "--dry-run"], cwd=REPO,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "--prompted-model" in bad.stderr
    bad = subprocess.run([sys.executable, "-m", "benchmarks.run", "--only", "nope", "--dry-run"], cwd=REPO,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown step(s) nope" in bad.stderr
    ok = subprocess.run([sys.executable, "-m", "benchmarks.run", "--only", "startup", "--prompted", "--prompted-model",
                         "/m", "--dry-run"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert "benchmarks.prompted.speed --model /m" in ok


def test_encoder_eval_refuses_a_variant_subset_without_its_reference():
    for bad in ("a_xtreme,b_trainer", "c_eager,nope"):
        proc = subprocess.run([sys.executable, "-m", "benchmarks.encoder_eval", "--variants", bad], cwd=REPO,
                              capture_output=True, text=True)
        assert proc.returncode == 2 and "with c_eager among them" in proc.stderr


def test_alternate_rotates_the_order_and_records_the_load():
    calls = []
    runs = alternate({"a": lambda: calls.append("a") or 1.0, "b": lambda: calls.append("b") or {"wall": 2.0, "x": 1},
                      "c": lambda: calls.append("c") or 3.0}, 3)
    assert calls == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert [r["wall"] for r in runs["b"]] == [2.0] * 3 and runs["b"][0]["x"] == 1
    assert all(len(r["load"]) == 3 for v in runs.values() for r in v)


def test_result_lines_carry_command_git_machine_date_and_load(tmp_path):
    path = tmp_path / "r.jsonl"
    Recorder(path).write("startup", command_name="xbench --help", runs={}, medians={"cold": 1.0, "warm": 0.5}, goals={})
    line = json.loads(path.read_text().splitlines()[0])
    assert line["bench"] == "startup" and line["command"] and line["git"]
    assert line["machine"]["cores"] >= 1 and line["date"].endswith("Z") and len(line["load_before"]) == 3


def fake(bench, **fields):
    ctx = {"command": "python -m x", "git": "abc", "date": "2026-12-02T04:00:00Z", "load_before": [0.1, 0.1, 0.1],
           "load_after": [0.2, 0.2, 0.2], "machine": {"cpu": "cpu", "cores": 2, "torch": "t", "cuda": None}}
    return json.dumps({"bench": bench, **fields, **ctx})


def test_report_writes_every_measure_and_marks_what_was_not_measured(tmp_path):
    runs = {"x": [{"wall": 1.0, "load": [0.5, 0.5, 0.5]}]}
    lines = [
        fake("encoder_eval", model="minilm-l6", languages=["de"], limit=10, repeats=1, items=10, tokens=500,
             attn_implementation="sdpa", runs=runs,
             medians={"xbench_cold": 4.0, "xbench_warm": 3.0, "xbench_engine": 1.5, "a_xtreme": 3.0, "b_trainer": 2.5, "c_eager": 1.5},
             ratios={"xbench_warm_vs_c": 0.5, "xbench_warm_vs_b": 0.83, "xbench_engine_vs_c": 1.0},
             checks={"max_abs_logit_diff": 1e-7, "engine_labels_identical": True, "eval_labels_identical": True},
             goals={"xbench_warm_vs_c >= 1.3": False, "xbench_warm_vs_b >= 1.0": False}),
        fake("encoder_eval", model="mpnet-base", skipped="model alias mpnet-base is not installed"),
        fake("cache_speed", cells="xnli:validation:de:0", runs=runs, medians={"first": 5.0, "second": 0.2},
             ratios={"first_vs_second": 25.0}, checks={"same_features": True}, goals={"second >= 20x faster": True}),
        fake("growth", axis="eval_examples", model="minilm-l6", x=[10, 20], seconds=[1.0, 2.0], runs={}),
        fake("growth", axis="train_examples", model="minilm-l6", x=[10, 20], seconds=[3.0, 6.5], runs={}),
    ]
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(lines) + "\n")
    md = tmp_path / "B.md"
    report.write_report([path], md)
    png = tmp_path / "B-growth.png"  # next to the report
    text = md.read_text()
    assert ("| 1 | XNLI eval (minilm-l6, 10 pairs): xbench (warm, end to end) vs (c) eager ideal | 0.50× | ≥ 1.3× | "
            "**not met** |") in text
    assert "| 1 | XNLI eval: mpnet-base | not yet measured |" in text  # skipped: no row of numbers
    assert "| 5 | data preparation, second run vs first | 25.00× | ≥ 20× | met |" in text
    assert "mpnet-base**: not yet measured — model alias mpnet-base is not installed" in text
    assert "| 2 | fine-tuning tokens/s vs HF Trainer (PAN-X en) | not yet measured |" in text
    assert "## 8. GPU" in text and "not yet measured: no GPU run exists yet" in text
    assert "benchmarks/prompted/RESULTS.md" in text
    # row 3 comes from the newest recorded prompted run (benchmarks/prompted/speed-*.jsonl), recomputed
    assert re.search(r"\| 3 \| prompted XCOPA vs lm-evaluation-harness \(batch 32\) \| \d+\.\d\d× \(median of \d", text)
    assert "What limits it" in text  # a missed goal comes with its account
    assert png.is_file() and png.read_bytes()[:4] == b"\x89PNG"
    assert "10 → 1.00 s, 20 → 2.00 s" in text and "![how cost grows](B-growth.png)" in text


def test_before_after_compares_each_summary_number_and_a_rerun_step_replaces_its_rows(tmp_path):
    def startup(warm, date):
        return fake("spec_index", specs=5000, runs={}, medians={"cold": 2.0, "warm": warm},
                    goals={"warm < 0.5 s": warm < 0.5}).replace("2026-12-02T04:00:00Z", date)
    before, after = tmp_path / "before.jsonl", tmp_path / "after.jsonl"
    before.write_text(startup(0.83, "2026-12-01T00:00:00Z") + "\n")
    # the step ran twice in the new file (e.g. `--only startup` again): the later run's rows stand
    after.write_text(startup(0.61, "2026-12-02T00:00:00Z") + "\n" + startup(0.30, "2026-12-02T01:00:00Z") + "\n")
    md = tmp_path / "B.md"
    report.write_report([after], md, before=[before])
    text = md.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| `xbench tasks list`, 5,000 specs, warm | 0.83 s"))
    assert "| 0.30 s |" in row and row.endswith(f"| {report.CHANGES.get('4', report.UNTARGETED)} |")  # before, after, what changed
    section = text.split("## 4.")[1].split("## 5.")[0]
    assert section.count("5,000 generated specs") == 1 and "| 2.00 | 0.30 | warm < 0.5 s: met |" in section
    assert "README demo" not in text.split("## Before and after")[1].split("## 1.")[0]  # in neither file: no row

