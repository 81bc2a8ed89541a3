"""Model names: a near-miss of a registered alias is refused at once (no hub lookup, no retries on
the terminal); other names without a folder stay hub ids."""

from __future__ import annotations

import pytest

from xbench.errors import UserError
from xbench.models.aliases import resolve_model
from xbench.registry import get_registry


def test_a_near_miss_of_an_alias_is_refused_without_asking_the_hub(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # (no folder of that name here)
    with pytest.raises(UserError, match=r"--model minilm-l5: no such folder or registered alias "
                                        r"\(did you mean the alias 'minilm-l6'\?\) \(fix: "):
        resolve_model("minilm-l5", get_registry())


def test_names_far_from_every_alias_stay_hub_ids(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_model("xlm-roberta-base", get_registry()) == "xlm-roberta-base"
    assert resolve_model("FacebookAI/xlm-roberta-large", get_registry()) == "FacebookAI/xlm-roberta-large"
