"""The hook specifications: every extension point of xbench, in one module.

A plugin is a module (or object) whose functions carry ``@hookimpl`` and are named like the specs
below. It is found through the ``xbench`` entry-point group, exactly like xbench's own built-ins
(``xbench.registry.builtin``)::

    # pyproject.toml of a plugin package
    [project.entry-points.xbench]
    my_plugin = "my_package.plugin"

    # my_package/plugin.py
    from xbench.registry import hookimpl, Metric

    @hookimpl
    def xbench_metrics():
        return [Metric("macro_f1", "my_package.metrics:macro_f1", "Macro-averaged F1")]

Every hook returns a list of descriptors (see ``xbench.registry.components``). Descriptors name
their implementation as ``"module:attribute"`` strings where importing it would be expensive, so
that listing and validating tasks never imports torch or transformers. Names must be unique across
plugins; a descriptor with ``override=True`` replaces another plugin's entry of the same name.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("xbench")


@hookspec
def xbench_task_dirs():
    """Folders of task and group YAML specs.

    :return: list of ``TaskDirectory``. Every ``*.yaml`` below each folder is a spec; files whose
        top-level key is ``group`` are benchmark groups, the rest are tasks.
    """


@hookspec
def xbench_task_types():
    """Task types: the behaviour behind a spec's ``type:`` (canonical data, encoding, head, decoding).

    :return: list of ``TaskType``; ``target`` resolves to a subclass of
        ``xbench.tasktypes.base.TaskType``, whose class-level ``canonical_columns``,
        ``canonical_features()`` and ``canonical_row()`` are all the data layer needs to load its
        data. ``required_fields`` lists the keys a spec's ``fields:`` mapping must define;
        validation checks specs against it.
    """


@hookspec
def xbench_metrics():
    """Metric functions, addressed by name from a spec's ``metrics:`` list.

    :return: list of ``Metric``; ``target`` resolves to a callable.
    """


@hookspec
def xbench_data_formats():
    """Data-format loaders: read one published file format into example dicts.

    :return: list of ``DataFormat``; ``target`` resolves to a callable
        ``load(path, **options) -> iterable of dict``.
    """


@hookspec
def xbench_data_layouts():
    """Data layouts: where each task/split/language lives under a data root.

    :return: list of ``DataLayout``; ``manifest`` is a YAML file (data, not code).
    """


@hookspec
def xbench_model_adapters():
    """Model adapters: how a model family is loaded and run (encoder with heads, causal LM, ...).

    :return: list of ``ModelAdapter``; ``target`` resolves to a class with ``load_model(path,
        auto_class, **kwargs)``, ``load_tokenizer(path)`` and ``num_layers(path)`` (see
        ``xbench.models.hf.HFAdapter``). ``claims`` (architecture globs) lets ``--adapter auto`` pick it.
        xbench sets ``trust_remote_code`` and ``allow_pickle`` on each instance it makes (the user's
        ``--trust-remote-code`` / ``--allow-pickle``, default False): an adapter must not run a model
        folder's code or unpickle its weights unless they are True.
        An adapter with ``prompted = True`` evaluates cells itself, without fine-tuning:
        ``evaluate_cell(task_type, model, examples, engine, cell, settings) -> CellOutput`` and
        ``cell_flags(settings)`` (see ``xbench.models.causal_lm.CausalLMAdapter``).
    """


@hookspec
def xbench_model_aliases():
    """Model aliases: a short name resolving to a local checkpoint folder shipped by a package.

    :return: list of ``ModelAlias``.
    """


@hookspec
def xbench_perturbations():
    """Input perturbations for robustness experiments (typos, word drop, code-switching, ...).

    :return: list of ``Perturbation``; ``target`` resolves to a subclass of
        ``xbench.perturbations.TextPerturbation`` (or ``ChoicePerturbation``) whose ``name`` is the
        registered name (see ``xbench.perturbations.base``).
    """


@hookspec
def xbench_executors():
    """Executors that run a set of jobs (local process, ray cluster, ...).

    :return: list of ``Executor``.
    """
