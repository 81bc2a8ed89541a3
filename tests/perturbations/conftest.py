"""Fixtures for the perturbation tests: a tiny random BERT (tests/helpers/tiny_model.py)."""

import pytest

from helpers.tiny_model import make_tiny_model


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("tiny_bert"))
