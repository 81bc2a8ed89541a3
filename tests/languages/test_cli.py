"""`xbench languages`: the table, task filters, distance columns, formats and one-line errors."""

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from xbench.cli import cli
from xbench.languages import all_languages

XCOPA = ["et", "ht", "id", "it", "qu", "sw", "ta", "th", "tr", "vi", "zh"]


def run(*args):
    result = CliRunner().invoke(cli, ["languages", *args])
    assert result.exit_code == 0, result.output
    return result.output


def one_error_line(*args) -> str:
    result = CliRunner().invoke(cli, ["languages", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xbench: error:"), result.output
    return lines[0]


def table_codes(output: str) -> list[str]:
    lines = output.splitlines()
    body = lines[2:lines.index("")] if "" in lines else lines[2:]  # after the header and its rule
    return [line.split()[0] for line in body]


def test_prints_the_table_of_every_language():
    out = run()
    header = out.splitlines()[0].split()
    assert header == ["code", "iso639_3", "uriel", "name", "family", "script", "cc100_tokens_M", "cc100_GiB"]
    assert table_codes(out) == [lang.code for lang in all_languages()]
    rows = {line.split()[0]: line for line in out.splitlines()[2:] if line and line.split()[0] in XCOPA}
    assert "not in CC-100" in rows["ht"] and "not in CC-100" in rows["qu"]
    assert "Haitian Creole" in rows["ht"] and "Creole" in rows["ht"]
    assert "cmn" in rows["zh"] and "Han" in rows["zh"] and "46.9" in rows["zh"]
    assert "zh: Simplified" in out  # the CC-100 notes below the table


def test_task_filter_and_markdown():
    out = run("--task", "xcopa", "--format", "md")
    assert out.splitlines()[0].startswith("| code")
    assert [line.split("|")[1].strip() for line in out.splitlines()[2:] if line.startswith("|")] == XCOPA
    both = json.loads(run("--task", "xcopa", "--task", "pawsx", "--format", "json"))
    assert [r["code"] for r in both] == XCOPA + ["de", "en", "es", "fr", "ja", "ko"]


def test_distance_columns_sorted_by_the_first_kind():
    rows = json.loads(run("--task", "xcopa", "--distance-to", "en", "--kind", "syntactic",
                          "--kind", "geographic", "--format", "json"))
    assert {r["code"] for r in rows} == set(XCOPA)
    values = [r["syntactic"] for r in rows]
    assert values == sorted(values) and all(isinstance(v, float) for v in values)
    assert all(r["geographic_km"] > 0 for r in rows)
    qu = next(r for r in rows if r["code"] == "qu")
    assert qu["in_cc100"] is False and qu["cc100_GiB"] is None  # JSON keeps null, not the marker


def test_target_row_is_at_zero_and_table_shows_rounded_values():
    out = run("--task", "xcopa", "--distance-to", "qu", "--kind", "geographic")
    first = out.splitlines()[2].split()
    assert first[0] == "qu" and first[-1] == "0"
    assert "geographic_km: great-circle distance in km" in out


def test_csv_has_empty_sizes_and_an_indicator():
    rows = list(csv.DictReader(io.StringIO(run("--task", "xcopa", "--format", "csv"))))
    ht = next(r for r in rows if r["code"] == "ht")
    assert (ht["cc100_tokens_M"], ht["cc100_GiB"], ht["in_cc100"]) == ("", "", "False")


def test_unknown_language_exits_2_with_one_line():
    line = one_error_line("--distance-to", "zhh")
    assert "unknown language 'zhh'" in line and "did you mean 'zh'" in line


def test_kind_without_target_and_unknown_task_exit_2():
    assert "--distance-to" in one_error_line("--kind", "genetic")
    assert "unknown task 'xcopaa'" in one_error_line("--task", "xcopaa")


def test_the_console_script_loads_lang2vec():
    """bin/xbench runs with bin/ on sys.path, where pip put lang2vec's own lang2vec.py script."""
    script = Path(sys.executable).parent / "xbench"
    if not script.is_file():
        script = shutil.which("xbench")
    if not script:
        pytest.skip("the xbench console script is not installed")
    done = subprocess.run([str(script), "languages", "--task", "xcopa", "--distance-to", "et", "--kind", "syntactic",
                           "--format", "json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows[0]["code"] == "et" and rows[0]["syntactic"] == 0.0
    assert "pkg_resources" not in done.stderr  # the deprecation warning is suppressed
