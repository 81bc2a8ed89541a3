"""Retrieval task types through the engine: Tatoeba's prediction-file semantics on real files, and
dual-encoder ranking on the LAReQA / Mewsli-X fixtures (tiny random model: behaviour, not quality)."""

import json
from pathlib import Path

import xbench

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "original"


def test_tatoeba_prediction_file_follows_xtreme(tiny_model, shared_data, tmp_path):
    out = tmp_path / "run"
    res = xbench.evaluate(str(tiny_model), "xtreme/tatoeba", languages=["de", "jv"], limit=60, output=out,
                          data_dir=shared_data, progress=False, record=False)
    english = (shared_data / "tatoeba" / "tatoeba.deu-eng.eng").read_text(encoding="utf-8").splitlines()[:60]
    stripped = [line.strip() for line in english]
    sorted_rows = sorted(range(60), key=stripped.__getitem__)  # stable: ties keep file order
    preds = (out / "seed-1" / "predictions" / "tatoeba" / "test-de.tsv").read_text().splitlines()
    assert len(preds) == 60 and all(0 <= int(p) < 60 for p in preds)
    items = [json.loads(x) for x in (out / "seed-1" / "items" / "tatoeba" / "test-de.jsonl").read_text().splitlines()]
    assert [it["reference"] for it in items] == sorted_rows
    assert [str(it["prediction"]) for it in items] == preds
    cell = next(c for c in res.cells if c.language == "de")
    acc = sum(int(p) == g for p, g in zip(preds, sorted_rows)) / 60
    assert abs(cell.metrics["accuracy"] - acc) < 1e-12
    assert "hidden layer" in cell.info["layer"]
    jv = next(c for c in res.cells if c.language == "jv")
    assert jv.n_items == 60


def test_dual_encoder_ranking_on_fixtures(tiny_model, tmp_path):
    res = xbench.evaluate(str(tiny_model), "lareqa,mewslix", languages={"lareqa": ["en", "de"], "mewslix": ["en"]},
                          output=tmp_path / "run", data_dir=FIXTURES, progress=False, record=False)
    cells = {(c.task, c.language): c for c in res.cells}
    for key, metric in ((("lareqa", "en"), "map_at_20"), (("lareqa", "de"), "map_at_20"),
                        (("mewslix", "en"), "mrr_at_20")):
        cell = cells[key]
        assert cell.status == "ok" and 0.0 <= cell.metrics[metric] <= 1.0
        assert "dual_encoder_not_finetuned" in cell.flags
        items = (tmp_path / "run" / "seed-1" / "items" / key[0] / f"test-{key[1]}.jsonl").read_text().splitlines()
        assert len(items) == cell.n_items == cell.info["n_queries"]
        assert all(len(json.loads(x)["prediction"]) == cell.info["top_k"] for x in items)


def test_xtreme_r_tatoeba_flags_a_raw_encoder_and_reused_cells_follow_the_group(tiny_model, shared_data, tmp_path):
    out = tmp_path / "run"

    def run(address):
        res = xbench.evaluate(str(tiny_model), address, languages=["de"], limit=20, output=out,
                              data_dir=shared_data, progress=False, record=False)
        (cell,) = res.cells
        return cell, res.table()

    xtreme, table = run("xtreme/tatoeba")
    assert "encoder_not_finetuned" not in xtreme.flags and xtreme.info["mode"] == "tatoeba"
    assert "retrieval layer: xtreme/tatoeba [test]: hidden layer" in table  # the layer is printed
    # the same cell for XTREME-R (whose protocol fine-tunes the encoder on SQuAD) is flagged, not reused
    xtreme_r, _ = run("xtreme-r/tatoeba")
    assert "encoder_not_finetuned" in xtreme_r.flags and xtreme_r.info["encoder_training"] is None
    assert xtreme_r.metrics == xtreme.metrics
    again, _ = run("xtreme/tatoeba")
    assert "encoder_not_finetuned" not in again.flags
