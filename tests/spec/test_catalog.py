"""Catalog behaviour on synthetic spec folders: includes, overrides, the index cache."""

import os
import time

import pytest

from xbench.errors import UserError
from xbench.registry import Registry, TaskDirectory, hookimpl
from xbench.spec.catalog import Catalog

TASK = """\
name: {name}
version: 1
description: d
citation: c
license: unknown
type: sequence_classification
languages: [en, de, fr]
data:
  format: tsv
  splits: {{test: {{}}}}
fields: {{text_a: s1, label: l}}
metrics: [accuracy]
"""


class Dirs:
    def __init__(self, *paths):
        self.paths = paths

    @hookimpl
    def xbench_task_dirs(self):
        return [TaskDirectory(str(p), path=p) for p in self.paths]


def registry_with(*dirs):
    import importlib.metadata as md

    reg = Registry(entry_points=[md.EntryPoint("builtin", "xbench.registry.builtin", "xbench")])
    reg.register(Dirs(*dirs), "testdirs")
    return reg


def test_include_merges_and_local_keys_win(tmp_path):
    (tmp_path / "_base.yaml").write_text(TASK.format(name="base"))
    (tmp_path / "variant.yaml").write_text("include: _base.yaml\nname: variant\nlanguages: [de]\n")
    cat = Catalog(registry_with(tmp_path))
    assert "base" not in cat.tasks  # `_` files are fragments
    v = cat.task("variant")
    assert v.languages == ["de"] and v.metrics == ["accuracy"]
    assert [f.name for f in v.files] == ["variant.yaml", "_base.yaml"]


def test_nested_mappings_merge(tmp_path):
    (tmp_path / "_base.yaml").write_text(TASK.format(name="base"))
    (tmp_path / "v.yaml").write_text("include: _base.yaml\nname: v\ndata: {hub: {path: x/y}}\n")
    v = Catalog(registry_with(tmp_path)).task("v")
    assert v.doc["data"]["hub"] == {"path": "x/y"} and v.doc["data"]["format"] == "tsv"


def test_override_replaces_other_plugins_task(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "t.yaml").write_text(TASK.format(name="same"))
    (b / "t.yaml").write_text(TASK.format(name="same").replace("languages: [en, de, fr]", "languages: [en]")
                              + "override: true\n")
    cat = Catalog(registry_with(a, b))
    assert cat.task("same").languages == ["en"]
    assert not [e for e in cat.errors if "same" in str(e)]


def test_group_addressing(tmp_path):
    (tmp_path / "t.yaml").write_text(TASK.format(name="t1"))
    (tmp_path / "g.yaml").write_text("group: g\nversion: 1\ndescription: d\ntasks:\n  - {task: t1, languages: [de]}\n")
    cat = Catalog(registry_with(tmp_path))
    assert cat.select("t1")[0].languages == ["en", "de", "fr"]
    assert cat.select("g/t1")[0].languages == ["de"]
    assert [s.address for s in cat.select("g")] == ["g/t1"]
    with pytest.raises(UserError, match="has no task"):
        cat.select("g/nope")


def test_index_cache_reused_and_invalidated_by_mtime(tmp_path, monkeypatch):
    from xbench.spec import index_cache

    monkeypatch.setattr(index_cache, "RACY_SECONDS", 0)  # files written just now count as settled here
    for i in range(20):
        (tmp_path / f"t{i}.yaml").write_text(TASK.format(name=f"t{i}"))
    reg = registry_with(tmp_path)
    first = Catalog(reg)
    assert first.cache.hits == 0 and len(first.tasks) >= 20
    second = Catalog(reg)
    assert second.cache.hits >= 20
    target = tmp_path / "t3.yaml"
    target.write_text(TASK.format(name="t3").replace("[en, de, fr]", "[en]"))
    os.utime(target, ns=(time.time_ns(), time.time_ns() + 10**9))
    third = Catalog(reg)
    assert third.task("t3").languages == ["en"]
    assert third.cache.hits == second.cache.hits - 1


def test_cache_tracks_included_files(tmp_path):
    base = tmp_path / "_base.yaml"
    base.write_text(TASK.format(name="base"))
    (tmp_path / "v.yaml").write_text("include: _base.yaml\nname: v\n")
    reg = registry_with(tmp_path)
    assert Catalog(reg).task("v").metrics == ["accuracy"]
    base.write_text(TASK.format(name="base").replace("[accuracy]", "[accuracy, tagging_f1]"))
    os.utime(base, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert Catalog(reg).task("v").metrics == ["accuracy", "tagging_f1"]


def test_yaml_cannot_construct_objects(tmp_path):
    (tmp_path / "evil.yaml").write_text("name: !!python/object/apply:os.system ['echo pwned']\n")
    cat = Catalog(registry_with(tmp_path))
    assert any("YAML tag !!python/object/apply:os.system is not allowed" in str(e) for e in cat.errors)


def test_iso639_3_codes_accepted(tmp_path):
    (tmp_path / "t.yaml").write_text(TASK.format(name="t").replace("[en, de, fr]", "[quy, gn]"))
    assert Catalog(registry_with(tmp_path)).task("t").languages == ["quy", "gn"]
