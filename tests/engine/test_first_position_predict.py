"""Classification's predict runs the last layer for [CLS] alone (xbench.models.first_position), with
the predictions and scores of the whole forward."""

from xbench.engine.device import pick_device
from xbench.models.first_position import FirstPositionLayer

from helpers.tiny_classifier import classifier, pair_examples


def test_classification_predict_uses_it_with_unchanged_predictions(tiny_model, monkeypatch):
    tt, model = classifier(tiny_model)
    examples = pair_examples(40, seed=3)
    settings = type("Engine", (), {"batch_size": 8, "device": pick_device("cpu"), "precision": "fp32",
                                   "desc": "", "progress": False})()
    seen = []
    real_call = FirstPositionLayer.forward
    monkeypatch.setattr(FirstPositionLayer, "forward", lambda self, *a, **k: seen.append(1) or real_call(self, *a, **k))
    preds, scores = tt.predict(model, examples, settings)
    assert seen  # the pruned layer ran
    monkeypatch.setattr(type(tt), "reads_first_position", False)
    seen.clear()
    whole_preds, whole_scores = tt.predict(model, examples, settings)
    assert not seen
    assert preds == whole_preds
    assert max(abs(a - b) for s, w in zip(scores, whole_scores) for a, b in zip(s, w)) < 1e-5


def test_predict_of_a_model_left_in_training_mode_is_the_evaluation_one(tiny_model):
    # as fine-tuning's per-epoch selection calls it: the model straight from model.train()
    tt, model = classifier(tiny_model)
    examples = pair_examples(40, seed=4)
    settings = type("Engine", (), {"batch_size": 8, "device": pick_device("cpu"), "precision": "fp32",
                                   "desc": "", "progress": False})()
    _, eval_scores = tt.predict(model, examples, settings)
    runs = []
    for _ in range(2):
        model.train()
        runs.append(tt.predict(model, examples, settings)[1])
    assert runs[0] == runs[1]  # no dropout: nothing drawn from the random generator
    assert max(abs(a - b) for s, w in zip(runs[0], eval_scores) for a, b in zip(s, w)) < 1e-5
