"""Fixtures of the README-claim tests: a tiny random GPT-2 for prompted evaluation."""

import pytest


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    from helpers.tiny_causal_lm import make_tiny_causal_lm

    return make_tiny_causal_lm(tmp_path_factory.mktemp("tiny_gpt2"))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from helpers.tiny_model import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("tiny_bert"))
