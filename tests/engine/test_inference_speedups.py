"""The evaluation speed-ups change no prediction: token-budget batches and running each distinct input
once give the plain per-item eager forward's labels, with logits within 1e-4 (CPU fp32, tiny BERT)."""

import random
import threading

import numpy as np
import torch

from xbench.engine.batching import token_batches
from xbench.engine.inference import distinct_features, run_batches

from helpers.tiny_classifier import classifier, pair_examples
from helpers.tiny_model import sentences

CPU = torch.device("cpu")


class CountingModel(torch.nn.Module):
    """The model, counting the rows (sequences) it is run on and the batch shapes."""

    def __init__(self, model):
        super().__init__()
        self.model, self.rows, self.shapes, self.lock = model, 0, [], threading.Lock()

    def forward(self, **batch):
        with self.lock:  # batches may run in two CPU worker threads
            self.rows += batch["input_ids"].shape[0]
            self.shapes.append(tuple(batch["input_ids"].shape))
        return self.model(**batch)


def eager_reference(tt, model, features):
    """Each feature alone through the model: no padding, no batching, no sharing."""
    with torch.inference_mode():
        return [tt.outputs(model(**{k: v for k, v in tt.collate([f]).items() if k != "labels"}), None)[0]
                for f in features]


def test_auto_batches_match_the_plain_forward(tiny_model):
    tt, model = classifier(tiny_model)
    examples = pair_examples(60, seed=11)
    features = tt.encode(examples)
    counting = CountingModel(model)
    got = run_batches(counting, features, tt.collate, tt.outputs, batch_size="auto", device=CPU, progress=False)
    ref = eager_reference(tt, model, features)
    assert max(float(np.abs(a - b).max()) for a, b in zip(got, ref)) < 1e-4
    assert tt.decode(examples, features, got) == tt.decode(examples, features, ref)
    assert counting.rows == len(features)


def test_identical_inputs_run_once_and_share_their_output(tiny_model):
    tt, model = classifier(tiny_model)
    examples = pair_examples(20, seed=4)
    repeated = examples + [dict(ex, id=100 + i, label="abc"[(i + 1) % 3]) for i, ex in enumerate(examples[:12])]
    features = tt.encode(repeated)
    counting = CountingModel(model)
    got = run_batches(counting, features, tt.collate, tt.outputs, batch_size=5, device=CPU, progress=False)
    assert counting.rows == 20  # the 12 repeats (other ids and labels, same text) are not run again
    for i in range(12):
        np.testing.assert_array_equal(got[20 + i], got[i])
    ref = eager_reference(tt, model, features)
    assert max(float(np.abs(a - b).max()) for a, b in zip(got, ref)) < 1e-4


def test_features_differing_in_any_model_field_are_kept_apart():
    base = {"input_ids": [1, 2, 3], "attention_mask": [1, 1, 1], "example_index": 0, "labels": 1}
    other_types = dict(base, token_type_ids=[0, 1, 1])
    same_but_example = dict(base, example_index=5, labels=2)
    nested = {"input_ids": [[1, 2], [1, 3]], "example_index": 1}
    distinct, copies = distinct_features([base, other_types, same_but_example, nested, dict(nested)])
    assert distinct == [0, 1, 3]
    assert copies == [0, 1, 0, 2, 2]
    arrays = [{"input_ids": np.array([[1, 2], [3, 4]])}, {"input_ids": np.array([[1, 2], [3, 4]])}]
    assert distinct_features(arrays) == ([0, 1], [0, 1])  # not comparable: each runs on its own


def test_token_budget_batches_cover_the_order_within_budget_and_waste():
    rng = random.Random(0)
    lengths = [rng.randint(3, 120) for _ in range(700)]
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches = token_batches(order, lengths, 4096, max_items=256, max_waste=0.02, min_tokens=1024)
    assert [i for b in batches for i in b] == order  # every item once, in the sorted order
    for b in batches:
        width = max(lengths[i] for i in b)
        padded = width * len(b)
        assert padded <= 4096 or len(b) == 1
        assert len(b) <= 256
        if padded >= 1024 + width:  # the waste rule applies from min_tokens on
            assert padded - sum(lengths[i] for i in b) <= 0.02 * padded
    assert len(batches[0]) == 4096 // 120  # the longest: as many as the budget allows
    assert len(batches[-1]) > len(batches[0])  # the shortest inputs go in larger batches


def test_auto_gives_short_inputs_larger_batches(tiny_model):
    tt, model = classifier(tiny_model)
    short = [{"id": i, "text_a": " ".join(s), "text_b": "", "label": "a"} for i, s in enumerate(sentences(120, seed=2, max_len=4))]
    features = tt.encode(short)
    counting = CountingModel(model)
    run_batches(counting, features, tt.collate, tt.outputs, batch_size="auto", device=CPU, progress=False)
    assert max(s[0] for s in counting.shapes) > 32  # more than the old fixed 32 items per batch
    assert all(s[0] * s[1] <= 32 * 128 for s in counting.shapes)


def test_out_of_memory_splits_the_batch_and_caps_the_later_ones(tiny_model, monkeypatch):
    tt, model = classifier(tiny_model)
    examples = pair_examples(40, seed=8)
    features = tt.encode(examples)
    sizes = []

    class RunsOutOfMemory(torch.nn.Module):
        def forward(self, **batch):
            n = batch["input_ids"].shape[0]
            sizes.append(n)
            if n > 6:
                raise torch.cuda.OutOfMemoryError("simulated")
            return model(**batch)

    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    monkeypatch.setenv("XBENCH_CPU_WORKERS", "1")  # a GPU runs one batch at a time: the path that splits
    got = run_batches(RunsOutOfMemory(), features, tt.collate, tt.outputs, batch_size="auto", device=CPU,
                      progress=False)
    ref = eager_reference(tt, model, features)
    assert max(float(np.abs(a - b).max()) for a, b in zip(got, ref)) < 1e-4
    first_fit = next(i for i, n in enumerate(sizes) if n <= 6)
    assert all(n <= 6 for n in sizes[first_fit:])  # once it fits, no later batch is tried larger
    assert sum(sizes[first_fit:]) == len(features)
