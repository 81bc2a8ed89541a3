"""Installing the example plugin into a fresh virtualenv adds its tasks, task type, format, layout, metrics
and alias without any change to xbench (its own task type loads data and runs through `xbench eval`);
uninstalling removes them again."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "plugins" / "xbench-example-plugin"


def sh(py, *args, check=True):
    proc = subprocess.run([str(py), *args], capture_output=True, text=True, cwd=str(REPO))
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugin_venv")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(root)], check=True)
    return root / "bin" / "python"


def xbench_json(py, *args):
    return json.loads(sh(py, "-m", "xbench", *args, "--format", "json").stdout)


@pytest.mark.slow
def test_install_use_and_uninstall(venv_python, tmp_path):
    py = venv_python
    before = {r["name"] for r in xbench_json(py, "tasks", "list")}
    assert "example_nli" not in before

    sh(py, "-m", "pip", "install", "--no-deps", "--quiet", str(PLUGIN))
    tasks = {r["name"]: r for r in xbench_json(py, "tasks", "list")}
    assert tasks["example_nli"]["plugin"] == "example"
    assert tasks["example_nli"]["languages"] == ["en", "de", "sw"]
    assert tasks["example_sts"]["plugin"] == "example" and tasks["example_sts"]["type"] == "sentence_pair_regression"
    comps = {(r["kind"], r["name"]): r["plugin"] for r in xbench_json(py, "plugins", "--kind", "metrics")
             + xbench_json(py, "plugins", "--kind", "data_formats")
             + xbench_json(py, "plugins", "--kind", "data_layouts")
             + xbench_json(py, "plugins", "--kind", "model_aliases")
             + xbench_json(py, "plugins", "--kind", "task_types")}
    for key in [("metrics", "macro_f1"), ("metrics", "pairwise_accuracy"), ("data_formats", "pipe_nli"),
                ("data_layouts", "example"), ("model_aliases", "tiny-random-bert"),
                ("task_types", "sentence_pair_regression")]:
        assert comps.get(key) == "example", key
    plugins = {r["plugin"]: r for r in xbench_json(py, "plugins", "--kind", "plugins")}
    assert plugins["example"]["distribution"] == "xbench-example-plugin"

    # its task validates and loads through its own format; its metric and alias work
    check = r'''
import json, sys
from pathlib import Path
from xbench.registry import get_registry
from xbench.spec.catalog import Catalog
from xbench.models.aliases import resolve_model
import xbench_example.plugin as plugin
reg = get_registry()
task = Catalog(reg).task("example_nli")
from xbench.data import load_split
loaded = load_split(task, "test", "de", data_dir=plugin.sample_data_dir())  # through its layout and format
rows = loaded.dataset.to_list()
metric = reg.get("metrics", task.primary_metric).load()
labels = [r["label"] for r in rows]
model_dir = Path(resolve_model("tiny-random-bert", reg))
from transformers import AutoModel, AutoTokenizer
model = AutoModel.from_pretrained(model_dir)
tok = AutoTokenizer.from_pretrained(model_dir)
out = model(**tok(rows[0]["text_a"], rows[0]["text_b"], return_tensors="pt"))
print(json.dumps({"n": len(rows), "labels": sorted(set(labels)), "perfect": metric(labels, labels),
                  "source": loaded.source, "first": rows[0]["text_a"],
                  "hidden": out.last_hidden_state.shape[-1], "tasks_dir": str(plugin.HERE / "tasks"),
                  "data_dir": str(plugin.sample_data_dir()),
                  "sts": load_split(Catalog(reg).task("example_sts"), "test", "de",
                                    data_dir=plugin.sample_data_dir()).dataset.to_list()[:1]}))
'''
    info = json.loads(sh(py, "-c", check).stdout.strip().splitlines()[-1])
    assert info["n"] == 6 and info["labels"] == ["contradiction", "entailment", "neutral"]
    assert info["perfect"] == 1.0 and info["hidden"] == 16
    assert info["source"].startswith("local:example") and info["first"].startswith("Ein Mann")
    ok = sh(py, "-m", "xbench", "tasks", "validate", info["tasks_dir"])
    assert ok.stdout.startswith("ok: 2 spec")

    # its own task type: rows through its canonical_row, fine-tuned on English, evaluated zero-shot
    assert info["sts"] == [{"id": "test-1", "sentence1": "Ein Mann spielt auf der Bühne Gitarre.",
                            "sentence2": "Ein Mann macht Musik.", "score": 3.6}]
    table = sh(py, "-m", "xbench", "eval", "--model", "tiny-random-bert", "--tasks", "example_sts",
               "--data-dir", info["data_dir"], "--output", str(tmp_path / "run"), "--device", "cpu",
               "--format", "csv").stdout.strip().splitlines()
    header, row = table[0].split(","), dict(zip(table[0].split(","), table[1].split(",")))
    assert header[:6] == ["task", "split", "metric", "en", "de", "es"]
    assert (row["task"], row["split"], row["metric"]) == ("example_sts", "test", "pairwise_accuracy")
    assert all(0 <= float(row[lang]) <= 100 for lang in ("en", "de", "es"))  # a score per language, ×100

    sh(py, "-m", "pip", "uninstall", "-y", "--quiet", "xbench-example-plugin")
    after = {r["name"] for r in xbench_json(py, "tasks", "list")}
    assert "example_nli" not in after and "example_sts" not in after
    metrics = {r["name"] for r in xbench_json(py, "plugins", "--kind", "metrics")}
    assert "macro_f1" not in metrics and "accuracy" in metrics
