"""A training stage's checkpoint is keyed by the code that trains and selects it: a new version of the
task type or of the selection metric trains a new checkpoint instead of reusing the old one."""

import pytest

import xbench
from helpers.mini_data import make_panx_root


@pytest.fixture()
def panx_root(shared_data, tmp_path):
    return make_panx_root(shared_data, tmp_path / "data")


def checkpoints(model, root, out):
    """Run the fine-tuning eval; the stage checkpoint folders (one per content key) it leaves."""
    xbench.evaluate(str(model), "panx", languages=["en"], split="dev", train_limit=16, limit=8, epochs=1,
                    batch_size=4, output=out, data_dir=root, progress=False, record=False)
    return sorted(p.name for p in (out / "seed-1" / "models").iterdir() if p.is_dir() and "__" in p.name)


@pytest.mark.parametrize("bump", ["metric", "task_type"])
def test_a_new_code_version_trains_a_new_checkpoint(tiny_model, panx_root, tmp_path, monkeypatch, bump):
    from xbench.metrics import tagging
    from xbench.tasktypes.tagging import TokenTagging

    out = tmp_path / "run"
    first = checkpoints(tiny_model, panx_root, out)
    assert len(first) == 1
    assert checkpoints(tiny_model, panx_root, out) == first  # unchanged code: reused
    if bump == "metric":
        monkeypatch.setattr(tagging.tagging_f1, "version", (tagging.tagging_f1.version or 0) + 1, raising=False)
    else:
        monkeypatch.setattr(TokenTagging, "version", (TokenTagging.version or 0) + 1)
    after = checkpoints(tiny_model, panx_root, out)
    assert len(after) == 2 and first[0] in after
