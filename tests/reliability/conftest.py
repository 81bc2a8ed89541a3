"""Fixtures of the reliability tests, and the per-category count of the bad-input corpus in the
terminal summary."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers.tiny_model import make_tiny_model


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny_bert"))


@pytest.fixture
def one_torch_thread():
    """One intra-op thread: on a shared 2-core machine two spinning threads per process run many times
    slower (numerics do not depend on it as long as every run compared uses the same count)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def base_data_root(tmp_path_factory) -> Path:
    """A data root in XTREME's layout with two tiny valid XNLI dev files (a case replaces one)."""
    root = tmp_path_factory.mktemp("xtreme_root")
    (root / "download.log").write_text("made by tests/reliability\n")
    (root / "xnli").mkdir()
    rows = "a cat\tthe cat\tentailment\nthe dog\ta house\tneutral\nred\tblue\tcontradiction\n"
    for lang in ("en", "de"):
        (root / "xnli" / f"dev-{lang}.tsv").write_text(rows, encoding="utf-8")
    return root


@pytest.fixture
def data_root(base_data_root, tmp_path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(base_data_root, dst)
    return dst


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from collections import Counter

    ran = [r for r in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
           if "test_corpus.py::test_bad_input[" in r.nodeid]
    if not ran:
        return
    from reliability.corpus import CATEGORIES, CASES

    passed = Counter(r.nodeid.split("[", 1)[1].split("/", 1)[0] for r in ran if r.passed)
    total = Counter(c.category for c in CASES)
    terminalreporter.section("bad-input corpus (tests/reliability/corpus.py)")
    terminalreporter.write_line(f"{'category':<12}{'cases':>6}{'passed':>8}")
    for cat in CATEGORIES:
        terminalreporter.write_line(f"{cat:<12}{total[cat]:>6}{passed[cat]:>8}")
    terminalreporter.write_line(f"{'total':<12}{sum(total.values()):>6}{sum(passed.values()):>8}")
