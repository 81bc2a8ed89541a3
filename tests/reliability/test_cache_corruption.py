"""A damaged cache entry is detected, reported with a warning naming its file, rebuilt, and the run
gives the results of a clean run: the tokenisation cache, the examples cache, the sentence-embedding
cache, the file-hash memo and the spec index; a finished training's record (``done.json``) is checked on read too.
Entries are damaged the two ways a disk or a crash damages them: cut short, and one byte flipped in
place (same size)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from helpers.mini_data import make_panx_root, make_pipeline_root
from xbench.cli import cli


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny_model, one_torch_thread: conftest.py


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    else:  # flip one byte in the middle, size unchanged
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:])


def invoke(argv: list[str]):
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output + (result.stderr if result.stderr_bytes is not None else "")
    return result


def outputs(out: Path) -> dict[str, bytes]:
    """The per-item and prediction files of a run, and each cell's metrics."""
    found = {str(f.relative_to(out)): f.read_bytes() for pattern in ("seed-*/items/**/*", "seed-*/predictions/**/*")
             for f in out.glob(pattern) if f.is_file()}
    for f in out.glob("seed-*/cells/**/*.json"):
        found[str(f.relative_to(out))] = json.dumps(json.loads(f.read_text())["metrics"], sort_keys=True).encode()
    return found


# ---- tokenisation cache (xbench.data.tokenize) ----------------------------------------------------------

@pytest.mark.parametrize("how", ["truncate", "flip"])
def test_damaged_tokenisation_entry_is_rebuilt_and_the_run_equals_a_clean_one(tiny_model, shared_data, tmp_path,
                                                                               isolated_home, how):
    from xbench.data.tokenize import drop_if_damaged

    root = make_panx_root(shared_data, tmp_path / "data", train=24, dev=12, langs=("en", "de"))

    def argv(out):
        return ["eval", "--model", str(tiny_model), "--tasks", "panx", "--languages", "en,de", "--split", "dev",
                "--train-limit", "24", "--epochs", "1", "--batch-size", "8", "--data-dir", str(root),
                "--output", str(out)]

    invoke(argv(tmp_path / "clean"))
    entries = sorted((isolated_home / "cache" / "tokenized").glob("*.arrow"))
    assert len(entries) >= 3  # the English training split and the two evaluation splits
    original = {e: e.read_bytes() for e in entries}
    for entry in entries:
        damage(entry, how)
    result = invoke(argv(tmp_path / "again"))
    for entry in entries:
        assert f"xbench: warning: {entry}: damaged tokenisation cache entry" in result.stderr
        assert entry.read_bytes() == original[entry]  # rebuilt, the same bytes as the first time
        assert not drop_if_damaged(entry)  # and its check matches again
    assert outputs(tmp_path / "again") == outputs(tmp_path / "clean")
    assert "cache entry" not in invoke(argv(tmp_path / "third")).stderr  # a sound entry is used silently


def test_entry_without_its_check_is_not_trusted(tmp_path, capsys):
    from xbench.data.tokenize import check_path, drop_if_damaged, file_check

    entry = tmp_path / "k.arrow"
    entry.write_bytes(b"arrow bytes")
    check_path(entry).write_text(json.dumps(file_check(entry)))
    assert not drop_if_damaged(entry) and entry.exists()
    check_path(entry).unlink()  # e.g. killed between the entry's rename and its check's
    assert drop_if_damaged(entry) and not entry.exists()
    assert f"{entry}: damaged tokenisation cache entry" in capsys.readouterr().err


# ---- examples cache (xbench.data.examples_cache) --------------------------------------------------------

@pytest.mark.parametrize("how", ["truncate", "flip"])
def test_damaged_examples_entry_is_rebuilt_and_the_run_equals_a_clean_one(tiny_model, shared_data, tmp_path,
                                                                          isolated_home, how):
    root = make_panx_root(shared_data, tmp_path / "data", train=24, dev=12, langs=("en", "de"))

    def argv(out):
        return ["eval", "--model", str(tiny_model), "--tasks", "panx", "--languages", "en,de", "--split", "dev",
                "--train-limit", "24", "--epochs", "1", "--batch-size", "8", "--data-dir", str(root),
                "--output", str(out)]

    invoke(argv(tmp_path / "clean"))
    entries = sorted((isolated_home / "cache" / "examples").glob("*.arrow"))
    assert len(entries) >= 3  # the English training split and the two evaluation splits
    original = {e: e.read_bytes() for e in entries}
    for entry in entries:
        damage(entry, how)
    result = invoke(argv(tmp_path / "again"))
    for entry in entries:
        assert result.stderr.count(f"xbench: warning: {entry}: damaged examples cache entry") == 1
        assert entry.read_bytes() == original[entry]  # rebuilt, the same bytes as the first time
    assert outputs(tmp_path / "again") == outputs(tmp_path / "clean")
    assert "cache entry" not in invoke(argv(tmp_path / "third")).stderr  # a sound entry is used silently


# ---- sentence-embedding cache (xbench.retrieval.embed_cache) --------------------------------------------

