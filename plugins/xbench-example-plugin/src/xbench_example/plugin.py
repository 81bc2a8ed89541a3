"""The plugin module named by this package's ``xbench`` entry point.

Each function is a hook implementation; xbench collects them like its own built-ins. Targets are
``"module:attr"`` strings so that nothing is imported until it is used.
"""

from pathlib import Path

from xbench.registry import DataFormat, DataLayout, Metric, ModelAlias, TaskDirectory, TaskType, hookimpl

HERE = Path(__file__).resolve().parent


@hookimpl
def xbench_task_dirs():
    return [TaskDirectory("example", path=HERE / "tasks")]


@hookimpl
def xbench_task_types():
    return [TaskType("sentence_pair_regression", "xbench_example.similarity:SentencePairRegression",
                     "Graded similarity of two sentences (STS-style): a regression head, scored by ranking.",
                     required_fields=("sentence1", "sentence2", "score"), optional_fields=("id",))]


@hookimpl
def xbench_data_formats():
    return [DataFormat("pipe_nli", "xbench_example.formats:load_pipe_nli",
                       "premise | hypothesis | label, one item per line ('#' comments)")]


@hookimpl
def xbench_data_layouts():
    return [DataLayout("example", description="Where example_nli and example_sts live under a data root.",
                       manifest=HERE / "layout.yaml")]


@hookimpl
def xbench_metrics():
    return [Metric("macro_f1", "xbench_example.metrics:macro_f1", "F1 averaged over labels (unweighted)."),
            Metric("pairwise_accuracy", "xbench_example.metrics:pairwise_accuracy",
                   "Fraction of item pairs the predicted scores order like the gold scores (0.5 = chance).")]


@hookimpl
def xbench_model_aliases():
    return [ModelAlias("tiny-random-bert", description="2-layer random-init BERT for smoke tests",
                       package="xbench_example", subpath="models/tiny-random-bert",
                       install="pip install xbench-example-plugin")]


def sample_data_dir() -> Path:
    """The data root holding this plugin's sample files (pass it as --data-dir)."""
    return HERE / "data"
