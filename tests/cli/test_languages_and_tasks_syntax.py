"""`--languages` and `--tasks` written in ways xbench does not take (a repeated code, languages or a
split inside --tasks) are refused before anything loads, by the check `xbench eval`, `xbench run`'s jobs
and `xbench.evaluate()` share (EvalConfig), with the form that works."""

import pytest

from xbench.errors import UserError
from xbench.evaluation.config import EvalConfig, config_from_options


@pytest.mark.parametrize("languages,says", [
    ("en,de,de", "'de' given twice (fix: list each language once, e.g. --languages en,de)"),
    (["en", "de", "en"], "'en' given twice"),  # the Python API's list
    ("xnli=en,de,de", "'de' given twice for task xnli (fix: list each language once, e.g. --languages 'xnli=en,de')"),
    ({"xnli": ["fr", "fr"]}, "'fr' given twice for task xnli"),
    ("xnli=en;panx=de;xnli=fr", "task xnli given twice (fix: one TASK=LANG,LANG part per task, e.g. xnli=en,fr)"),
])
def test_repeated_languages_are_refused(languages, says):
    with pytest.raises(UserError) as err:
        config_from_options({"model": "m", "tasks": "xnli,panx", "languages": languages})
    assert str(err.value).startswith("--languages: ") and says in str(err.value)


def test_distinct_languages_pass():
    assert EvalConfig(model="m", tasks="xnli", languages=["en", "de"]).languages == ["en", "de"]


@pytest.mark.parametrize("tasks,fix", [
    ("panx:en,de", "--tasks panx --languages panx=en,de"),
    ("panx=de", "--tasks panx --languages panx=de"),
    ("xnli[de]", "--tasks xnli --languages xnli=de"),
    ("xtreme/panx:dev", "--tasks xtreme/panx --split panx=dev"),
    ("panx:en,de,xnli:fr,tatoeba", "--tasks panx,xnli,tatoeba --languages 'panx=en,de;xnli=fr'"),
    ("panx:test,de", "--tasks panx --languages panx=de --split panx=test"),
])
def test_languages_or_a_split_inside_tasks_get_the_option_they_belong_in(tasks, fix):
    with pytest.raises(UserError) as err:
        EvalConfig(model="m", tasks=tasks)
    line = str(err.value)
    assert line.startswith(f"--tasks {tasks}: ") and "takes task names only" in line and f"(fix: {fix})" in line


@pytest.mark.parametrize("tasks", ["xnli", "xtreme", "xtreme/panx,xnli", "xtreme-r", "panx, xnli"])
def test_plain_addresses_pass(tasks):
    EvalConfig(model="m", tasks=tasks)
