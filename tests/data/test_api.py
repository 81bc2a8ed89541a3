"""``load_split`` through the catalog: canonical schema, stable ids, flags, missing cells, sources."""

from __future__ import annotations

import shutil

import pytest

from xbench.data import load_split
from xbench.data.api import read_cell
from xbench.data.errors import DataFileError, MissingDataError
from xbench.errors import UserError

integration = pytest.mark.integration


@integration
def test_xcopa_multiple_choice_schema_and_ids(catalog, shared_data):
    loaded = load_split(catalog.task("xcopa"), "test", "th", data_dir=shared_data)
    ds = loaded.dataset
    # the canonical multiple-choice columns, and the spec's item_subsets (XCOPA: changed)
    assert ds.column_names == ["id", "context", "question", "choices", "label", "subsets"]
    assert len(ds) == 500 and ds[0]["id"] == "0" and len(ds[0]["choices"]) == 2 and ds[0]["label"] in (0, 1)
    assert loaded.split == "test" and loaded.source == f"local:shared {shared_data}" and loaded.flags == []
    assert loaded.files == [str(shared_data / "xcopa/data/th/test.th.jsonl")] and len(loaded.skipped) == 0
    et = load_split(catalog.task("xcopa"), "test", "et", data_dir=shared_data, limit=3)
    assert et.dataset["id"] == ["0", "1", "2"]  # the same ids as the parallel Thai items


@integration
def test_parallel_ids_for_xnli_rows_and_xquad_questions(catalog, shared_data):
    en = load_split(catalog.task("xnli"), "validation", "en", data_dir=shared_data, limit=5).dataset
    de = load_split(catalog.task("xnli"), "validation", "de", data_dir=shared_data, limit=5).dataset
    assert en["id"] == de["id"] == ["0", "1", "2", "3", "4"] and en["label"] == de["label"]
    q_en = load_split(catalog.task("xquad"), "test", "en", data_dir=shared_data, limit=4).dataset
    q_zh = load_split(catalog.task("xquad"), "test", "zh", data_dir=shared_data, limit=4).dataset
    assert q_en["id"] == q_zh["id"] and q_en.column_names == ["id", "title", "question", "context", "answers"]


@integration
def test_flags_and_stand_in(catalog, shared_data):
    de = load_split(catalog.task("pawsx"), "test", "de", data_dir=shared_data)
    assert de.flags == ["hf_export"] and de.dataset.features["label"].dtype == "string"
    assert de.notes and de.notes[0].startswith("32 untranslated 'NS' placeholder rows")
    hi = load_split(catalog.task("udpos"), "test", "hi", data_dir=shared_data, limit=2)
    assert set(hi.flags) == {"ud_current_not_v2.5", "single_treebank", "pud_treebank"}
    dev = load_split(catalog.task("xnli"), "validation", "fr", data_dir=shared_data, limit=2, stand_in_for="test")
    assert dev.split == "validation" and "dev_as_test" in dev.flags and dev.stand_in_for == "test"


@integration
def test_missing_cell_lists_paths_and_homepage_and_never_substitutes(catalog, shared_data):
    with pytest.raises(MissingDataError) as err:
        load_split(catalog.task("xnli"), "test", "fr", data_dir=shared_data)
    message = str(err.value)
    assert "xnli/test/fr" in message and "https://github.com/facebookresearch/XNLI" in message
    assert "no test labels" in message and "\n" not in message
    with pytest.raises(MissingDataError) as err:
        load_split(catalog.task("panx"), "validation", "th", data_dir=shared_data)
    assert err.value.tried == [str(shared_data / "panx/dev-th.tsv")]


def test_unknown_split_or_language_is_a_user_error(catalog, original_root):
    with pytest.raises(UserError, match="has no split 'dev'"):
        read_cell(catalog.task("xcopa"), "dev", "th", data_dir=original_root)
    with pytest.raises(UserError, match="no language 'fr'"):
        read_cell(catalog.task("xcopa"), "test", "fr", data_dir=original_root)


