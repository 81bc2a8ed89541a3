"""Layout manifests' parsed form kept between runs (``$XBENCH_HOME/cache/manifests``), keyed by the text."""

import json

from xbench.data import manifest as m

TEXT = """layout: mine
priority: 5
detect: {all: [marker.txt]}
tasks:
  xnli:
    splits:
      test: {path: "{root}/xnli/{lang}.tsv", label_map: {%s}}
"""


def test_parsed_once_then_read_back_and_an_edit_is_parsed_again(tmp_path, monkeypatch):
    path = tmp_path / "mine.yaml"
    path.write_text(TEXT % "e: entailment")
    first = m.read_manifest("mine", path)
    assert m._parsed_path(path.read_text()).is_file()
    import yaml

    calls = []
    real = yaml.load
    monkeypatch.setattr(yaml, "load", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert m.read_manifest("mine", path).doc == first.doc and not calls  # from the kept JSON
    path.write_text(TEXT % "n: neutral")
    edited = m.read_manifest("mine", path)
    assert calls and edited.doc["tasks"]["xnli"]["splits"]["test"]["label_map"] == {"n": "neutral"}


def test_what_json_would_change_is_not_kept(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(TEXT % "0: entailment, 1: neutral")  # integer keys: JSON would make them strings
    doc = m.read_manifest("mine", path).doc
    assert not m._parsed_path(path.read_text()).exists()
    assert m.read_manifest("mine", path).doc["tasks"]["xnli"]["splits"]["test"]["label_map"] == {0: "entailment",
                                                                                                    1: "neutral"}
    assert doc == m.read_manifest("mine", path).doc


def test_a_damaged_kept_form_is_parsed_again(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(TEXT % "e: entailment")
    truth = m.read_manifest("mine", path).doc
    kept = m._parsed_path(path.read_text())
    stored = json.loads(kept.read_text())
    stored["doc"]["priority"] = 99  # changed without its check
    kept.write_text(json.dumps(stored))
    assert m.read_manifest("mine", path).doc == truth
