"""Fixtures for prompted evaluation: a tiny random GPT-2 with a byte-level BPE trained on the fly."""

import pytest

from helpers.tiny_causal_lm import make_tiny_causal_lm


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory):
    return make_tiny_causal_lm(tmp_path_factory.mktemp("tiny_gpt2"))


@pytest.fixture(scope="session")
def tiny_lm_loaded(tiny_lm):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(tiny_lm), AutoTokenizer.from_pretrained(tiny_lm)