@integration
def test_env_data_dir_and_count_from_parsing(catalog, shared_data, tmp_path, monkeypatch):
    (tmp_path / "xcopa/data/qu").mkdir(parents=True)
    lines = (shared_data / "xcopa/data/qu/val.qu.jsonl").read_bytes().splitlines(keepends=True)
    (tmp_path / "xcopa/data/qu/val.qu.jsonl").write_bytes(b"".join(lines[:37]) + lines[37][:25])
    monkeypatch.setenv("XBENCH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("XBENCH_DATA_LAYOUT", "shared")
    loaded = load_split(catalog.task("xcopa"), "validation", "qu")
    assert len(loaded.dataset) == 37 and len(loaded.skipped) == 1 and loaded.skipped[0].line == 38


def test_anli_plus_from_several_files_with_label_maps(catalog, original_root):
    loaded = load_split(catalog.task("anli"), "train", "en", data_dir=original_root)
    ds = loaded.dataset
    # SNLI 3 (its "-" pair skipped) + MNLI 2 + ANLI R1 2, R2 1, R3 1
    assert len(ds) == 9 and set(ds["label"]) == {"entailment", "neutral", "contradiction"}
    assert [s.reason for s in loaded.skipped] == ["label '-' is not in the layout's label_map"]
    assert ds[0]["id"] == "3416050480.jpg#4r1n" and ds[-1]["id"] == "R3-train-0"
    assert len(loaded.files) == 5


@pytest.mark.parametrize("task,split,lang,n,first", [
    ("hellaswag", "validation", "en", 2, {"label": 3, "id": "24"}),
    ("hellaswag", "test", "en", 1, {"label": -1}),
    ("race", "validation", "en", 3, {"id": "high2.txt-0", "label": 3}),
    ("mnli", "validation_matched", "en", 1, {"label": "neutral"}),
    ("qqp", "validation", "en", 3, {"id": "201359", "label": "0"}),
    ("commonsenseqa", "validation", "en", 1, {"label": 1}),
    ("ccg", "validation", "en", 2, {"id": "wsj_0001.1"}),
    ("ccg", "train", "en", 6, {"id": "wsj_0200.1"}),
    ("lareqa", "test", "en", 2 + 4, {"kind": "query", "targets": ["de:0:0:0", "en:0:0:0"]}),
    ("mewslix", "test", "de", 2 + 3, {"kind": "query", "targets": ["Q64"]}),
])
def test_fixture_tasks_through_the_original_layout(catalog, original_root, task, split, lang, n, first):
    loaded = load_split(catalog.task(task), split, lang, data_dir=original_root)
    assert len(loaded.dataset) == n
    row = loaded.dataset[0]
    assert {k: row[k] for k in first} == first


def test_limit_on_retrieval_keeps_some_of_each_kind(catalog, original_root):
    loaded = load_split(catalog.task("mewslix"), "test", "de", data_dir=original_root, limit=1)
    assert loaded.dataset["kind"] == ["query", "candidate"]


def test_licensed_task_never_goes_to_the_hub(catalog):
    with pytest.raises(UserError, match="licensed data, read from local files only"):
        load_split(catalog.task("ccg"), "test", "en")


def test_spec_column_missing_from_data_is_a_located_error(catalog, original_root, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(original_root / "hellaswag", root / "hellaswag")
    (root / "hellaswag/data/hellaswag_val.jsonl").write_text('{"ind": 1, "context": "x", "endings": ["a"]}\n')
    with pytest.raises(DataFileError, match=r"hellaswag_val\.jsonl:1: column 'ctx' .* it has: ind, context, endings"):
        load_split(catalog.task("hellaswag"), "validation", "en", data_dir=root)


def test_xtreme_download_layout_marks_stripped_test_labels(catalog, tmp_path):
    dl = tmp_path / "download"
    (dl / "xnli").mkdir(parents=True)
    (dl / "panx").mkdir()
    (dl / "download.log").write_text("Successfully downloaded data\n")
    (dl / "xnli/dev-de.tsv").write_text('Er sagt "Hallo".\tEr grüßt.\tentailment\n', encoding="utf-8")
    (dl / "xnli/test-de.tsv").write_text('"Er sagt ""Hallo""."\tEr grüßt.\n', encoding="utf-8")
    (dl / "panx/test-de.tsv").write_text("Berlin\nist\n\nschön\n", encoding="utf-8")
    test = load_split(catalog.task("xnli"), "test", "de", data_dir=tmp_path)
    assert test.source == f"local:xtreme {dl}" and test.flags == ["unlabelled"]
    assert test.dataset[0] == {"id": "0", "text_a": 'Er sagt "Hallo".', "text_b": "Er grüßt.", "label": ""}
    dev = load_split(catalog.task("xnli"), "validation", "de", data_dir=tmp_path)
    assert dev.flags == [] and dev.dataset["label"] == ["entailment"]
    panx = load_split(catalog.task("panx"), "test", "de", data_dir=tmp_path)
    assert panx.dataset["tokens"] == [["Berlin", "ist"], ["schön"]] and panx.dataset["tags"] == [[], []]


def test_files_without_items_for_the_language_are_missing(catalog, original_root):
    with pytest.raises(MissingDataError, match="the file\\(s\\) hold no items for this language"):
        load_split(catalog.task("mewslix"), "test", "ar", data_dir=original_root)
