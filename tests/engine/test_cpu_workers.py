"""Concurrent CPU batches (xbench.engine.cpu_workers): the same outputs as one batch at a time, really
run in two threads with their share of the cores, errors and thread settings handled."""

import threading

import numpy as np
import pytest
import torch

from xbench.engine.cpu_workers import plan_workers, run_concurrently
from xbench.engine.inference import run_batches
from xbench.errors import UserError

from helpers.tiny_classifier import classifier, pair_examples

CPU = torch.device("cpu")


def test_plan_splits_the_threads_between_the_workers():
    assert plan_workers(2) == (2, 1)
    assert plan_workers(8) == (2, 4)
    assert plan_workers(1) == (1, 1)  # nothing to share
    assert plan_workers(8, "4") == (4, 2)
    assert plan_workers(2, "1") == (1, 2)  # one at a time, with every thread
    assert plan_workers(2, "6") == (2, 1)  # never more workers than threads


@pytest.mark.parametrize("bad", ["two", "0", "-1", "1.5"])
def test_a_bad_setting_names_itself_and_the_fix(bad):
    with pytest.raises(UserError, match=rf"XBENCH_CPU_WORKERS='{bad}'.*fix:"):
        plan_workers(2, bad)


def test_every_batch_runs_once_and_the_threads_are_put_back():
    before = torch.get_num_threads()
    seen, names = [], set()

    def compute(idx):
        seen.append(tuple(idx))
        names.add(threading.current_thread().name)
        assert torch.get_num_threads() == 1  # the worker's share
        return [i * 10 for i in idx]

    batches = [[i, i + 1] for i in range(0, 40, 2)]
    done = []
    got = run_concurrently(batches, compute, workers=2, threads_each=1, on_done=done.append)
    assert got == {i: i * 10 for i in range(40)}
    assert sorted(seen) == sorted(map(tuple, batches)) and sum(done) == 40
    assert all(n.startswith("xbench-cpu-worker-") for n in names)
    assert torch.get_num_threads() == before


def test_the_first_error_reaches_the_caller_and_stops_the_rest():
    started = []

    def compute(idx):
        started.append(idx[0])
        if idx[0] == 3:
            raise ValueError("batch 3 is bad")
        return idx

    with pytest.raises(ValueError, match="batch 3 is bad"):
        run_concurrently([[i] for i in range(200)], compute, workers=2, threads_each=1)
    assert len(started) < 200  # the other worker stopped after its current batch


class ThreadRecordingModel(torch.nn.Module):
    """The model, recording which threads ran its batches."""

    def __init__(self, model):
        super().__init__()
        self.model, self.threads = model, set()

    def forward(self, **batch):
        self.threads.add(threading.current_thread().name)
        return self.model(**batch)


def test_two_workers_give_the_outputs_of_one_batch_at_a_time(tiny_model, monkeypatch):
    tt, model = classifier(tiny_model)
    features = tt.encode(pair_examples(120, seed=5))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        monkeypatch.setenv("XBENCH_CPU_WORKERS", "1")
        one = run_batches(model, features, tt.collate, tt.outputs, batch_size=8, device=CPU, progress=False)
        monkeypatch.setenv("XBENCH_CPU_WORKERS", "2")
        recording = ThreadRecordingModel(model)
        two = run_batches(recording, features, tt.collate, tt.outputs, batch_size=8, device=CPU, progress=False)
    finally:
        torch.set_num_threads(before)
    assert len(recording.threads) == 2 and all(n.startswith("xbench-cpu-worker-") for n in recording.threads)
    assert max(float(np.abs(a - b).max()) for a, b in zip(one, two)) < 1e-5
    assert [int(np.argmax(a)) for a in one] == [int(np.argmax(b)) for b in two]
