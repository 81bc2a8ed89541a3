"""``render(..., "json")`` writes exactly what ``json.dumps(rows, indent=2, ensure_ascii=False)`` would."""

import json
import random

import pytest

from xbench.cli.output import dumps_indented


def random_value(rng, depth=0):
    leaves = [None, True, False, 0, -7, 10**20, 1.5, 1e-9, float("nan"), float("inf"), -float("inf"), "",
              "é\n\"\\\u2028\t", "x" * rng.randint(0, 5)]
    if depth > 3 or rng.random() < 0.4:
        return rng.choice(leaves)
    if rng.random() < 0.5:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(["a", "b", "ü", "k\"ey", ""]) + str(i): random_value(rng, depth + 1) for i in range(rng.randint(0, 4))}


@pytest.mark.parametrize("seed", range(200))
def test_same_text_as_json_dumps(seed):
    value = random_value(random.Random(seed))
    assert dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_listing_shape_and_unusual_values():
    rows = [{"name": "t", "languages": ["en", "de"], "groups": [], "metric": ["accuracy"], "n": 2, "t": ("a", 1)}]
    assert dumps_indented(rows) == json.dumps(rows, indent=2, ensure_ascii=False)
    assert dumps_indented({1: "x", None: [2]}) == json.dumps({1: "x", None: [2]}, indent=2)  # keys made strings
    with pytest.raises(TypeError):
        dumps_indented([{"a": object()}])
