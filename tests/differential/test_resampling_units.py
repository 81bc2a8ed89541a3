"""`xbench analyze` resamples what the cells' intervals resample: on the real XQuAD/MLQA/TyDiQA files
the items file carries each question's unit (article, else paragraph), and a one-run contrast built
from the run folder reproduces the stored cell interval exactly."""

from __future__ import annotations

import pytest

from tests.differential.conftest import LANGUAGES, SEED

CASES = [("xquad", "en"), ("mlqa", "de"), ("tydiqa", "sw")]


@pytest.mark.parametrize("task,lang", CASES)
def test_contrast_from_the_run_folder_reproduces_the_cells_cluster_interval(diff_run, task, lang):
    from xbench.analysis.common import cell_metric
    from xbench.analysis.groups import aligned_group
    from xbench.analysis.sources import load_runs
    from xbench.analysis.stats import bootstrap_contrast

    assert lang in LANGUAGES[task]
    (run,) = load_runs([str(diff_run.folder)])
    cell = run.cell(task, lang, SEED)
    boot = cell.info["bootstrap"]
    assert boot["unit"] in ("article", "paragraph")
    chosen = cell_metric(cell, "f1")
    group = aligned_group([("run", run, 1.0)], task, lang, [SEED], chosen)
    assert group.units is not None and len(set(group.units)) == boot["n_units"] <= len(group.references)
    if boot["unit"] == "article":  # XQuAD/MLQA: many questions per article (TyDiQA-GoldP: ~one per paragraph)
        assert boot["n_units"] < len(group.references)
    contrast = bootstrap_contrast([group], n_resamples=boot["resamples"], seed=boot["seed"],
                                  confidence=boot["confidence"])
    assert contrast.estimate == pytest.approx(cell.metrics["f1"], abs=1e-12)
    assert [contrast.low, contrast.high] == pytest.approx(cell.ci["f1"], abs=1e-12)
