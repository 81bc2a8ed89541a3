"""Cells whose files are there but unusable as they are (issue 12: D4, D5, D9, D12): a located
``DataFileError`` / ``LayoutError`` from the data layer, decided by the task type, never a task name."""

from __future__ import annotations

import json

import pytest

from xbench.data import api
from xbench.data.errors import DataFileError, LayoutError
from xbench.data.manifest import select_layout


def xtreme_root(tmp_path, files: dict[str, str]):
    root = tmp_path / "data"
    root.mkdir()
    (root / "download.log").write_text("x\n")  # XTREME's layout marker
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def read(catalog, root, task, split, lang):
    return api.load_split(catalog.task(task), split, lang, data_dir=root)


@pytest.mark.parametrize("text", ["", "\n\n \n"], ids=["empty", "blank"])
def test_a_format_that_accepts_an_empty_file_still_gives_a_located_error(catalog, tmp_path, text):
    """SIQA's loader yields nothing for a blank file (no labels file to disagree with): the cell has
    no examples, which is a broken file, not missing data (a training stage would become "missing")."""
    root = xtreme_root(tmp_path, {"siqa/socialIQa_v1.4_trn.jsonl": text})
    with pytest.raises(DataFileError, match=r"socialIQa_v1\.4_trn\.jsonl: .*empty.* \(fix: "):
        read(catalog, root, "siqa", "train", "en")


def mc_rows(*rows):
    return "".join(json.dumps({"premise": "p", "choice1": "a", "choice2": "b", "question": "cause", **r}) + "\r\n"
                   for r in rows)


def test_choice_label_past_the_choices_is_named_as_such(catalog, tmp_path):
    root = xtreme_root(tmp_path, {"xcopa/val.et.jsonl": mc_rows({"label": 0, "idx": 0}, {"label": 2, "idx": 1})})
    with pytest.raises(DataFileError) as err:
        read(catalog, root, "xcopa", "validation", "et")
    assert str(err.value).startswith(f"{root / 'xcopa' / 'val.et.jsonl'}:2: label 2 is outside {{0, 1}}: it is the "
                                     "index of choice1/choice2 (fix: ")


def test_a_label_that_is_no_integer_stays_a_counted_skip(catalog, tmp_path):
    root = xtreme_root(tmp_path, {"xcopa/val.et.jsonl": mc_rows({"label": 0, "idx": 0}, {"label": "x", "idx": 1})})
    loaded = read(catalog, root, "xcopa", "validation", "et")
    assert len(loaded.dataset) == 1 and loaded.skipped[0].line == 2 and "skipped_rows=1" in loaded.flags


def test_repeated_item_id_is_refused_at_its_second_line(catalog, tmp_path):
    root = xtreme_root(tmp_path, {"xcopa/val.et.jsonl": mc_rows({"label": 0, "idx": 7}, {"label": 1, "idx": 3},
                                                                 {"label": 1, "idx": 7})})
    with pytest.raises(DataFileError, match=r"val\.et\.jsonl:3: item id '7' occurs twice \(first at line 1\)"):
        read(catalog, root, "xcopa", "validation", "et")


def test_repeated_question_ids_are_kept_where_the_type_repeats_them(catalog, tmp_path):
    """XTREME's TyDiQA split shortens ids so questions share them: extractive QA loads them all."""
    qas = [{"id": "0", "question": q, "answers": [{"text": "Paris", "answer_start": 0}]} for q in ("a?", "b?")]
    doc = {"version": "1.1", "data": [{"title": "t", "paragraphs": [{"context": "Paris is big.", "qas": qas}]}]}
    root = xtreme_root(tmp_path, {"tydiqa/tydiqa-goldp-v1.1-train/tydiqa.goldp.en.train.json": json.dumps(doc)})
    assert len(read(catalog, root, "tydiqa", "train", "en").dataset) == 2


def test_positional_ids_of_several_files_do_not_collide(catalog, tmp_path):
    """Rows without an id column get their position: unique per cell even when it reads several files."""
    from xbench.data.canonical import canonicalise
    from xbench.data.manifest import CellPlan, FileRead
    from xbench.data.reader import iter_rows
    from xbench.data.skips import SkipLog

    root = xtreme_root(tmp_path, {"a.tsv": "x\ty\tneutral\n", "b.tsv": "x\ty\tneutral\n"})
    reads = [FileRead(root / n, "tsv", {"columns": ["sentence1", "sentence2", "label"]}) for n in ("a.tsv", "b.tsv")]
    plan = CellPlan("xnli", "validation", "de", "xtreme", root, reads)
    task_type = api.task_type_of(catalog.task("xnli"))
    rows = list(canonicalise(task_type, iter_rows(plan, label_column="label", skips=SkipLog()),
                             {"text_a": "sentence1", "text_b": "sentence2", "label": "label"}))
    api._check_unique_ids(task_type, rows)
    assert len({r["id"] for r in rows}) == 2


@pytest.mark.parametrize("sub, task, parent", [("xnli", "tasks xnli, mnli", "its parent"),
                                                 ("tydiqa/tydiqa-goldp-v1.1-train", "task tydiqa", "the data root")])
def test_a_task_folder_passed_as_the_data_root_names_the_root(tmp_path, sub, task, parent):
    root = xtreme_root(tmp_path, {"xnli/dev-en.tsv": "a\tb\tneutral\n", f"{sub}/x": "x"})
    with pytest.raises(LayoutError) as err:
        select_layout(root / sub)
    text = str(err.value)
    assert f"it looks like the folder of {task} inside the data root {root.resolve()} (layout 'xtreme')" in text
    assert f"(fix: pass {parent} {root.resolve()} as --data-dir" in text


def test_a_folder_of_no_layout_keeps_the_plain_message(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(LayoutError, match=r"no marker files .* \(fix: pass --layout NAME\)$"):
        select_layout(tmp_path / "x")