@pytest.mark.parametrize("how", ["truncate", "flip"])
def test_damaged_embedding_entry_is_recomputed_and_the_run_equals_a_clean_one(tiny_model, shared_data, tmp_path,
                                                                              isolated_home, how):
    root = make_pipeline_root(shared_data, tmp_path / "data")

    def argv(out):
        return ["eval", "--model", str(tiny_model), "--tasks", "tatoeba", "--languages", "de", "--limit", "40",
                "--data-dir", str(root), "--output", str(out)]

    invoke(argv(tmp_path / "clean"))
    entries = sorted((isolated_home / "cache" / "embeddings").glob("*/*.pt"))
    assert len(entries) == 2  # the German and the English sentences
    original = {e: torch.load(e, weights_only=True)["embeddings"] for e in entries}
    for entry in entries:
        damage(entry, how)
    result = invoke(argv(tmp_path / "again"))
    for entry in entries:
        assert f"xbench: warning: {entry}: damaged embedding cache entry" in result.stderr
        assert torch.equal(torch.load(entry, weights_only=True)["embeddings"], original[entry])  # rebuilt
    assert outputs(tmp_path / "again") == outputs(tmp_path / "clean")
    assert outputs(tmp_path / "clean")


def test_changed_vectors_under_a_valid_file_fail_their_checksum(tmp_path, capsys):
    """A file torch still loads, whose numbers changed: only the checksum can tell."""
    from xbench.retrieval.embed_cache import EmbeddingCache, cache_key

    cache = EmbeddingCache(tmp_path)
    key = cache_key(weights="w", layer=1, pooling="mean", data="d")
    path = cache.save(key, torch.ones(3, 4))
    entry = torch.load(path, weights_only=True)
    entry["embeddings"][1, 2] = 0.5
    torch.save(entry, path)
    assert cache.load(key) is None and not path.exists()
    assert f"{path}: damaged embedding cache entry" in capsys.readouterr().err
    vectors, cached = cache.get_or_compute(key, lambda: torch.ones(3, 4))
    assert not cached and torch.equal(cache.load(key), torch.ones(3, 4))


# ---- file-hash memo (xbench.filehash) and spec index (xbench.spec.index_cache) --------------------------

def test_damaged_file_hash_memo_entry_is_hashed_again(tmp_path, isolated_home, capsys, monkeypatch):
    import hashlib

    import xbench.filehash as filehash

    data = tmp_path / "train.tsv"
    data.write_text("a\tb\n")
    monkeypatch.setattr(filehash, "RACY_SECONDS", 0)  # a file written just now is trusted at once
    time.sleep(0.01)
    truth = hashlib.sha256(data.read_bytes()).hexdigest()
    assert filehash.content_sha256(data) == truth
    memo_path = isolated_home / "cache" / filehash.MEMO_NAME
    memo = json.loads(memo_path.read_text())
    memo[str(data.resolve())]["sha256"] = "0" * 64  # one digest garbled
    memo_path.write_text(json.dumps(memo))
    filehash._memo = None  # a new process reads the memo from disk
    assert filehash.content_sha256(data) == truth
    assert f"{memo_path}: damaged entry for {data.resolve()}" in capsys.readouterr().err
    filehash._memo = None
    assert filehash.content_sha256(data) == truth and "damaged" not in capsys.readouterr().err  # repaired


@pytest.mark.parametrize("how", ["truncate", "flip"])
def test_damaged_spec_index_is_rebuilt(isolated_home, how):
    clean = invoke(["tasks", "list"]).output
    index = isolated_home / "cache" / "spec-index.json"
    assert index.is_file()
    damage(index, how)
    assert invoke(["tasks", "list"]).output == clean
    json.loads(index.read_text())  # rewritten whole
    assert invoke(["tasks", "list"]).output == clean


# ---- completion records of trainings (xbench.train.loop.done.json) ---------------------------------------

def test_damaged_training_record_is_not_trusted(tmp_path, capsys):
    from xbench.train.loop import DONE, TrainResult, load_done

    (tmp_path / "best").mkdir()
    record = TrainResult(tmp_path / "best", [{"epoch": 1, "score": 0.5}], 1).to_dict()
    (tmp_path / DONE).write_text(json.dumps(record))
    assert load_done(tmp_path).path == tmp_path / "best"
    (tmp_path / DONE).write_text(json.dumps(record)[:30])  # cut short
    assert load_done(tmp_path) is None and not (tmp_path / DONE).exists()
    assert f"{tmp_path / DONE}: unusable record of a finished training" in capsys.readouterr().err
    (tmp_path / DONE).write_text(json.dumps({**record, "path": str(tmp_path / "gone" / "elsewhere")}))
    assert load_done(tmp_path) is None  # its checkpoint is nowhere: train again


def test_training_record_of_a_moved_run_folder_finds_its_checkpoint(tmp_path):
    from xbench.train.loop import DONE, TrainResult, load_done

    (tmp_path / "best").mkdir()
    record = TrainResult(Path("/old/place/best"), [], None).to_dict()
    (tmp_path / DONE).write_text(json.dumps(record))
    assert load_done(tmp_path).path == tmp_path / "best"
