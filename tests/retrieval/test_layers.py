"""Layer choice (official mapping, stated rules, override), pooling and L2 normalisation."""

import pytest
import torch

from xbench.errors import UserError
from xbench.retrieval.layers import (
    as_unit_rows,
    choose_layer,
    l2_normalize,
    pool,
    rule_layer,
)

TATOEBA = {"12": 8, "24": 14}
BUCC = {"12": 8, "24": 20}


def test_official_mapping_wins_over_the_rule():
    assert choose_layer(12, TATOEBA).layer == 8
    assert choose_layer(24, TATOEBA).layer == 14
    assert choose_layer(24, BUCC).layer == 20
    assert choose_layer(24, TATOEBA).describe() == "hidden layer 14 of 24 (official mapping)"
    # the two_thirds rule alone would give 16 for 24 layers
    assert choose_layer(24, None).layer == 16


@pytest.mark.parametrize("n_layers, rule, expected", [
    (12, "two_thirds", 8), (6, "two_thirds", 4), (24, "two_thirds", 16), (1, "two_thirds", 1),
    (6, "last", 6), (12, "middle", 6), (7, "middle", 3),
])
def test_rules(n_layers, rule, expected):
    assert rule_layer(n_layers, rule) == expected
    choice = choose_layer(n_layers, TATOEBA if n_layers not in (12, 24) else None, rule)
    assert choice.layer == expected and choice.source == f"rule {rule}"


def test_override_and_errors():
    assert choose_layer(6, TATOEBA, override=0).describe() == "hidden layer 0 of 6 (override)"
    with pytest.raises(UserError, match=r"--retrieval-layer 7: the model has 6 hidden layers, .* 0\.\.6 .*\(fix: "):
        choose_layer(6, override=7)
    with pytest.raises(UserError, match="unknown layer rule 'first'"):
        choose_layer(6, rule="first")
    with pytest.raises(UserError, match="maps depth 12 to layer 13"):
        choose_layer(12, {"12": 13})


def test_mean_pooling_counts_masked_tokens_only():
    hidden = torch.tensor([[[1.0, 0.0], [3.0, 2.0], [100.0, 100.0]],
                           [[2.0, 2.0], [4.0, 0.0], [6.0, 4.0]]])
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    assert pool(hidden, mask, "mean").tolist() == [[2.0, 1.0], [4.0, 2.0]]
    assert pool(hidden, mask, "cls").tolist() == [[1.0, 0.0], [2.0, 2.0]]
    assert pool(hidden.half(), mask).dtype == torch.float32
    with pytest.raises(UserError, match="unknown pooling"):
        pool(hidden, mask, "max")


def test_l2_normalize():
    vectors = torch.tensor([[3.0, 4.0], [0.0, 0.0]])
    assert torch.allclose(l2_normalize(vectors), torch.tensor([[0.6, 0.8], [0.0, 0.0]]))


def test_as_unit_rows_copies_only_when_needed():
    unit = torch.nn.functional.normalize(torch.randn(4, 3), dim=1)
    assert as_unit_rows(unit) is unit
    raw = torch.tensor([[3.0, 4.0]], dtype=torch.float64)
    normalised = as_unit_rows(raw)
    assert normalised.dtype == torch.float32 and torch.allclose(normalised, torch.tensor([[0.6, 0.8]]))


def test_an_override_beyond_the_model_is_refused_from_its_config_before_loading(tmp_path):
    import json
    from types import SimpleNamespace

    from xbench.retrieval.layers import check_layer_override, model_depth

    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "num_hidden_layers": 6}))
    retrieval, classification = SimpleNamespace(doc={"retrieval": {}}), SimpleNamespace(doc={})
    assert model_depth(str(tmp_path)) == 6
    check_layer_override(6, str(tmp_path), [retrieval])  # the last layer is fine
    check_layer_override(99, str(tmp_path), [classification])  # no retrieval task: another check's business
    for bad in (7, -1):
        with pytest.raises(UserError, match=rf"--retrieval-layer {bad}: model tiny has 6 hidden layers"):
            check_layer_override(bad, str(tmp_path), [retrieval], "tiny")
    assert model_depth(str(tmp_path / "absent")) is None  # unknown: left to choose_layer once loaded
