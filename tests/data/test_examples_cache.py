"""The examples cache (xbench.data.examples_cache): a second ``load_split`` of a local cell is served from
``$XBENCH_HOME/cache/examples`` without reading its files, and returns exactly what reading them returns;
changed data (the planned files or a loader's companions), spec or limit misses; a damaged entry is
reported once and rebuilt."""

from __future__ import annotations

import shutil

import pytest

import xbench.data.api as api
from xbench.data import load_split

XNLI_DE = ("a cat\tthe cat\tentailment\n"
           "broken row\n"                       # one column: a counted malformed skip
           "the dog\ta house\tneutral\n"
           "NS\tNS\tneutral\n"                  # XTREME's untranslated placeholder: kept, and a note
           "red\tblue\tcontradiction\n")


@pytest.fixture()
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("XBENCH_HOME", str(home))
    return home


@pytest.fixture()
def root(tmp_path):
    root = tmp_path / "data"
    (root / "xnli").mkdir(parents=True)
    (root / "download.log").write_text("made by tests/data\n")
    (root / "xnli" / "dev-de.tsv").write_text(XNLI_DE, encoding="utf-8")
    return root


@pytest.fixture()
def reads(monkeypatch):
    """How often the files were read (``read_local`` ran) since the fixture was made."""
    calls = []
    real = api.read_local

    def counting(*args, **kwargs):
        calls.append(args[:3])
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "read_local", counting)
    return calls


def entries(home):
    return sorted((home / "cache" / "examples").glob("*.arrow"))


def everything(loaded) -> dict:
    """All that load_split returns, in comparable form."""
    return {"rows": loaded.dataset.to_list(), "features": loaded.dataset.features, "n": len(loaded.dataset),
            "columns": loaded.dataset.column_names, "source": loaded.source, "files": loaded.files,
            "flags": loaded.flags, "skipped": list(loaded.skipped), "skip_type": type(loaded.skipped),
            "fingerprint": loaded.fingerprint, "gold": loaded.gold, "notes": loaded.notes, "split": loaded.split}


def test_a_hit_returns_identical_examples_skip_log_and_fingerprint(catalog, root, home, reads):
    first = load_split(catalog.task("xnli"), "validation", "de", data_dir=root)
    assert len(reads) == 1 and len(entries(home)) == 1
    assert [(s.file, s.line, s.kind) for s in first.skipped] == [(str(root / "xnli" / "dev-de.tsv"), 2, "malformed")]
    assert "expected 3" in first.skipped[0].reason and first.skipped.total("malformed") == 1
    assert first.notes and "'NS'" in first.notes[0] and len(first.dataset) == 4
    second = load_split(catalog.task("xnli"), "validation", "de", data_dir=root)
    assert len(reads) == 1  # served from the cache: the file was not read again
    assert everything(second) == everything(first)


def test_a_changed_data_file_misses(catalog, root, home, reads):
    first = load_split(catalog.task("xnli"), "validation", "de", data_dir=root)
    path = root / "xnli" / "dev-de.tsv"
    path.write_text(XNLI_DE.replace("a cat\tthe cat", "a dog\tthe dog"), encoding="utf-8")  # same size
    second = load_split(catalog.task("xnli"), "validation", "de", data_dir=root)
    assert len(reads) == 2 and len(entries(home)) == 2
    assert second.dataset[0]["text_a"] == "a dog" and first.dataset[0]["text_a"] == "a cat"
    assert second.fingerprint != first.fingerprint
    path.write_text(XNLI_DE + "one\tmore\tneutral\n", encoding="utf-8")
    assert len(load_split(catalog.task("xnli"), "validation", "de", data_dir=root).dataset) == 5 and len(reads) == 3


def test_a_different_limit_misses_and_each_limit_hits_its_own_entry(catalog, root, home, reads):
    whole = load_split(catalog.task("xnli"), "validation", "de", data_dir=root)
    limited = load_split(catalog.task("xnli"), "validation", "de", data_dir=root, limit=2)
    assert len(reads) == 2 and len(entries(home)) == 2
    assert len(limited.dataset) == 2 and len(whole.dataset) == 4
    again = load_split(catalog.task("xnli"), "validation", "de", data_dir=root, limit=2)
    assert everything(again) == everything(limited)
    assert everything(load_split(catalog.task("xnli"), "validation", "de", data_dir=root)) == everything(whole)
    assert len(reads) == 2


