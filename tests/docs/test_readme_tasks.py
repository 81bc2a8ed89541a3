"""README.md, "Tasks and benchmarks", "Task specs" and "Plugins": listing, addressing, groups,
the spec index, XBENCH_TASK_PATH and broken plugins, checked against the code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers.readme import REPO, SPEC, run
from xbench.cli import cli



# ---- listing ------------------------------------------------------------------------------------

FORMATS = ["table", "md", "csv", "latex", "json"]
LISTINGS = [["tasks", "list"], ["plugins"], ["languages"], ["leaderboard"], ["data", "layouts"]]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("listing", LISTINGS, ids=[" ".join(c) for c in LISTINGS])
def test_every_listing_command_takes_every_format(listing, fmt, isolated_home):
    """Tasks and benchmarks (README 36): "Every listing command takes `--format
    table|md|csv|latex|json`" — here tasks list, plugins, languages, leaderboard (a store holding one
    run) and data layouts. (`tasks show` prints a spec, `--format yaml|json`.)"""
    if listing == ["leaderboard"]:
        from xbench.results import CellResult, RunResults, Scoring
        from xbench.results.scoring import TaskInfo
        from xbench.results.store import record_run

        cell = CellResult(task="xnli", address="xnli", group=None, language="de", split="test", seed=1,
                          n_items=10, metrics={"accuracy": .5})
        record_run(RunResults(config={"model": "tiny"}, cells=[cell], created_at="2024-01-01T00:00:00+00:00",
                              scoring=Scoring({"xnli": TaskInfo("accuracy", ["test"], ["de"])}, {})),
                   isolated_home / "run")
    out = run(*listing, "--format", fmt)
    assert out.strip()
    if fmt == "json":
        json.loads(out)


HEAVY_PROBE = """
import sys
from xbench.cli import cli
for args in {commands!r}:
    try:
        cli(args, standalone_mode=False)
    except SystemExit:
        pass
print("HEAVY", sorted(m for m in ("torch", "transformers", "datasets") if m in sys.modules), file=sys.stderr)
"""


def test_listing_never_imports_torch_or_transformers(isolated_home):
    """Tasks and benchmarks (README 36-37): "Listing never imports torch or transformers" — the
    listings tests/cli/test_tasks_list.py does not cover: tasks show, a group listing in md,
    languages (table and by task), leaderboard, data layouts, plugins by kind."""
    commands = [["tasks", "show", "xtreme/tatoeba"], ["tasks", "list", "--group", "xtreme-r", "--format", "md"],
                ["languages"], ["languages", "--task", "xtreme-r/xcopa", "--format", "md"], ["leaderboard"],
                ["data", "layouts"], ["plugins", "--kind", "perturbations"]]
    proc = subprocess.run([sys.executable, "-c", HEAVY_PROBE.format(commands=commands)], capture_output=True,
                          text=True, cwd=str(REPO), env={**os.environ, "XBENCH_HOME": str(isolated_home)})
    assert "HEAVY []" in proc.stderr, proc.stderr[-2000:]


def test_benchmarks_have_the_readme_task_and_language_counts():
    """Introduction (README 18): XTREME (9 tasks, 40 languages), XTREME-R (10 tasks, 50 languages); the
    intermediate tasks are the twelve English ones named there. Addressing (README 41): a group name
    alone means all its tasks with its languages."""
    counts = {}
    for group in ("xtreme", "xtreme-r", "intermediate"):
        rows = json.loads(run("tasks", "list", "--group", group, "--format", "json"))
        counts[group] = (len(rows), len({lang for r in rows for lang in r["languages"]}))
    assert counts == {"xtreme": (9, 40), "xtreme-r": (10, 50), "intermediate": (12, 1)}
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog

    selections = Catalog(get_registry()).select("xtreme")
    assert len(selections) == 9 and all(s.address.startswith("xtreme/") for s in selections)
    panx = next(s for s in selections if s.task.name == "panx")
    assert len(panx.languages) == 40


def test_the_registered_task_types_are_those_of_the_spec_table():
    """Task specs (README 568): `type` is a registered task type: sequence_classification,
    multiple_choice, token_tagging, extractive_qa, bitext_retrieval, dual_encoder_retrieval."""
    listed = {r["name"] for r in json.loads(run("plugins", "--kind", "task_types", "--format", "json"))}
    assert {"sequence_classification", "multiple_choice", "token_tagging", "extractive_qa",
            "bitext_retrieval", "dual_encoder_retrieval"} <= listed


def test_the_executors_are_local_and_ray():
    """Reuse (README 130): `--executor local|ray`."""
    listed = {r["name"] for r in json.loads(run("plugins", "--kind", "executors", "--format", "json"))}
    assert {"local", "ray"} <= listed


# ---- where things live --------------------------------------------------------------------------

def test_the_spec_index_cache_lives_under_xbench_home(isolated_home, monkeypatch, tmp_path):
    """Task specs, Speed (README 588-589): listing is served from `$XBENCH_HOME/cache/spec-index.json`,
    default `~/.cache/xbench`."""
    run("tasks", "list", "--format", "csv")
    assert json.loads((isolated_home / "cache" / "spec-index.json").read_text(encoding="utf-8"))
    from xbench.paths import xbench_home

    monkeypatch.delenv("XBENCH_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert xbench_home() == tmp_path / ".cache" / "xbench"


def test_xbench_task_path_takes_several_folders(tmp_path, monkeypatch):
    """Task specs (README 592-593): extra spec folders in `XBENCH_TASK_PATH`, `os.pathsep`-separated."""
    from xbench.registry import reset_registry

    folders = [tmp_path / "one", tmp_path / "two"]
    for i, folder in enumerate(folders):
        folder.mkdir()
        (folder / f"readme_task_{i}.yaml").write_text(SPEC.format(name=f"readme_task_{i}"), encoding="utf-8")
    monkeypatch.setenv("XBENCH_TASK_PATH", os.pathsep.join(map(str, folders)))
    reset_registry()
    names = {r["name"] for r in json.loads(run("tasks", "list", "--format", "json"))}
    assert {"readme_task_0", "readme_task_1"} <= names


def _broken_plugin(site: Path) -> dict:
    """An installed distribution whose `xbench` entry point names a module that does not exist."""
    dist = site / "readme_broken_plugin-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: readme-broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[xbench]\nreadme_broken = readme_no_such_module_xyz\n")
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**os.environ, "PYTHONPATH": path}


def test_a_broken_plugin_is_reported_by_name_and_strict_plugins_makes_it_an_error(tmp_path, isolated_home):
    """Task specs, Errors (README 585-586): a plugin that fails to import is reported by name and
    everything else keeps working (`--strict-plugins` makes it an error: one line, exit code 2)."""
    env = {**_broken_plugin(tmp_path / "site"), "XBENCH_HOME": str(isolated_home)}
    lenient = subprocess.run([sys.executable, "-m", "xbench", "plugins", "--kind", "metrics", "--format", "csv"],
                             capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert lenient.returncode == 0, lenient.stderr
    assert "accuracy" in lenient.stdout
    assert "readme_broken" in lenient.stderr and "Traceback" not in lenient.stderr
    strict = subprocess.run([sys.executable, "-m", "xbench", "--strict-plugins", "plugins"],
                            capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert strict.returncode == 2, (strict.stdout, strict.stderr)
    lines = [ln for ln in strict.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("xbench: error:") and "readme_broken" in lines[0], strict.stderr


def test_tasks_and_groups_share_one_namespace_and_underscore_files_are_fragments(tmp_path, monkeypatch):
    """Addressing (README 41-42): tasks and groups share one namespace — a task named like the
    `xtreme` group is a duplicate naming both files (skipped with one warning on the task path);
    Task specs, `include` (README 581): files named `_*.yaml` are include-only fragments."""
    from xbench.registry import reset_registry

    (tmp_path / "xtreme.yaml").write_text(SPEC.format(name="xtreme"), encoding="utf-8")
    (tmp_path / "_fragment.yaml").write_text(SPEC.format(name="readme_fragment"), encoding="utf-8")
    (tmp_path / "readme_user.yaml").write_text("include: _fragment.yaml\nname: readme_user\n", encoding="utf-8")
    monkeypatch.setenv("XBENCH_TASK_PATH", str(tmp_path))
    reset_registry()
    result = CliRunner().invoke(cli, ["tasks", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    names = {r["name"] for r in json.loads(result.stdout)}
    assert "readme_user" in names and "readme_fragment" not in names and "xtreme" not in names
    (warning,) = [ln for ln in result.stderr.splitlines() if "duplicate name 'xtreme'" in ln]
    assert str(tmp_path / "xtreme.yaml") in warning and "groups/xtreme.yaml" in warning
    shown = CliRunner().invoke(cli, ["tasks", "show", "xtreme"])
    assert shown.exit_code == 0 and shown.stdout.startswith("group: xtreme")


@pytest.mark.parametrize("group", ["xtreme", "xtreme-r"])
def test_groups_score_qa_by_em_and_f1_in_four_categories_and_average_over_tasks(group):
    """Groups (README 44-48): a group lists its tasks, the metrics of each task score (QA:
    `[exact_match, f1]`), its categories (classification, structured prediction, QA, retrieval) and
    the aggregation (the unweighted mean over tasks); Metrics (README 189-190): XTREME-R's overall
    score uses the same XTREME task-mean rule."""
    doc = json.loads(run("tasks", "show", group, "--format", "json"))
    scores = {t["task"]: t.get("score") for t in doc["tasks"]}
    assert {t for t, s in scores.items() if s} == {"xquad", "mlqa", "tydiqa"}
    assert all(s == ["exact_match", "f1"] for s in scores.values() if s)
    assert set(doc["categories"]) == {"classification", "structured_prediction", "question_answering", "retrieval"}
    assert sorted(t for ts in doc["categories"].values() for t in ts) == sorted(scores)
    assert doc["aggregation"] == "mean_over_tasks"
