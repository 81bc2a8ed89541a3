"""The spec index's warm path (xbench.spec.index_cache): stored documents, cached registry checks, and
what must still make a spec be read again."""

import json
import os
import time

from xbench.registry import Metric, hookimpl
from xbench.spec import catalog as catalog_mod, index_cache
from xbench.spec.catalog import Catalog
from xbench.spec.index_cache import IndexCache

from tests.spec.test_catalog import TASK, registry_with


class ExtraMetric:
    @hookimpl
    def xbench_metrics(self):
        return [Metric("my_metric", "x:y", "a plugin's metric")]


def index_file():
    return IndexCache().path


def settled(monkeypatch):
    """Files written just now count as settled (no racy window): the tests below read the index at once."""
    monkeypatch.setattr(index_cache, "RACY_SECONDS", 0)


def test_a_spec_indexed_within_the_racy_window_is_read_again(tmp_path, monkeypatch):
    """On a file system whose timestamps are coarse, an edit right after indexing keeps the file's stat:
    an entry indexed within RACY_SECONDS of its file's change is not trusted, and an older one is."""
    spec = tmp_path / "t.yaml"
    spec.write_text(TASK.format(name="t"))
    monkeypatch.setattr(index_cache, "_stamp", lambda path: [stamp_ns, 1, 1, stamp_ns])  # a frozen stat
    stamp_ns = time.time_ns()
    reg = registry_with(tmp_path)
    assert Catalog(reg).task("t").languages == ["en", "de", "fr"]
    spec.write_text(TASK.format(name="t").replace("[en, de, fr]", "[en, de, es]"))  # same size and stat
    assert Catalog(reg).task("t").languages == ["en", "de", "es"]  # the racy entry was not trusted
    stamp_ns = time.time_ns() - 10 * 10**9  # the same stat, but well before indexing: trusted
    Catalog(reg)
    warm = Catalog(reg)
    assert warm.cache.hits >= 1 and warm.task("t").languages == ["en", "de", "es"]


def test_warm_specs_match_cold_ones_without_parsing_yaml(tmp_path, monkeypatch):
    settled(monkeypatch)
    (tmp_path / "_base.yaml").write_text(TASK.format(name="base"))
    (tmp_path / "v.yaml").write_text("include: _base.yaml\nname: v\nlanguages: [de]\n")
    for i in range(5):
        (tmp_path / f"t{i}.yaml").write_text(TASK.format(name=f"t{i}"))
    reg = registry_with(tmp_path)
    cold = Catalog(reg)

    def no_parsing(path):
        raise AssertionError(f"parsed {path} although the index is current")

    monkeypatch.setattr(catalog_mod, "parse_spec_file", no_parsing)
    warm = Catalog(reg)
    assert warm.cache.hits == len(cold.cache.entries) and set(warm.tasks) == set(cold.tasks)
    for name, task in cold.tasks.items():
        other = warm.tasks[name]
        assert (other.name, other.languages, other.type, other.version, other.primary_metric) == \
            (task.name, task.languages, task.type, task.version, task.primary_metric)
        assert other.doc == task.doc and other.files == task.files and other == task
    assert [f.name for f in warm.task("v").files] == ["v.yaml", "_base.yaml"]


def test_registry_checks_are_redone_when_the_registry_changes(tmp_path):
    (tmp_path / "t.yaml").write_text(TASK.format(name="t").replace("[accuracy]", "[my_metric]"))
    with_plugin = registry_with(tmp_path)
    with_plugin.register(ExtraMetric(), "extra")
    assert "t" in Catalog(with_plugin).tasks
    without = Catalog(registry_with(tmp_path))  # the same file, cached, but the metric is gone
    assert without.cache.hits >= 1 and "t" not in without.tasks
    assert any("unknown metric 'my_metric'" in str(e) for e in without.errors)
    again = registry_with(tmp_path)
    again.register(ExtraMetric(), "extra")
    assert "t" in Catalog(again).tasks


def test_same_size_edit_with_mtime_put_back_is_read_again(tmp_path):
    target = tmp_path / "t.yaml"
    target.write_text(TASK.format(name="t"))
    reg = registry_with(tmp_path)
    assert Catalog(reg).task("t").languages == ["en", "de", "fr"]
    st = os.stat(target)
    time.sleep(0.01)
    target.write_text(TASK.format(name="t").replace("[en, de, fr]", "[en, de, sw]"))  # same size
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime as before (e.g. `cp -p`, `touch -r`)
    assert os.stat(target).st_size == st.st_size and os.stat(target).st_mtime_ns == st.st_mtime_ns
    assert Catalog(reg).task("t").languages == ["en", "de", "sw"]


def test_damage_to_a_stored_document_rebuilds_the_index(tmp_path, monkeypatch):
    settled(monkeypatch)
    for i in range(3):
        (tmp_path / f"t{i}.yaml").write_text(TASK.format(name=f"t{i}"))
    reg = registry_with(tmp_path)
    Catalog(reg)
    path = index_file()
    data = path.read_bytes()
    at = data.rindex(b'"description"')  # inside the last stored document, after the header
    assert at > data.index(b"\n")
    path.write_bytes(data[:at] + b'"descriptioX"' + data[at + len(b'"description"'):])
    again = Catalog(reg)
    assert again.cache.hits == 0  # the checksum failed: nothing trusted
    assert all(again.task(f"t{i}").doc["description"] == "d" for i in range(3))
    json.loads(path.read_text())  # rewritten whole, still one JSON document
    assert Catalog(reg).cache.hits == len(again.cache.entries)


def test_a_spec_from_the_index_pickles_with_its_whole_document(tmp_path):
    import pickle

    (tmp_path / "t.yaml").write_text(TASK.format(name="t"))
    reg = registry_with(tmp_path)
    cold = Catalog(reg).task("t")
    warm = Catalog(reg).task("t")
    copy = pickle.loads(pickle.dumps(warm))
    assert copy == cold and copy._load is None and copy.doc["fields"] == {"text_a": "s1", "label": "l"}
