"""Fixtures for the three-phase pipeline tests: a tiny random BERT and a small real data root."""

import pytest

from helpers.mini_data import make_pipeline_root
from helpers.tiny_model import make_tiny_model


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("tiny_bert"))


@pytest.fixture()
def pipeline_root(shared_data, tmp_path):
    return make_pipeline_root(shared_data, tmp_path / "data")
