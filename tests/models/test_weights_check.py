"""Damaged safetensors weights: named with their sizes once loading fails, and a run stopped by them
(exit 2) keeps what other models finished and writes nothing for the model that failed."""

import json
import shutil
import struct

import pytest
from click.testing import CliRunner

from helpers.mini_data import make_pipeline_root
from helpers.tiny_model import make_tiny_model
from xbench.cli import cli
from xbench.models.weights_check import damaged_weights_error, shortfall


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("tiny_bert"))


def copy_cut(tiny, dst, keep):
    shutil.copytree(tiny, dst)
    weights = dst / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:keep(weights.stat().st_size)])
    return dst


def test_a_whole_file_is_not_short_and_a_cut_one_says_how_short(tiny, tmp_path):
    whole = tiny / "model.safetensors"
    assert shortfall(whole) is None
    size = whole.stat().st_size
    cut = copy_cut(tiny, tmp_path / "cut", lambda n: n - 1) / "model.safetensors"
    assert shortfall(cut) == f"{size - 1} of {size} bytes the header declares"
    (length,) = struct.unpack("<Q", whole.read_bytes()[:8])
    table = copy_cut(tiny, tmp_path / "table", lambda n: 9 + length // 2) / "model.safetensors"
    assert shortfall(table) == f"{9 + length // 2} of at least {8 + length} bytes the header declares"


def test_the_error_names_the_short_file_among_several(tiny, tmp_path):
    folder = copy_cut(tiny, tmp_path / "m", lambda n: n)
    shutil.copy(folder / "model.safetensors", folder / "model-00001-of-00002.safetensors")
    (folder / "model-00002-of-00002.safetensors").write_bytes(b"\x00" * 5)
    line = str(damaged_weights_error(str(folder), RuntimeError("header too small")))
    assert "model-00002-of-00002.safetensors is cut short (5 bytes" in line and "(fix: re-download" in line


def test_a_damaged_file_that_is_not_short_keeps_the_reason_safetensors_gave(tiny, tmp_path):
    folder = copy_cut(tiny, tmp_path / "m", lambda n: n)
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", 4) + b"[1] ")
    line = str(damaged_weights_error(str(folder), RuntimeError("invalid JSON in header\nmore")))
    assert line.startswith(f"model weights file {folder / 'model.safetensors'} cannot be read by safetensors "
                           "(invalid JSON in header)")


def test_a_run_stops_at_a_model_whose_weights_are_cut_and_keeps_the_other_models_cells(tiny, tmp_path, shared_data):
    import yaml

    root = make_pipeline_root(shared_data, tmp_path / "data")
    cut = copy_cut(tiny, tmp_path / "cut", lambda n: n // 2)
    exp = tmp_path / "exp.yaml"
    exp.write_text(yaml.safe_dump({"experiment": "two", "models": [str(tiny), str(cut)],
                                   "intermediate": {"none": "none"}, "targets": [{"tatoeba": {"languages": ["de"]}}],
                                   "seeds": [1], "limit": 8, "batch_size": 8, "resources": {"cpus": 1}}))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(exp), "--data-dir", str(root), "--output", str(out)])
    assert result.exit_code == 2, result.output
    errors = [ln for ln in result.output.splitlines() if ln.startswith("xbench: error:")]
    assert len(errors) == 1 and f"model weights file {cut / 'model.safetensors'} is cut short" in errors[0]
    cells = {p.relative_to(out).parts[0]: json.loads(p.read_text()) for p in out.rglob("cells/**/*.json")}
    good, bad = (f"{p.name}-" for p in (tiny, cut))
    assert [c["status"] for name, c in cells.items() if name.startswith(good)] == ["ok"]  # finished: kept
    assert not [name for name in cells if name.startswith(bad)]  # nothing of the model that failed
    assert not list(out.rglob("results.json"))  # no run recorded as complete
