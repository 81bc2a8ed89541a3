"""Every flag the engine writes has a meaning the report and `data check` can show."""

import pytest

from xbench.data.flags import describe


@pytest.mark.parametrize("flag, words", [
    ("limit=150", "--limit"), ("train_limit=400", "--train-limit"), ("epochs=2", "--epochs"),
    ("reference_only", "reference language"), ("train_stage_override", "--train-stages"),
    ("intermediate_on_validation:cosmosqa", "split other than train"),
    ("intermediate_parallel_to_eval:xnli.validation.de", "parallel"), ("prompted_0shot", "prompted"),
    ("perturbed:typo:0.1", "--perturb"), ("bucc_duplicates=all", "duplicate"), ("dev_as_test", "dev"),
    ("validation_as_test", "validation split stands in"), ("encoder_not_finetuned", "fine-tuned"),
    ("skipped_rows=2", "malformed rows"),
])
def test_engine_and_data_flags_are_described(flag, words):
    assert words in describe(flag)


def test_an_unknown_flag_says_it_comes_from_a_plugin():
    assert "third-party" in describe("my_layout_flag")
