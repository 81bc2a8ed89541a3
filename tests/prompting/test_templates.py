import pytest

from xbench.errors import UserError
from xbench.prompting.templates import placeholders, render, unbalanced


def test_render_slots_and_filters_in_order():
    slots = {"context": "  The man broke his toe. ", "choice": "He dropped a hammer."}
    assert render("{context|strip|drop_last_char} because", slots) == "The man broke his toe because"
    assert render("{choice|lower_first}", slots) == "he dropped a hammer."
    assert render("{{literal}} {choice|lower}", slots) == "{literal} he dropped a hammer."


def test_detokenize_and_final_punct():
    slots = {"s": "He did n't go ( really ) , he said ."}
    assert render("{s|detokenize}", slots) == "He didn't go (really), he said."
    assert render("{s|detokenize|drop_final_punct}", slots) == "He didn't go (really), he said"
    assert render("{s|drop_final_punct}", {"s": "no period"}) == "no period"


def test_missing_slot_and_unknown_filter_are_located_errors():
    with pytest.raises(UserError, match=r"xnli/de prompt.*'\{hypothesis\}'.*available: text_a"):
        render("{hypothesis}", {"text_a": "x"}, "xnli/de prompt")
    with pytest.raises(UserError, match="unknown filter 'shout'"):
        render("{text_a|shout}", {"text_a": "x"})


def test_placeholders_and_braces():
    assert placeholders("{a} and {b|strip|lower} {{c}}") == [("a", []), ("b", ["strip", "lower"])]
    assert unbalanced("{a} }") and not unbalanced("{a} {{ }}")
