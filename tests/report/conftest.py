"""Real engine output for the report tests: three tiny runs of `xbench.evaluate` on a PAN-X cut."""

import shutil

import pytest

from helpers.mini_data import make_panx_root
from helpers.tiny_model import make_tiny_model

# (model folder name, seeds, weight noise): distinct folders give distinct run labels, the noise
# distinct scores to sort, and two seeds a mean ± sd
RUNS = (("tiny-alpha", (1, 2), 0.0), ("tiny-beta", (1,), 0.05), ("tiny-gamma", (1,), 0.1))


def _noisy_copy(src, dst, scale, seed):
    """The tiny model with Gaussian noise on its weights (another "model" with other scores)."""
    import torch
    from transformers import BertModel

    shutil.copytree(src, dst)
    if not scale:
        return dst
    model = BertModel.from_pretrained(dst)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn(param.shape, generator=generator) * scale)
    model.save_pretrained(dst)
    return dst


@pytest.fixture(scope="session")
def engine_runs(tmp_path_factory, shared_data):
    """Run folders of three finished tiny evaluations (panx en/de/fr dev, 20 sentences each)."""
    import xbench

    base = tmp_path_factory.mktemp("report_runs")
    root = make_panx_root(shared_data, base / "data")
    tiny = make_tiny_model(base / "tiny")
    folders = []
    with pytest.MonkeyPatch.context() as mp:  # session scope: the per-test XBENCH_HOME is not set yet
        mp.setenv("XBENCH_HOME", str(base / "home"))
        mp.setenv("HF_HUB_OFFLINE", "1")
        for number, (name, seeds, noise) in enumerate(RUNS):
            model = _noisy_copy(tiny, base / name, noise, number)
            out = base / "runs" / name
            xbench.evaluate(str(model), "panx", languages=["en", "de", "fr"], split="dev", train_limit=32,
                            epochs=1, batch_size=8, limit=20, seeds=list(seeds), output=out, data_dir=root,
                            progress=False, record=False)
            folders.append(out)
    return folders
