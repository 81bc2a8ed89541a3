"""xbench.analysis.plots: both files written, the PNG is not blank, the SVG is byte-identical across runs."""

import subprocess
import sys

import numpy as np
import pytest

from xbench.analysis import plots

LANGS = ["et", "ht", "id", "qu"]


def figures():
    """(name, function, args, kwargs) for each figure kind, with missing values in each."""
    return [
        ("bars", plots.grouped_bars,
         (LANGS, {"none": [61.0, None, 70.2, 55.0], "siqa": [64.0, 52.5, None, 58.0]},
          {"none": [57.0, None, 66.0, 51.0], "siqa": [60.0, 48.0, None, None]},
          {"none": [65.0, None, 74.0, 59.0], "siqa": [68.0, 57.0, None, None]}),
         dict(ylabel="accuracy ×100", title="xcopa")),
        ("bars-no-ci", plots.grouped_bars, (["typos", "swap"], {"drop": [3.0, -1.5]}, None, None),
         dict(ylabel="clean − perturbed", title="robustness")),
        ("heatmap", plots.heatmap, (["xnli", "pawsx"], LANGS, [[80.1, None, 70.2, 66.0], [90.0, 85.0, None, 71.3]]),
         dict(title="task × language")),
        ("scatter", plots.scatter_fit,
         ([1.0, 2.2, 3.1, 4.0, None, 2.5, None], [1.0, 2.5, 2.9, 4.2, 3.0, 1.0, 2.0],
          ["et", "id", "tr", "vi", "ht", "ta", "qu"], [False, False, False, False, True, True, True]),
         dict(xlabel="log CC-100 tokens", ylabel="gain ×100", title="gain vs size")),
        ("scaling", plots.scaling_lines,
         (["base", "large"], {"siqa": [1.0, 3.0], "multi": [-1.0, None]}, {"siqa": [0.0, 2.0], "multi": [-2.0, None]},
          {"siqa": [2.0, 4.0], "multi": [0.0, None]}),
         dict(xlabel="model", ylabel="gain ×100", title="scale")),
    ]


@pytest.mark.parametrize("name, fn, args, kwargs", figures(), ids=[f[0] for f in figures()])
def test_png_and_svg_written_nonblank_and_deterministic(tmp_path, name, fn, args, kwargs):
    from matplotlib.image import imread

    first = fn(tmp_path / "one" / f"{name}.v1", *args, **kwargs)  # the dot stays: suffixes are appended
    assert first == [tmp_path / "one" / f"{name}.v1.png", tmp_path / "one" / f"{name}.v1.svg"]
    png, svg = first
    pixels = imread(png)
    assert pixels.ndim == 3 and float(np.var(pixels[..., :3])) > 1e-3  # not a blank canvas
    second = fn(tmp_path / "two" / name, *args, **kwargs)
    assert second[1].read_bytes() == svg.read_bytes()
    assert second[0].read_bytes() == png.read_bytes()
    assert b"<dc:date>" not in svg.read_bytes()


def test_missing_values_are_marked(tmp_path):
    _, svg = plots.grouped_bars(tmp_path / "bars", ["et", "ht"], {"a": [60.0, None]}, None, None, ylabel="y", title="t")
    assert "n/a" in svg.read_text()  # text drawn as paths keeps its string as a comment
    _, svg = plots.heatmap(tmp_path / "heat", ["xnli"], ["et", "ht"], [[60.0, None]], title="t")
    assert "–" in svg.read_text()
    _, svg = plots.scatter_fit(tmp_path / "scatter", [1.0, 2.0, 3.0, None], [1.0, 2.0, 2.5, 1.5],
                               ["a", "b", "c", "wo"], [False, False, False, True], xlabel="x", ylabel="y", title="t",
                               excluded_label="unseen", strip_label="not in CC-100")
    text = svg.read_text()
    assert "unseen" in text and "not in CC-100" in text and "95% CI of the mean" in text


def test_bad_shapes_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        plots.grouped_bars(tmp_path / "x", ["a", "b", "c"], {"s": [1.0, 2.0]}, None, None, ylabel="y", title="t")
    with pytest.raises(ValueError, match="included in the fit but has no x"):
        plots.scatter_fit(tmp_path / "x", [None, 1.0], [1.0, 2.0], ["a", "b"], [False, False], xlabel="x",
                          ylabel="y", title="t")


def test_importing_the_module_does_not_import_matplotlib():
    code = "import sys, xbench.analysis.plots; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