def test_a_changed_spec_section_misses(catalog, root, home, reads):
    task = catalog.task("xnli")
    load_split(task, "validation", "de", data_dir=root)
    real = type(task).for_language

    def other_fields(self, lang):
        doc = real(self, lang)
        return {**doc, "fields": {**doc["fields"], "text_a": doc["fields"]["text_b"]}}

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(type(task), "for_language", other_fields)
        swapped = load_split(task, "validation", "de", data_dir=root)
    assert len(reads) == 2 and swapped.dataset[0]["text_a"] == "the cat"


@pytest.mark.parametrize("damaged", ["arrow", "json", "check"])
@pytest.mark.parametrize("how", ["truncate", "flip"])
def test_a_damaged_entry_warns_once_and_is_rebuilt(catalog, root, home, reads, capsys, damaged, how):
    clean = everything(load_split(catalog.task("xnli"), "validation", "de", data_dir=root))
    [arrow] = entries(home)
    target = {"arrow": arrow, "json": arrow.with_suffix(".json"),
              "check": arrow.with_name(arrow.name + ".sha256")}[damaged]
    original = arrow.read_bytes()
    data = target.read_bytes()
    middle = len(data) // 2
    flipped = data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]
    target.write_bytes(data[:middle] if how == "truncate" else flipped)
    capsys.readouterr()
    again = everything(load_split(catalog.task("xnli"), "validation", "de", data_dir=root))
    err = capsys.readouterr().err
    assert err.count("damaged examples cache entry") == 1
    named = target if damaged != "check" else arrow  # a bad check is reported as the entry it checks
    assert f"xbench: warning: {named}: damaged examples cache entry" in err
    assert again == clean and len(reads) == 2  # read again, the same result
    assert arrow.read_bytes() == original  # rebuilt, the same bytes
    assert everything(load_split(catalog.task("xnli"), "validation", "de", data_dir=root)) == clean
    assert len(reads) == 2 and "damaged" not in capsys.readouterr().err  # the rebuilt entry is used silently


def test_an_entry_without_its_check_is_not_trusted(catalog, root, home, reads, capsys):
    load_split(catalog.task("xnli"), "validation", "de", data_dir=root)
    [arrow] = entries(home)
    arrow.with_name(arrow.name + ".sha256").unlink()  # e.g. killed before the last write
    load_split(catalog.task("xnli"), "validation", "de", data_dir=root)
    assert len(reads) == 2 and f"{arrow}: damaged examples cache entry" in capsys.readouterr().err


def test_a_moved_data_root_hits_and_reports_its_own_paths(catalog, root, home, reads, tmp_path):
    first = load_split(catalog.task("xnli"), "validation", "de", data_dir=root)
    moved = tmp_path / "elsewhere" / "data"
    shutil.copytree(root, moved)
    second = load_split(catalog.task("xnli"), "validation", "de", data_dir=moved)
    assert len(reads) == 1  # keyed by content, not place
    assert second.fingerprint == first.fingerprint and second.dataset.to_list() == first.dataset.to_list()
    assert [s.file for s in second.skipped] == [str(moved / "xnli" / "dev-de.tsv")]
    assert second.files == [str(moved / "xnli" / "dev-de.tsv")] and str(moved) in second.source


def test_a_loaders_companion_files_and_listed_folders_are_dependencies(catalog, original_root, home, reads, tmp_path):
    """LAReQA's de cell pools the candidates of every xquad-r/*.json: the English file is read by the
    loader, not named by the plan, and a file added to the folder joins the pool."""
    root = tmp_path / "original"
    shutil.copytree(original_root, root)
    first = load_split(catalog.task("lareqa"), "test", "de", data_dir=root)
    assert everything(load_split(catalog.task("lareqa"), "test", "de", data_dir=root)) == everything(first)
    assert len(reads) == 1
    english = root / "lareqa" / "xquad-r" / "en.json"
    english.write_text(english.read_text(encoding="utf-8").replace("Kawann Short", "Kawann Shorter"), encoding="utf-8")
    changed = load_split(catalog.task("lareqa"), "test", "de", data_dir=root)
    assert len(reads) == 2
    assert any("Shorter" in (r["candidate"] or "") for r in changed.dataset.to_list())
    shutil.copy(root / "lareqa" / "xquad-r" / "de.json", root / "lareqa" / "xquad-r" / "xx.json")
    pooled = load_split(catalog.task("lareqa"), "test", "de", data_dir=root)
    assert len(reads) == 3 and len(pooled.dataset) > len(changed.dataset)
